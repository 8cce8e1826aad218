"""Qt models of the playlist pane: the playlists, and one playlist's entries (missing ones greyed
and marked, reordered by drag and drop)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from player.queue import TRACKS_MIME, TrackLike
from player.ui.library_rows import format_ms

if TYPE_CHECKING:  # types only: the window does not import the database layer at start-up
    from player.playlists.store import PlaylistInfo, PlaylistItem

ENTRIES_MIME = "application/x-segue-playlist-entries"
ItemRole = Qt.ItemDataRole.UserRole + 1
MISSING_MARK = "missing"
URL_MARK = "URL"

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class EntrySource:
    """A library track as a new playlist entry is made from it."""

    track_id: int
    path: str
    title: str
    artist: str
    album: str
    duration_ms: int | None


def entry_sources(tracks: Sequence[TrackLike]) -> list[EntrySource]:
    """Library tracks as new playlist entries."""
    return [EntrySource(t.id, t.path, t.title, t.artist, t.album, t.duration_ms) for t in tracks]


def _grey() -> QBrush:
    return QBrush(QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))


class PlaylistListModel(QAbstractListModel):
    """The playlists by name; editing a name asks for a rename.

    Signals:
        rename_requested(int, str): the user typed a new name for the playlist with this id.
    """

    rename_requested = Signal(int, str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._infos: list[PlaylistInfo] = []

    def set_playlists(self, infos: list[PlaylistInfo]) -> None:
        """Show ``infos`` (already sorted)."""
        self.beginResetModel()
        self._infos = list(infos)
        self.endResetModel()

    def playlist(self, row: int) -> PlaylistInfo | None:
        """The playlist at ``row``."""
        return self._infos[row] if 0 <= row < len(self._infos) else None

    def row_of(self, playlist_id: int) -> int:
        """The row of the playlist with this id, -1 when not listed."""
        return next((r for r, i in enumerate(self._infos) if i.id == playlist_id), -1)

    def infos(self) -> list[PlaylistInfo]:
        """The playlists in order."""
        return list(self._infos)

    def names(self) -> set[str]:
        """Every playlist's name."""
        return {i.name for i in self._infos}

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._infos)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        info = self.playlist(index.row()) if index.isValid() else None
        if info is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{info.name}  ({info.entries})"
        if role == Qt.ItemDataRole.EditRole:
            return info.name
        if role == Qt.ItemDataRole.ToolTipRole:
            missing = f", {info.missing} missing" if info.missing else ""
            return f"{info.name}\n{info.entries} entries{missing}"
        if role == ItemRole:
            return info
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        info = self.playlist(index.row()) if index.isValid() else None
        if info is None or role != Qt.ItemDataRole.EditRole:
            return False
        name = " ".join(str(value).split())
        if name and name != info.name:
            self.rename_requested.emit(info.id, name)
        return False  # the list changes once the database has the new name


COLUMNS = ("#", "Title", "Artist", "Length")  # a missing entry says so under Length
POSITION, TITLE, ARTIST, LENGTH = range(4)


class PlaylistEntriesModel(QAbstractTableModel):
    """One playlist's entries; a missing entry is greyed, marked and explains itself.

    Rows dragged within the view are moved here at once and ``moved`` asks for the move to be
    saved; library tracks dropped on it ask to be added.

    Signals:
        moved(list, int): entry ids moved to before row ``dest`` (as counted before the move).
        tracks_dropped(list, int): library track ids dropped before row ``dest``.
    """

    moved = Signal(list, int)
    tracks_dropped = Signal(list, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._items: list[PlaylistItem] = []
        self.playlist_id: int | None = None

    def set_items(self, playlist_id: int | None, items: list[PlaylistItem]) -> None:
        """Show ``items`` of the playlist ``playlist_id``."""
        self.beginResetModel()
        self.playlist_id = playlist_id
        self._items = list(items)
        self.endResetModel()

    def items(self) -> list[PlaylistItem]:
        """The entries in order."""
        return list(self._items)

    def item(self, row: int) -> PlaylistItem:
        """The entry at ``row``."""
        return self._items[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item, column = self._items[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, index.row(), column)
        if role == Qt.ItemDataRole.ForegroundRole and not item.available:
            return _grey()
        if role == Qt.ItemDataRole.DecorationRole and column == TITLE and not item.available:
            style = QApplication.style()
            return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (POSITION, LENGTH):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ItemRole:
            return item
        return None

    @staticmethod
    def _text(item: PlaylistItem, row: int, column: int) -> str:
        if column == POSITION:
            return str(row + 1)
        if column == TITLE:
            return item.title or item.path.rstrip("/").rsplit("/", 1)[-1]
        if column == ARTIST:
            return item.artist
        if not item.available:  # where the length would be: what is wrong
            return URL_MARK if item.is_url else MISSING_MARK
        return format_ms(item.duration_ms) if item.duration_ms else ""

    @staticmethod
    def _tooltip(item: PlaylistItem) -> str:
        if item.available:
            return item.path
        if item.is_url:
            return f"{item.path}\nA URL: Segue plays files from your library only."
        if item.track_id is None:
            why = "not in the library: it is attached when a scan finds the file"
        else:
            why = "the file is missing: it comes back when a scan finds it"
        return f"{item.path}\n{why.capitalize()}."

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return [ENTRIES_MIME, TRACKS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        ids = [self._items[r].entry_id for r in rows]
        mime.setData(ENTRIES_MIME, QByteArray(json.dumps(ids).encode()))
        return mime

    def dropMimeData(self, data, action, row: int, column: int, parent: _Index) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        dest = row if row >= 0 else (parent.row() if parent.isValid() else len(self._items))
        if data.hasFormat(ENTRIES_MIME):
            self.move(json.loads(bytes(data.data(ENTRIES_MIME).data()).decode()), dest)
            return False  # moved here already: the view must not remove the source rows
        if data.hasFormat(TRACKS_MIME) and self.playlist_id is not None:
            self.tracks_dropped.emit(
                json.loads(bytes(data.data(TRACKS_MIME).data()).decode()), dest
            )
            return True
        return False

    def move(self, entry_ids: list[int], dest: int) -> None:
        """Move entries to before row ``dest`` at once and ask for the move to be saved."""
        moving = set(entry_ids)
        picked = [i for i in self._items if i.entry_id in moving]
        if not picked:
            return
        shift = sum(1 for r, i in enumerate(self._items) if i.entry_id in moving and r < dest)
        kept = [i for i in self._items if i.entry_id not in moving]
        at = max(0, min(dest - shift, len(kept)))
        self.beginResetModel()
        self._items = kept[:at] + picked + kept[at:]
        self.endResetModel()
        self.moved.emit([i.entry_id for i in picked], dest)
