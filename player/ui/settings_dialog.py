"""The settings dialog: music folders, watching them, ReplayGain and desktop notifications."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from player.replaygain import GainMode
from player.ui.settings_store import Options

GAIN_MODE_LABELS = {
    GainMode.OFF: "Off",
    GainMode.TRACK: "Track gain",
    GainMode.ALBUM: "Album gain",
    GainMode.AUTO: "Automatic (album gain when an album plays through)",
}


def default_music_dir() -> Path:
    """The XDG music folder (``~/Music`` when it is not configured)."""
    from PySide6.QtCore import QStandardPaths

    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MusicLocation)
    return Path(found) if found else Path.home() / "Music"


class SettingsDialog(QDialog):
    """Music folders and options; :meth:`folders` and :meth:`options` hold the result."""

    def __init__(
        self, folders: list[Path], parent: QWidget | None = None, options: Options | None = None
    ) -> None:
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
        options = options or Options()
        self.watch = QCheckBox("Keep the library up to date: rescan at start, watch for changes")
        self.watch.setChecked(options.watch)
        self.replaygain = QComboBox()
        for mode, label in GAIN_MODE_LABELS.items():
            self.replaygain.addItem(label, str(mode))
        self.replaygain.setCurrentIndex(self.replaygain.findData(str(options.replaygain)))
        self.notifications = QCheckBox("Show a desktop notification when a new track starts")
        self.notifications.setChecked(options.notifications)
        form = QFormLayout()
        form.addRow(self.watch)
        form.addRow("ReplayGain:", self.replaygain)
        form.addRow(self.notifications)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def folders(self) -> list[Path]:
        """The folders listed."""
        return [Path(self.list.item(i).text()) for i in range(self.list.count())]

    def options(self) -> Options:
        """The options as set in the dialog."""
        return Options(
            watch=self.watch.isChecked(),
            replaygain=GainMode.parse(self.replaygain.currentData()),
            notifications=self.notifications.isChecked(),
        )

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
