"""What the playlist pane asks the user and shows them: names, files, a confirmation, the
problems of an import; and the dock that holds the pane."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

if TYPE_CHECKING:
    from player.playlists.import_export import ImportReport
    from player.ui.playlists_pane import PlaylistsPane

FILE_FILTER = "Playlists (*.m3u *.m3u8 *.xspf);;All files (*)"


def ask_name(parent: QWidget, title: str, suggested: str) -> str | None:
    """A playlist name, or None when the user cancels."""
    name, ok = QInputDialog.getText(parent, title, "Name:", text=suggested)
    return name if ok else None


def ask_playlist(parent: QWidget, names: list[str], current: str | None, count: int) -> str | None:
    """The name of a playlist to add ``count`` tracks to: one of ``names`` or a new one."""
    start = names.index(current) if current in names else 0
    name, ok = QInputDialog.getItem(
        parent, "Add to Playlist", f"Add {count} tracks to the playlist (or type a new name):",
        names, start, True,
    )  # fmt: skip
    return name.strip() if ok and name.strip() else None


def ask_import_path(parent: QWidget) -> Path | None:
    """A playlist file to import."""
    chosen, _ = QFileDialog.getOpenFileName(parent, "Import Playlist", "", FILE_FILTER)
    return Path(chosen) if chosen else None


def ask_export_path(parent: QWidget, name: str) -> Path | None:
    """Where to export the playlist called ``name`` (its suffix chooses the format)."""
    chosen, _ = QFileDialog.getSaveFileName(parent, "Export Playlist", f"{name}.m3u8", FILE_FILTER)
    return Path(chosen) if chosen else None


def confirm_delete(parent: QWidget, name: str) -> bool:
    """Whether the user really wants the playlist called ``name`` deleted."""
    text = f"Delete the playlist “{name}”?\nIts tracks stay in the library."
    answer = QMessageBox.question(parent, "Delete Playlist", text)
    return answer == QMessageBox.StandardButton.Yes


def show_import_problems(parent: QWidget, path: Path, report: ImportReport) -> QMessageBox:
    """A box (not modal to the event loop) listing what could not be read, by line."""
    lines = [f"line {p.line}: {p.message}" if p.line else p.message for p in report.problems]
    more = report.problems_total - len(report.problems)
    if more:
        lines.append(f"… and {more} more")
    text = f"Some of {path.name} could not be read; the rest was imported."
    box = QMessageBox(
        QMessageBox.Icon.Warning, "Import Playlist", text, QMessageBox.StandardButton.Ok, parent
    )
    box.setDetailedText("\n".join(lines))
    box.setObjectName("playlist-import-problems")
    box.open()
    return box


def add_dock(
    window: QMainWindow, pane: PlaylistsPane, file_menu: QMenu, view_menu: QMenu
) -> QDockWidget:
    """Put the pane in a dock at the window's left, its file actions at the top of
    ``file_menu`` and the dock's show/hide toggle in ``view_menu``."""
    dock = QDockWidget("Playlists", window)
    dock.setObjectName("playlists-dock")
    dock.setWidget(pane)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    window.resizeDocks([dock], [270], Qt.Orientation.Horizontal)
    first = file_menu.actions()[0] if file_menu.actions() else None
    a = pane.actions_by_name
    file_menu.insertActions(first, [a["save_queue"], a["import"], a["export"]])
    file_menu.insertSeparator(first)
    view_menu.addAction(dock.toggleViewAction())
    return dock
