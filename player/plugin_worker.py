"""One plugin's worker thread: loads the plugin there and runs its methods one at a time.

Jobs come in through a FIFO queue (:meth:`PluginWorker.submit`); answers and failures go back
as Qt signals, which the :class:`~player.plugin_host.PluginHost` receives on the GUI thread. A
method that raises is logged and reported, never raised into the player.
"""

from __future__ import annotations

import inspect
import logging
import queue
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from player.plugin_api import Plugin, PluginContext, Suggestion

log = logging.getLogger(__name__)

#: The job that asks for picks with spares (see :meth:`PluginWorker._candidates`).
CANDIDATES = "candidates"


@dataclass
class Job:
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    request_id: int = 0  # 0: nobody waits for the answer


STOP = Job(method="__stop__")


class PluginWorker(QThread):
    """The one thread a plugin's methods run on."""

    loaded = Signal(str, str)  # name, error ("" when it loaded)
    call_done = Signal(int, object, str)  # request id, result, error ("" on success)
    call_failed = Signal(str, str, str)  # name, method, message
    progressed = Signal(str, object)  # name, TrainProgress

    def __init__(
        self,
        name: str,
        factory: Callable[[], Plugin],
        context: PluginContext,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self._factory = factory
        self._context = context
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self.cancel = threading.Event()
        self.plugin: Plugin | None = None
        self.takes_after = False

    def submit(self, job: Job) -> None:
        self._jobs.put(job)

    def run(self) -> None:
        self._load()
        while True:
            job = self._jobs.get()
            if job is STOP:
                break
            self._run_job(job)

    def _load(self) -> None:
        try:
            plugin = self._factory()
            plugin.load(self._context)
        except Exception as exc:  # a broken plugin must never take the player down
            log.error("plugin %s could not be loaded:\n%s", self.name, traceback.format_exc())
            self.loaded.emit(self.name, f"{type(exc).__name__}: {exc}")
            return
        self.plugin = plugin
        try:
            self.takes_after = "after" in inspect.signature(plugin.suggest).parameters
        except (TypeError, ValueError):
            self.takes_after = False
        self.loaded.emit(self.name, "")

    def _run_job(self, job: Job) -> None:
        if self.plugin is None:
            if job.request_id:
                self.call_done.emit(job.request_id, None, f"plugin {self.name} is not available")
            return
        kwargs = dict(job.kwargs)
        if job.method == "train":
            self.cancel.clear()
            kwargs["progress"] = lambda p: self.progressed.emit(self.name, p)
            kwargs["should_stop"] = self.cancel.is_set
        if job.method == "suggest" and not self.takes_after:
            kwargs.pop("after", None)
        try:
            if job.method == "train" and kwargs.get("sessions") is None:
                # Reading the whole history is slow on a big library: done here, off the GUI.
                kwargs["sessions"] = list(self._context.load_sessions())
            if job.method == CANDIDATES:
                result: Any = self._candidates(*job.args, **kwargs)
            else:
                result = getattr(self.plugin, job.method)(*job.args, **kwargs)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            log.error("plugin %s failed in %s:\n%s", self.name, job.method, traceback.format_exc())
            self.call_failed.emit(self.name, job.method, message)
            if job.request_id:
                self.call_done.emit(job.request_id, None, message)
            return
        if job.request_id:
            self.call_done.emit(job.request_id, result, "")

    def _candidates(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        """The plugin's ``candidates`` when it has one, else its ``suggest`` picks one per slot.

        ``candidates(n, exclude, *, after, spares)`` is an optional extension of the plugin API:
        each slot's pick followed by up to ``spares`` alternatives for the same slot.
        """
        assert self.plugin is not None
        method = getattr(self.plugin, CANDIDATES, None)
        if callable(method):
            groups = method(n, exclude, after=tuple(after), spares=spares)
            return [list(group) for group in groups if group]
        kwargs: dict[str, Any] = {"after": tuple(after)} if self.takes_after else {}
        return [[pick] for pick in self.plugin.suggest(n, exclude, **kwargs)]


def same_plugin(plugin: Plugin) -> Plugin:
    return plugin


def from_entry_point(ep: EntryPoint) -> Plugin:
    """Import an entry point (on the worker thread) and build its plugin.

    The entry point names a Plugin subclass or a factory returning an instance.
    """
    obj = ep.load()
    instance = obj() if callable(obj) else obj
    if not isinstance(instance, Plugin):
        raise TypeError(f"{obj!r} is not a segue Plugin")
    return instance
