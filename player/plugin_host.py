"""Plugin host: discovers plugins by entry point and runs each on its own worker threads.

Every plugin gets a :class:`~player.plugin_worker.PluginWorker`: an event thread (loading,
events, picks, one at a time) and a training thread, so its methods never run on the GUI thread
(importing the plugin's module happens there too, which keeps torch off the GUI thread) and a
pick never waits for training. Results come back to the GUI thread as queued Qt signals and
are handed to the caller's callback. A method that raises is logged, the plugin is marked
degraded and a status message is emitted; the player carries on. A plugin that fails to import
or load is skipped with a message (beets' ``plugins.py`` does the same).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from player.plugin_api import (
    Feedback,
    LibraryChanged,
    Plugin,
    PluginContext,
    SessionClosed,
    Suggestion,
    TrackEnded,
    TrackInfo,
    TrackStarted,
    TrainProgress,
    TrainResult,
)
from player.plugin_worker import Job, PluginWorker, from_entry_point, same_plugin

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "segue.plugins"

#: Called on the GUI thread with ``(result, error)``; ``error`` is ``None`` on success.
DoneCallback = Callable[[Any, str | None], None]

#: How long a loading plugin waits for the library the window is reading before it reads it
#: itself (a failed or very slow read).
LIBRARY_WAIT_S = 60.0


class SharedLibrary:
    """The library as the player last handed it to the plugins, for a plugin's ``load``.

    A plugin that loads while the window reads the library waits for that read rather than
    reading the database a second time (a second record per track, bench/NOTES.md); with no
    read under way, or one that does not come, it reads the database itself.
    """

    def __init__(self, read: Callable[[], Sequence[TrackInfo]]) -> None:
        self._read = read
        self._tracks: Sequence[TrackInfo] | None = None
        self._expected = False
        self._came = threading.Event()

    def expect(self) -> None:
        """The window has begun to read the library (GUI thread)."""
        if self._tracks is None:
            self._expected = True

    def publish(self, tracks: Sequence[TrackInfo]) -> None:
        """The library as the player now holds it (GUI thread; an immutable sequence)."""
        self._tracks = tracks
        self._came.set()

    def release(self) -> None:
        """Stop waiting (the player quits)."""
        self._expected = False
        self._came.set()

    def get(self) -> Sequence[TrackInfo]:
        """The last library handed over; otherwise the database's (a plugin's thread)."""
        if self._tracks is None and self._expected:
            self._came.wait(LIBRARY_WAIT_S)
        tracks = self._tracks
        return tracks if tracks is not None else self._read()


class PluginState(enum.StrEnum):
    """Life cycle of a hosted plugin."""

    LOADING = "loading"
    READY = "ready"
    DEGRADED = "degraded"  # a method raised; still called, its answers are not trusted blindly
    FAILED = "failed"  # could not be imported or loaded: skipped
    CLOSED = "closed"


class PluginHost(QObject):
    """Loads plugins off the GUI thread and relays events and requests to them.

    Args:
        context: Handed to every plugin's ``load``.
        plugins: Plugin instances to host besides (or instead of) discovered ones (tests).
        discover: Also load the plugins declared under the ``segue.plugins`` entry point group.
        group: Entry point group to discover.
        parent: Qt parent.
    """

    plugin_loaded = Signal(str)  # name
    plugin_failed = Signal(str, str)  # name, message
    status_message = Signal(str)
    train_progress = Signal(str, int, int, str)  # name, done, total, message
    train_finished = Signal(str, bool, str)  # name, ok, message

    def __init__(
        self,
        context: PluginContext,
        *,
        plugins: Sequence[Plugin] = (),
        discover: bool = True,
        group: str = ENTRY_POINT_GROUP,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = SharedLibrary(context.load_library)
        self._context = dataclasses.replace(context, load_library=self._library.get)
        self._injected = list(plugins)
        self._discover = discover
        self._group = group
        self._workers: dict[str, PluginWorker] = {}
        self._states: dict[str, PluginState] = {}
        self._callbacks: dict[int, DoneCallback] = {}
        self._ids = itertools.count(1)
        self._started = False

    # ---- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start one worker per plugin; each imports and loads its plugin in the background."""
        if self._started:
            return
        self._started = True
        for plugin in self._injected:
            self._add_worker(self._unique(plugin.name), functools.partial(same_plugin, plugin))
        if self._discover:
            try:
                found = list(entry_points(group=self._group))
            except Exception:  # broken metadata of some unrelated distribution
                log.exception("could not list the %s entry points", self._group)
                found = []
            for ep in found:
                self._add_worker(self._unique(ep.name), functools.partial(from_entry_point, ep))

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop training, save every plugin's state, close it and stop its threads (on quit)."""
        self._library.release()
        for name, worker in self._workers.items():
            self._states[name] = PluginState.CLOSED
            if not worker.stop(timeout_ms):
                log.warning("plugin %s did not stop within %d ms", name, timeout_ms)
                continue
            # Answers still queued for the GUI thread must not reach callers already gone.
            for signal in (worker.loaded, worker.call_done, worker.call_failed, worker.progressed):
                signal.disconnect()
        self._callbacks.clear()
        self._workers.clear()

    # ---- state ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Names of hosted plugins, in load order."""
        return list(self._workers)

    def state(self, name: str) -> PluginState:
        """Life-cycle state of plugin ``name``."""
        return self._states[name]

    def suggester(self) -> str | None:
        """The plugin radio asks for tracks: the first one not failed that can suggest."""
        for name, worker in self._workers.items():
            if self._states[name] in (PluginState.FAILED, PluginState.CLOSED):
                continue
            plugin = worker.plugin
            if plugin is None or plugin.suggests:
                return name
        return None

    # ---- calls ------------------------------------------------------------------------------

    def call(
        self,
        name: str,
        method: str,
        *args: Any,
        on_done: DoneCallback | None = None,
        **kwargs: Any,
    ) -> int:
        """Queue ``method(*args, **kwargs)`` on plugin ``name``'s thread.

        Returns:
            The request id (0 when nobody waits). ``on_done(result, error)`` runs on the GUI
            thread; it is called with an error at once when the plugin is gone.
        """
        worker = self._workers.get(name)
        if worker is None or self._states.get(name) in (PluginState.FAILED, PluginState.CLOSED):
            if on_done is not None:
                on_done(None, f"plugin {name} is not available")
            return 0
        request_id = 0
        if on_done is not None:
            request_id = next(self._ids)
            self._callbacks[request_id] = on_done
        worker.submit(Job(method, args, kwargs, request_id))
        return request_id

    def broadcast(self, method: str, *args: Any) -> None:
        """Send an event to every live plugin (fire and forget)."""
        for name in self._workers:
            if self._states[name] not in (PluginState.FAILED, PluginState.CLOSED):
                self._workers[name].submit(Job(method, args))

    def track_started(self, event: TrackStarted) -> None:
        """Relay a started track to every plugin."""
        self.broadcast("on_track_started", event)

    def track_ended(self, event: TrackEnded) -> None:
        """Relay an ended track (finished / skipped / failed) to every plugin."""
        self.broadcast("on_track_ended", event)

    def session_closed(self, event: SessionClosed) -> None:
        """Relay a closed listening session to every plugin (it learns on its training thread)."""
        self.broadcast("on_session_closed", event)

    def library_loading(self) -> None:
        """The player has begun to read the library: a plugin loading now waits for it."""
        self._library.expect()

    def library_load_failed(self) -> None:
        """The player could not read the library: a loading plugin reads it itself at once
        instead of waiting for rows that will not come."""
        self._library.release()

    def library_changed(self, event: LibraryChanged) -> None:
        """Relay the library (loaded, or after a scan) to every plugin; a plugin that loads
        later is handed these same records."""
        self._library.publish(event.tracks)
        self.broadcast("on_library_changed", event)

    def feedback(self, event: Feedback) -> None:
        """Relay a love / never-play (or its undoing) to every plugin."""
        self.broadcast("on_feedback", event)

    def start_from(self, track_ids: Sequence[int]) -> None:
        """Relay a radio seed to every plugin (see :meth:`Plugin.start_from`)."""
        self.broadcast("start_from", tuple(track_ids))

    def set_option(self, name: str, value: float) -> None:
        """Relay a user setting (``temperature``, ``top_p``...) to every plugin."""
        self._context.settings[name] = value
        self.broadcast("set_option", name, value)

    def request_picks(
        self,
        n: int,
        exclude: frozenset[int],
        on_done: Callable[[list[list[Suggestion]] | None, str | None], None],
        *,
        after: Sequence[int] = (),
        spares: int = 0,
    ) -> bool:
        """Ask the suggesting plugin for ``n`` slots of picks (see :meth:`Plugin.suggest`).

        ``on_done`` receives one list per slot: its pick first, then up to ``spares``
        alternatives drawn from the same distribution (radio takes the first whose file exists,
        with no second round trip). ``after`` are the tracks queued before them.

        Returns:
            False when no plugin can suggest (``on_done`` is not called then).
        """
        name = self.suggester()
        if name is None:
            return False
        self.call(name, "suggest", n, exclude, after=tuple(after), spares=spares, on_done=on_done)
        return True

    def train(self, *, full: bool) -> bool:
        """Retrain every live plugin on its training thread (history is read there).

        Progress arrives as :attr:`train_progress`, the end as :attr:`train_finished`: whether
        a model was trained, and a line for the user (what was learned, why not, or the error).
        """
        started = False
        for name in list(self._workers):
            if self._states[name] in (PluginState.FAILED, PluginState.CLOSED):
                continue

            def done(result: object, error: str | None, name: str = name) -> None:
                stopped = self._workers[name].cancel.is_set() if name in self._workers else True
                if error:
                    self.train_finished.emit(name, False, error)
                elif stopped:
                    self.train_finished.emit(name, False, "cancelled")
                elif isinstance(result, TrainResult):
                    self.train_finished.emit(name, result.trained, result.message)
                else:
                    self.train_finished.emit(name, True, "")

            self.call(name, "train", full=full, on_done=done)
            started = True
        return started

    def cancel_training(self) -> None:
        """Ask every running training job to stop at its next check."""
        for worker in self._workers.values():
            worker.cancel.set()

    # ---- internals --------------------------------------------------------------------------

    def _unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self._workers:
            candidate, n = f"{name}-{n}", n + 1
        return candidate

    def _add_worker(self, name: str, factory: Callable[[], Plugin]) -> None:
        worker = PluginWorker(name, factory, self._context)
        worker.loaded.connect(self._on_loaded)
        worker.call_done.connect(self._on_call_done)
        worker.call_failed.connect(self._on_call_failed)
        worker.progressed.connect(self._on_progressed)
        self._workers[name] = worker
        self._states[name] = PluginState.LOADING
        worker.start()

    @Slot(str, str)
    def _on_loaded(self, name: str, error: str) -> None:
        if name not in self._states or self._states[name] is PluginState.CLOSED:
            return
        if error:
            self._states[name] = PluginState.FAILED
            self.plugin_failed.emit(name, error)
            self.status_message.emit(f"Plugin “{name}” could not be loaded and is skipped: {error}")
            return
        self._states[name] = PluginState.READY
        log.info("plugin %s loaded", name)
        self.plugin_loaded.emit(name)

    @Slot(int, object, str)
    def _on_call_done(self, request_id: int, result: object, error: str) -> None:
        callback = self._callbacks.pop(request_id, None)
        if callback is None:
            return
        try:
            callback(result, error or None)
        except Exception:
            log.exception("callback of plugin request %d raised", request_id)

    @Slot(str, str, str)
    def _on_call_failed(self, name: str, method: str, message: str) -> None:
        first = self._states.get(name) is PluginState.READY
        if first:
            self._states[name] = PluginState.DEGRADED
        self.plugin_failed.emit(name, f"{method}: {message}")
        if first:
            self.status_message.emit(
                f"Plugin “{name}” failed ({method}: {message}); playback continues without it"
            )

    @Slot(str, object)
    def _on_progressed(self, name: str, progress: TrainProgress) -> None:
        self.train_progress.emit(name, progress.done, progress.total, progress.message)
