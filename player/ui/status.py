"""The status bar's parts: messages, background progress with Cancel, unreadable files, a count."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton

from player.ui.unreadable import UnreadableDialog

log = logging.getLogger(__name__)


class StatusArea:
    """Messages and background progress in a window's status bar (one job shown at a time)."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.count_label = QLabel("")
        # What the job is doing, in words, beside a bar that shows only the percentage: a label
        # takes the width its words need (a bar clipped and wrapped them).
        self.progress_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setFixedWidth(120)
        self.progress.setTextVisible(True)
        self.unreadable_button = QToolButton()
        self.unreadable_button.setAutoRaise(True)
        self.unreadable_button.setToolTip("Show the files the last scan could not read, and why")
        self.unreadable_button.clicked.connect(self.show_unreadable)
        self.unreadable_button.hide()
        self._unreadable: list[tuple[str, str]] = []
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the background job")
        self.cancel_button.clicked.connect(self._cancel)
        for w in (self.progress_label, self.progress, self.cancel_button):
            bar.addPermanentWidget(w)
            w.hide()
        bar.addPermanentWidget(self.unreadable_button)
        bar.addPermanentWidget(self.count_label)
        self._on_cancel: Callable[[], None] | None = None

    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        """Show ``text`` (0: until replaced)."""
        log.info("status: %s", text)
        self.bar.showMessage(text, timeout_ms)

    def begin_progress(self, label: str, cancel: Callable[[], None] | None = None) -> None:
        """Show a busy progress bar; ``cancel`` (if given) is called by the Cancel button."""
        self._on_cancel = cancel
        self.progress.setRange(0, 0)
        self.progress.setFormat("%p%")
        self.progress_label.setText(label)
        self.progress_label.show()
        self.progress.show()
        self.cancel_button.setVisible(cancel is not None)

    def update_progress(self, done: int, total: int, label: str = "") -> None:
        """Move the progress bar."""
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if label:
            self.progress_label.setText(label)

    def end_progress(self) -> None:
        """Hide the progress bar."""
        self._on_cancel = None
        self.progress_label.hide()
        self.progress.hide()
        self.cancel_button.hide()

    def set_unreadable(self, failed: Sequence[tuple[str, str]]) -> None:
        """Offer the list of files a scan could not read (hidden when there are none)."""
        self._unreadable = list(failed)
        n = len(self._unreadable)
        self.unreadable_button.setText(f"{n:,} unreadable…")
        self.unreadable_button.setVisible(n > 0)

    def add_unreadable(self, failed: Sequence[tuple[str, str]]) -> None:
        """Add files a later scan could not read (one listed already takes its new reason)."""
        merged = dict(self._unreadable)
        merged.update(failed)
        self.set_unreadable(list(merged.items()))

    def show_unreadable(self) -> UnreadableDialog:
        """Open the list of unreadable files with their reasons."""
        dialog = UnreadableDialog(self._unreadable, self.bar.window())
        dialog.setObjectName("unreadable-files")
        dialog.open()
        return dialog

    def _cancel(self) -> None:
        if self._on_cancel is not None:
            self._on_cancel()
            self.progress_label.setText("Cancelling…")
