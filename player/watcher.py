"""Watching the music folders while Segue runs: changes gathered off the GUI thread (watchdog),
debounced into scans of only the changed paths."""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from player.covers import IMAGE_SUFFIXES
from player.tags import AUDIO_SUFFIXES

log = logging.getLogger(__name__)
# A folder created during a copy gets its watch from both its creation event and watchdog's
# recursive walk; watchdog warns (with its whole watch table in the message) and keeps one.
warnings.filterwarnings(
    "ignore", message="Callback with id", category=RuntimeWarning, module="watchdog"
)

QUIET_MS = 1000  # a batch is scanned once no change came for this long...
MAX_WAIT_MS = 4000  # ...or this long after its first change (a long copy shows up as it goes)
FOLDER_AFTER_FILES = 50  # more changed files than this in one folder: the folder is walked
# Events that never change what a scan would find.
_IGNORED = frozenset({"opened", "closed_no_write"})
_DIR_EVENTS = frozenset({"created", "deleted", "moved"})


class Scanner(Protocol):
    """What the watcher needs of the window's scan job (``player.ui.tasks.ScanJob`` has it)."""

    @property
    def running(self) -> bool:
        """Whether a scan is in progress."""
        ...

    @property
    def finished(self) -> SignalInstance:
        """Emitted when a scan ended."""
        ...

    @property
    def failed(self) -> SignalInstance:
        """Emitted when a scan could not run."""
        ...

    def start(
        self, folders: Sequence[Path], *, paths: Sequence[Path] | None = None, background: bool
    ) -> bool:
        """Start a scan; False when one is running."""
        ...


def changed_paths(event: FileSystemEvent) -> list[str]:
    """The paths a scan should look at after ``event``: audio files and folders that appeared,
    vanished or moved (both ends of a move), and the folder of a cover image."""
    if event.event_type in _IGNORED:
        return []
    raw = [event.src_path, event.dest_path] if event.event_type == "moved" else [event.src_path]
    paths = [os.fsdecode(p) for p in raw if p]
    if event.is_directory:
        return paths if event.event_type in _DIR_EVENTS else []
    found: list[str] = []
    for path in paths:
        suffix = os.path.splitext(path)[1].lower()
        if suffix in AUDIO_SUFFIXES:
            found.append(path)
        elif suffix in IMAGE_SUFFIXES:
            found.append(os.path.dirname(path))
    return found


def coalesce(paths: Sequence[str], limit: int = FOLDER_AFTER_FILES) -> list[Path]:
    """``paths`` with the files of a folder that has more than ``limit`` of them replaced by the
    folder (one listing instead of thousands of look-ups; it also catches events the kernel
    dropped in a burst)."""
    by_folder: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        by_folder[os.path.dirname(path)].append(path)
    result: list[Path] = []
    for folder, members in by_folder.items():
        if len(members) > limit:
            result.append(Path(folder))
        else:
            result.extend(Path(p) for p in members)
    return result


class _Collector(FileSystemEventHandler):
    """Gathers changed paths on watchdog's thread; ``on_first`` is called when a batch begins."""

    def __init__(self, on_first: SignalInstance) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._first = 0.0
        self._last = 0.0
        self._on_first = on_first

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = changed_paths(event)
        if not paths:
            return
        now = time.monotonic()
        with self._lock:
            fresh = not self._paths
            self._paths.update(paths)
            self._last = now
            if fresh:
                self._first = now
        if fresh:
            self._on_first.emit()

    def due_in(self, quiet_s: float, max_wait_s: float) -> float | None:
        """Seconds until the batch should be scanned (<= 0: now); None when nothing is pending."""
        with self._lock:
            if not self._paths:
                return None
            return min(self._last + quiet_s, self._first + max_wait_s) - time.monotonic()

    def take(self) -> list[str]:
        """The batch's paths; the next change begins a new batch."""
        with self._lock:
            paths, self._paths = sorted(self._paths), set()
        return paths


class FolderWatcher(QObject):
    """Watches music folders and scans what changed, one scan at a time, off the GUI thread.

    Signals:
        message(str): a line for the status bar (a folder could not be watched).
        watching(list): the kernel watches of these folders are in place.
    """

    message = Signal(str)
    watching = Signal(list)
    _batch_began = Signal()  # emitted on watchdog's thread, delivered on this object's thread

    def __init__(
        self,
        scanner: Scanner,
        *,
        quiet_ms: int = QUIET_MS,
        max_wait_ms: int = MAX_WAIT_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._scanner = scanner
        self._quiet_s = quiet_ms / 1000
        self._max_wait_s = max_wait_ms / 1000
        self._folders: list[Path] = []
        self._closed = False
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self._collector = _Collector(self._batch_began)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._due)
        self._batch_began.connect(self._begin_batch)
        scanner.finished.connect(self._scan_ended)
        scanner.failed.connect(self._scan_ended)

    @property
    def folders(self) -> list[Path]:
        """The folders being watched."""
        return list(self._folders)

    def watch(self, folders: Sequence[Path]) -> None:
        """Watch ``folders`` (recursively) from now on; an empty list stops watching.

        The kernel's watches are added on a worker thread (one per folder of a big tree).
        """
        folders = list(dict.fromkeys(Path(f) for f in folders))
        if folders == self._folders or self._closed:
            return
        self.stop()
        self._folders = folders
        if not folders:
            return
        observer = Observer()
        observer.daemon = True
        observer.start()
        self._observer = observer

        def schedule() -> None:
            for folder in folders:
                if self._observer is not observer:
                    return  # stopped meanwhile
                try:
                    observer.schedule(self._collector, str(folder), recursive=True)
                except OSError as error:  # missing folder, or the kernel's watch limit
                    log.warning("Cannot watch %s: %s", folder, error)
                    reason = error.strerror or str(error)
                    self.message.emit(f"Cannot watch {folder} for changes: {reason}")
                except Exception:  # e.g. the observer stopped under us: nothing to watch
                    log.exception("Cannot watch %s", folder)
            log.info("Watching %s", ", ".join(map(str, folders)))
            self.watching.emit(folders)

        threading.Thread(target=schedule, name="segue-watch-setup", daemon=True).start()

    def stop(self) -> None:
        """Stop watching (on quit, or when the setting is turned off); pending changes are
        dropped (the next start's rescan finds them)."""
        observer, self._observer = self._observer, None
        self._folders = []
        self._timer.stop()
        self._collector.take()
        if observer is not None:
            observer.stop()
            observer.join(5)

    def close(self) -> None:
        """Stop watching for good (on quit: a scan ending later must not start it again)."""
        self._closed = True
        self.stop()

    def _begin_batch(self) -> None:
        if not self._timer.isActive():
            self._timer.start(round(self._quiet_s * 1000))

    def _due(self) -> None:
        wait = self._collector.due_in(self._quiet_s, self._max_wait_s)
        if wait is None or self._observer is None:
            return
        if wait > 0:
            self._timer.start(max(1, round(wait * 1000)))
            return
        if self._scanner.running:
            return  # _scan_ended comes back
        paths = coalesce(self._collector.take())
        log.debug("Scanning %d changed paths", len(paths))
        self._scanner.start(self._folders, paths=paths, background=True)

    def _scan_ended(self, *_args: object) -> None:
        if not self._timer.isActive():
            self._timer.start(0)
