"""File → Import Listening History…: choose exports, import them off the GUI thread with
progress and cancel, then a summary box (counts, most-played unmatched artists and tracks)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from player.ui.tasks import TaskRunner

if TYPE_CHECKING:  # types only: the window never imports the database layer itself
    from player.history_import.report import ImportSummary
    from player.history_import.store import ImportProgress

#: ``(paths, progress, should_stop) -> summary``, run on a worker thread (``app.py`` binds it
#: to the library).
Importer = Callable[
    [Sequence[Path], Callable[["ImportProgress"], None], Callable[[], bool]], "ImportSummary"
]

EXPORT_FILTER = "Listening history (*.csv *.json *.jsonl *.zip *.txt);;All files (*)"


class ImportJob(QObject):
    """Runs one import at a time on the task runner.

    Signals:
        progressed(int, int, str): done, total, what is being done.
        finished(object): the ``ImportSummary``.
        failed(str): the import stopped (cancelled, or the library could not be written);
            nothing of it was kept.
    """

    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, importer: Importer, parent: QObject | None = None):
        super().__init__(parent)
        self._runner = runner
        self._importer = importer
        self._stop = threading.Event()
        self.running = False

    def start(self, paths: Sequence[Path]) -> bool:
        """Import ``paths``; False when an import is already running."""
        if self.running:
            return False
        self.running = True
        self._stop.clear()
        paths = list(paths)

        def progress(p: ImportProgress) -> None:
            self.progressed.emit(p.done, p.total, p.text)

        def work() -> ImportSummary:
            return self._importer(paths, progress, self._stop.is_set)

        self._runner.run(work, self._done, self._error)
        return True

    def cancel(self) -> None:
        """Stop the import; nothing of it is kept."""
        self._stop.set()

    def _done(self, summary: ImportSummary) -> None:
        self.running = False
        self.finished.emit(summary)

    def _error(self, error: Exception) -> None:
        self.running = False
        if self._stop.is_set():
            self.failed.emit("Import cancelled; nothing was imported.")
        else:
            self.failed.emit(f"Import failed, nothing was imported: {error}")


class ExportChooser(QFileDialog):
    """A file dialog that accepts export files, zips and folders alike (Open on a folder takes
    the folder instead of entering it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "Import Listening History", str(Path.home()), EXPORT_FILTER)
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.setFileMode(QFileDialog.FileMode.ExistingFiles)

    def accept(self) -> None:
        """Take a chosen folder as it is; files as the dialog does."""
        if any(Path(p).is_dir() for p in self.selectedFiles()):
            QDialog.accept(self)
        else:
            super().accept()


def choose_exports(parent: QWidget) -> list[Path]:
    """Ask for exports (files, zips or folders); empty when cancelled."""
    chooser = ExportChooser(parent)
    if chooser.exec() != QDialog.DialogCode.Accepted:
        return []
    return [Path(p) for p in chooser.selectedFiles()]


def summary_text(summary: ImportSummary) -> tuple[str, str]:
    """The summary box's text and its details (the most-played unmatched)."""
    weaker = f" ({summary.weaker:,} by a weaker match)" if summary.weaker else ""
    lines = [
        f"Imported {summary.plays_added:,} plays from {summary.files} file(s).",
        "",
        f"Entries read: {summary.entries:,}",
        f"Matched to your files: {summary.matched:,}{weaker}",
        f"Not in your library: {summary.unmatched:,} (kept: a scan that finds them adds them)",
        f"Already imported or in history: {summary.duplicate:,}",
        f"Not plays (podcasts, now playing): {summary.ignored:,}",
        f"Unreadable entries: {summary.error:,}",
    ]
    lines += ["", *summary.problems] if summary.problems else []
    details: list[str] = []
    if summary.unmatched_artists:
        details.append("Most-played artists not in your library:")
        details += [f"  {n:6,}  {artist}" for artist, n in summary.unmatched_artists]
        details += ["", "Most-played tracks not in your library:"]
        details += [f"  {n:6,}  {a} – {t}" for a, t, n in summary.unmatched_tracks]
    return "\n".join(lines), "\n".join(details)


def summary_box(parent: QWidget, summary: ImportSummary) -> QMessageBox:
    """A message box with the summary (shown with ``open()``: it does not block)."""
    text, details = summary_text(summary)
    box = QMessageBox(QMessageBox.Icon.Information, "Listening history imported", text,
                      QMessageBox.StandardButton.Ok, parent)  # fmt: skip
    if details:
        box.setDetailedText(details)
    return box


class ImportAction(QObject):
    """File → Import Listening History…, with the window's progress bar and cancel.

    Signals:
        imported(int): an import added this many plays (radio should retrain).
    """

    imported = Signal(int)

    def __init__(
        self,
        window,
        runner: TaskRunner,
        importer: Importer,
        choose: Callable[[QWidget], list[Path]] = choose_exports,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._choose = choose
        self.job = ImportJob(runner, importer, self)
        self.action = QAction("&Import Listening History…", window)
        self.action.setStatusTip("Import plays exported from Last.fm, Spotify or ListenBrainz")
        self.action.triggered.connect(self.choose_and_start)
        self.job.progressed.connect(self._progressed)
        self.job.finished.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.box: QMessageBox | None = None
        self._waiting: list[Path] = []
        window.library_scanned.connect(self._scan_finished)
        window.scan_job.failed.connect(self._scan_finished)
        window.menus["file"].insertAction(window.actions_by_name["quit"], self.action)
        window.menus["file"].insertSeparator(window.actions_by_name["quit"])

    def choose_and_start(self) -> None:
        """Ask for exports, then import them."""
        paths = self._choose(self._window)
        if paths:
            self.start(paths)

    def start(self, paths: Sequence[Path]) -> None:
        """Import ``paths`` in the background (after the scan running now, if one is: the
        import matches against every file it finds, and the two share the progress bar)."""
        if self._window.scan_job.running:
            self.action.setEnabled(False)
            self._waiting = list(paths)
            self._window.show_message("The import starts when the scan finishes.", 0)
            return
        if not self.job.start(paths):
            self._window.show_message("An import is already running.")
            return
        self.action.setEnabled(False)
        self._window.begin_progress("Importing listening history…", self.job.cancel)

    def _scan_finished(self, _report: object) -> None:
        waiting, self._waiting = self._waiting, []
        if waiting:
            self.start(waiting)

    def _progressed(self, done: int, total: int, text: str) -> None:
        self._window.update_progress(done, total, text)

    def _finished(self, summary: ImportSummary) -> None:
        self.action.setEnabled(True)
        self._window.end_progress()
        self.box = summary_box(self._window, summary)
        self.box.open()
        if summary.plays_added:
            self._window.reload_library()  # the play counts
            self.imported.emit(summary.plays_added)

    def _failed(self, message: str) -> None:
        self.action.setEnabled(True)
        self._window.end_progress()
        self._window.show_message(message, 0)
