"""The files the last scan could not read, each with its reason (opened from the status bar)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from player.paths import printable


class UnreadableDialog(QDialog):
    """File and reason, one row each; Copy puts the list on the clipboard."""

    def __init__(self, failed: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files Segue could not read")
        self.resize(760, 360)
        n = len(failed)
        intro = QLabel(
            f"The last scan could not read {n:,} {'file' if n == 1 else 'files'}. "
            "They are not in the library; fix or remove them and rescan (F5)."
        )
        intro.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["File", "Reason"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        for path, reason in failed:
            item = QTreeWidgetItem([printable(path), reason])
            item.setToolTip(0, printable(path))
            item.setToolTip(1, reason)
            self.list.addTopLevelItem(item)
        self.list.resizeColumnToContents(0)
        self.list.setColumnWidth(0, min(self.list.columnWidth(0), 480))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy List", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def text(self) -> str:
        """The list as lines of ``file: reason``."""
        rows = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return "\n".join(f"{item.text(0)}: {item.text(1)}" for item in rows if item is not None)
