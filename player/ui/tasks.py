"""Background work for the window: a pool that runs a function off the GUI thread and delivers
its result (or error, as a value) back on the GUI thread, and the library scan job.

Following Picard's ``util/thread.py``: the worker never touches a widget; results arrive through
Qt signals, which Qt queues onto the receiver's (GUI) thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

if TYPE_CHECKING:  # types only: the window must not import the database layer at start-up
    from player.scanner import ScanProgress, ScanReport
    from player.ui.library_access import LibraryAccess

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object, object)  # (result, error)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered as a value, logged here with its traceback
            log.exception("background task failed")
            self._relay.done.emit(None, exc)
        else:
            self._relay.done.emit(result, None)


class TaskRunner(QObject):
    """Runs callables on a small private thread pool; callbacks run on the GUI thread."""

    def __init__(self, parent: QObject | None = None, *, threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._relays: set[_Relay] = set()

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
        *,
        owner: QObject | None = None,
    ) -> None:
        """Run ``fn`` in the pool; then ``on_done(result)`` or ``on_error(exc)`` on this thread.

        A result that arrives after ``owner`` was deleted (its window closed) is dropped;
        ``owner`` is by default the object ``on_done`` is a method of.
        """
        if owner is None:
            bound = getattr(on_done, "__self__", None)
            owner = bound if isinstance(bound, QObject) else None
        relay = _Relay()
        self._relays.add(relay)

        def finish(result: Any, error: Exception | None) -> None:
            self._relays.discard(relay)
            if not shiboken6.isValid(self) or (owner is not None and not shiboken6.isValid(owner)):
                return  # nobody left to tell: the callbacks would touch deleted widgets
            if error is None:
                on_done(result)
            elif on_error is not None:
                on_error(error)

        relay.done.connect(finish)
        self._pool.start(_Task(fn, relay))

    def wait(self, msecs: int = -1) -> bool:
        """Wait for running tasks (on quit)."""
        return bool(self._pool.waitForDone(msecs))


class ScanJob(QObject):
    """Scans music folders on a worker thread, reporting progress and fresh rows as it goes.

    Signals:
        progressed(ScanProgress): another file was looked at.
        rows_loaded(object): the library as it stands, passed through the ``prepare`` function
            on the worker thread: while scanning at most every ``refresh_s``, and never sooner
            after one than four times what it took (a big library's reload is slow: reloading
            it at every file read held a scan of 1,000 new files into 100,000 tracks for over
            ten minutes), then once at the end.
        rows_changed(object): after a scan of only some paths, just the rows it changed
            (prepared), to merge into the table: reloading a big library at every change made
            by the folder watcher stalled the window for seconds.
        finished(ScanReport): the scan ended (``report.cancelled`` when cancelled).
        failed(str): the scan could not run.
    """

    progressed = Signal(object)
    rows_loaded = Signal(object)
    rows_changed = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        *,
        refresh_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._library: LibraryAccess | None = None
        self._prepare: Callable[[list[Any]], object] = lambda rows: rows
        self._refresh_s = refresh_s
        self._clock = clock
        self._stop = threading.Event()
        self._running = False
        self._background = False

    def attach(self, library: LibraryAccess) -> None:
        """Give the job its library (once the database is open)."""
        self._library = library

    def set_prepare(self, prepare: Callable[[list[Any]], object]) -> None:
        """Run ``prepare`` on fresh rows on the worker, before they are sent."""
        self._prepare = prepare

    @property
    def running(self) -> bool:
        """Whether a scan is in progress."""
        return self._running

    @property
    def background(self) -> bool:
        """Whether the running (or last) scan was started by the folder watcher, not the user."""
        return self._background

    def start(
        self,
        folders: Sequence[Path],
        *,
        paths: Sequence[Path] | None = None,
        background: bool = False,
    ) -> bool:
        """Start scanning ``folders`` (only ``paths`` under them, when given); False when a scan
        is already running. ``background``: nobody asked for it (the watcher, start-up)."""
        library = self._library
        if self._running or library is None:
            return False
        self._running = True
        self._background = background
        self._stop.clear()
        folders = list(folders)
        only = None if paths is None else list(paths)
        clock = self._clock
        next_refresh = [clock() + self._refresh_s]

        def progress(p: ScanProgress) -> None:
            self.progressed.emit(p)
            began = clock()
            if only is None and began >= next_refresh[0]:
                self.rows_loaded.emit(self._prepare(library.load_rows()))
                ended = clock()
                next_refresh[0] = ended + max(self._refresh_s, 4 * (ended - began))

        def work() -> tuple[ScanReport, object, bool]:
            stop = self._stop.is_set
            if only is None:
                report = library.scan(folders, progress=progress, should_stop=stop)
                return report, self._prepare(library.load_rows()), False
            report = library.scan(folders, progress=progress, should_stop=stop, paths=only)
            return report, self._prepare(library.load_rows_at(report.touched)), True

        self._runner.run(work, self._done, self._error)
        return True

    def cancel(self) -> None:
        """Ask the scan to stop after the current file."""
        self._stop.set()

    def _done(self, result: tuple[ScanReport, object, bool]) -> None:
        self._running = False
        if not shiboken6.isValid(self):  # the window was closed while the scan ran (quit)
            return
        report, rows, only_changed = result
        (self.rows_changed if only_changed else self.rows_loaded).emit(rows)
        self.finished.emit(report)

    def _error(self, exc: Exception) -> None:
        self._running = False
        if not shiboken6.isValid(self):
            return
        self.failed.emit(f"Scan failed: {exc}")
