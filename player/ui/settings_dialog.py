"""The settings dialog: which music folders the library is scanned from."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def default_music_dir() -> Path:
    """The XDG music folder (``~/Music`` when it is not configured)."""
    from PySide6.QtCore import QStandardPaths

    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MusicLocation)
    return Path(found) if found else Path.home() / "Music"


class SettingsDialog(QDialog):
    """Add and remove music folders; :meth:`folders` holds the result after ``accept``."""

    def __init__(self, folders: list[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Segue — Settings")
        self.setMinimumWidth(480)
        self.list = QListWidget()
        self.list.addItems([str(f) for f in folders])
        add = QPushButton("Add folder…")
        remove = QPushButton("Remove")
        add.clicked.connect(self._choose)
        remove.clicked.connect(self._remove_selected)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        side = QVBoxLayout()
        side.addWidget(add)
        side.addWidget(remove)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Music folders (scanned for audio files):"))
        layout.addLayout(row)
        layout.addWidget(
            QLabel("Tracks from a removed folder stay in your history; rescan to update.")
        )
        layout.addWidget(buttons)

    def folders(self) -> list[Path]:
        """The folders listed."""
        return [Path(self.list.item(i).text()) for i in range(self.list.count())]

    def add_folder(self, folder: Path) -> None:
        """Add ``folder`` unless it is listed already."""
        if str(folder) not in {f.as_posix() for f in self.folders()}:
            self.list.addItem(str(folder))

    def _choose(self) -> None:
        start = self.folders()[-1] if self.folders() else default_music_dir()
        chosen = QFileDialog.getExistingDirectory(self, "Add music folder", str(start))
        if chosen:
            self.add_folder(Path(chosen))

    def _remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
