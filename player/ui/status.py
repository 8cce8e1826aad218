"""The status bar's parts: messages, a progress bar with Cancel for background jobs, a count."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton

log = logging.getLogger(__name__)


class StatusArea:
    """Messages and background progress in a window's status bar (one job shown at a time)."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.count_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the background job")
        self.cancel_button.clicked.connect(self._cancel)
        for w in (self.progress, self.cancel_button):
            bar.addPermanentWidget(w)
            w.hide()
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
        self.progress.setFormat(label)
        self.progress.show()
        self.cancel_button.setVisible(cancel is not None)

    def update_progress(self, done: int, total: int, label: str = "") -> None:
        """Move the progress bar."""
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if label:
            self.progress.setFormat(label)

    def end_progress(self) -> None:
        """Hide the progress bar."""
        self._on_cancel = None
        self.progress.hide()
        self.cancel_button.hide()

    def _cancel(self) -> None:
        if self._on_cancel is not None:
            self._on_cancel()
            self.progress.setFormat("Cancelling…")
