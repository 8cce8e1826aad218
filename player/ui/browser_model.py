"""The library browser's models: an artist -> album -> disc tree and an album grid with covers
loaded off the GUI thread; both over a :class:`BrowseIndex`, built lazily (nothing per row up
front, so 100,000 tracks cost no more to show than 100)."""

from __future__ import annotations

import bisect
import itertools
from collections import OrderedDict
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QAbstractItemModel, QAbstractListModel, QModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPixmap

from player.albums import AlbumKey
from player.ui.browser_index import Album, Artist, BrowseIndex, Cover, Disc
from player.ui.tasks import TaskRunner

TrackIdsRole = Qt.ItemDataRole.UserRole + 20  # tuple of track ids in play order; None: "All"
EntryRole = Qt.ItemDataRole.UserRole + 21  # the Artist / Album / Disc, None for "All"

EMPTY_INDEX = BrowseIndex((), (), 0)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable  # once: enum "|" is slow


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def all_label(index: BrowseIndex) -> str:
    """The text of the "All" entry."""
    return f"All ({_plural(len(index.albums), 'album')})"


class BrowseTreeModel(QAbstractItemModel):
    """ "All", then artists; an artist's albums; a multi-disc album's discs.

    An index's internal id names its parent: 0 for a top-level row, the top-level row number for
    an album, and ``1 + len(artists) + n`` for a disc of the n-th album of the library.
    """

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self._index = EMPTY_INDEX
        self._first_album: list[int] = [0]  # per artist: number of its first album
        self._bold = QFont()
        self._bold.setBold(True)

    def set_index(self, index: BrowseIndex) -> None:
        """Show ``index`` (a reset: the view's expansion and selection are the caller's)."""
        self.beginResetModel()
        self._index = index
        self._first_album = [0, *itertools.accumulate(len(a.albums) for a in index.artists)]
        self.endResetModel()

    @property
    def browse_index(self) -> BrowseIndex:
        return self._index

    def entry(self, index: QModelIndex) -> Artist | Album | Disc | None:
        """What ``index`` shows (None for "All" or an invalid index)."""
        if not index.isValid():
            return None
        parent_id = index.internalId()
        artists = self._index.artists
        if parent_id == 0:
            return artists[index.row() - 1] if index.row() > 0 else None
        if parent_id <= len(artists):
            return artists[parent_id - 1].albums[index.row()]
        return self._album(parent_id - 1 - len(artists)).discs[index.row()]

    def _album(self, number: int) -> Album:
        a = bisect.bisect_right(self._first_album, number) - 1
        return self._index.artists[a].albums[number - self._first_album[a]]

    def index_of(
        self, artist_key: str, album: AlbumKey | None = None, disc: int = 0
    ) -> QModelIndex:
        """The index of an artist (or one of its albums, or a disc of it); invalid if gone."""
        rows = [i for i, a in enumerate(self._index.artists) if a.key == artist_key]
        if not rows:
            return QModelIndex()
        top = self.index(rows[0] + 1, 0)
        if album is None:
            return top
        albums = self._index.artists[rows[0]].albums
        a = next((i for i, x in enumerate(albums) if x.key == album), -1)
        if a < 0:
            return top
        found = self.index(a, 0, top)
        if disc:
            d = next((i for i, x in enumerate(albums[a].discs) if x.number == disc), -1)
            return self.index(d, 0, found) if d >= 0 else found
        return found

    # -- Qt model --------------------------------------------------------------------------
    def index(self, row: int, column: int, parent=QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0 or row >= self.rowCount(parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, 0)
        if parent.internalId() == 0:
            return self.createIndex(row, 0, parent.row())
        number = self._first_album[parent.internalId() - 1] + parent.row()
        return self.createIndex(row, 0, 1 + len(self._index.artists) + number)

    def parent(self, index=QModelIndex()) -> QModelIndex:  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        parent_id = index.internalId()
        n_artists = len(self._index.artists)
        if parent_id <= n_artists:
            return self.createIndex(parent_id, 0, 0)
        number = parent_id - 1 - n_artists
        a = bisect.bisect_right(self._first_album, number) - 1
        return self.createIndex(number - self._first_album[a], 0, a + 1)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        # Called for every top-level row when the view lays out: the common cases go first.
        if not parent.isValid():
            return 1 + len(self._index.artists)
        parent_id, row = parent.internalId(), parent.row()
        if parent_id == 0:
            return len(self._index.artists[row - 1].albums) if row > 0 else 0
        if parent_id <= len(self._index.artists):
            return len(self._index.artists[parent_id - 1].albums[row].discs)
        return 0

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 1

    def hasChildren(self, parent=QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        entry = self.entry(index)
        if role == Qt.ItemDataRole.DisplayRole:
            if entry is None:
                return all_label(self._index)
            return entry.label
        if role == Qt.ItemDataRole.ToolTipRole:
            if isinstance(entry, Artist):
                albums = _plural(len(entry.albums), "album")
                return f"{albums}, {_plural(len(entry.track_ids), 'track')}"
            if isinstance(entry, Album | Disc):
                return _plural(len(entry.track_ids), "track")
            return _plural(self._index.track_count, "track")
        if role == Qt.ItemDataRole.FontRole and entry is None:
            return self._bold
        if role == TrackIdsRole:
            return None if entry is None else entry.track_ids
        if role == EntryRole:
            return entry
        return None

    def flags(self, index):
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags


class AlbumGridModel(QAbstractListModel):
    """ "All", then every album (by artist, then year) with its cover.

    Covers are read when the view first asks for one (only visible tiles are asked), in small
    batches on ``runner``'s threads through ``load``; the newest requests go first, so scrolling
    fast does not leave the tiles in view waiting behind ones scrolled past.
    """

    BATCH = 8
    WANTED = 64  # requests kept; older ones are asked again if their tiles are still shown
    KEPT = 600  # cover pixmaps kept in memory

    def __init__(
        self,
        runner: TaskRunner,
        load: Callable[[Cover], QImage | None],
        icon_size: int,
        parent: object | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._load = load
        self._size = icon_size
        self._index = EMPTY_INDEX
        self._rows: dict[AlbumKey, int] = {}
        self._covers: OrderedDict[AlbumKey, QPixmap | None] = OrderedDict()
        self._wanted: OrderedDict[AlbumKey, Cover] = OrderedDict()
        self._busy = False
        self._blank = self._placeholder()

    def set_index(self, index: BrowseIndex) -> None:
        """Show ``index``; covers already read are kept."""
        self.beginResetModel()
        self._index = index
        self._rows = {a.key: i + 1 for i, a in enumerate(index.albums)}
        self._wanted.clear()
        self.endResetModel()

    def album(self, row: int) -> Album | None:
        """The album at ``row`` (None for "All")."""
        return self._index.albums[row - 1] if row > 0 else None

    def row_of(self, key: AlbumKey) -> int:
        """Row of the album with ``key``; -1 when gone."""
        return self._rows.get(key, -1)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 1 + len(self._index.albums)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        album = self.album(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            if album is None:
                return all_label(self._index)
            return f"{album.title}\n{album.artist}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._blank if album is None else self._cover(album)
        if role == Qt.ItemDataRole.ToolTipRole and album is not None:
            year = f" ({album.year})" if album.year else ""
            return f"{album.title}{year}\n{album.artist}\n{_plural(len(album.track_ids), 'track')}"
        if role == TrackIdsRole:
            return None if album is None else album.track_ids
        if role == EntryRole:
            return album
        return None

    def flags(self, index):
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    # -- covers ----------------------------------------------------------------------------
    def _cover(self, album: Album) -> QPixmap:
        if album.cover is None:
            return self._blank
        if album.key in self._covers:
            self._covers.move_to_end(album.key)
            return self._covers[album.key] or self._blank
        self._wanted[album.key] = album.cover
        self._wanted.move_to_end(album.key)
        while len(self._wanted) > self.WANTED:
            self._wanted.popitem(last=False)
        self._pump()
        return self._blank

    def _pump(self) -> None:
        if self._busy or not self._wanted:
            return
        batch = [self._wanted.popitem() for _ in range(min(self.BATCH, len(self._wanted)))]
        load, size = self._load, QSize(self._size, self._size)

        def work() -> list[tuple[AlbumKey, QImage | None]]:
            out = []
            for key, cover in batch:
                image = load(cover)
                if image is not None and (
                    image.width() > size.width() or image.height() > size.height()
                ):
                    image = image.scaled(
                        size,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                out.append((key, image))
            return out

        self._busy = True
        self._runner.run(work, self._loaded, self._failed)

    def _loaded(self, images: list[tuple[AlbumKey, QImage | None]]) -> None:
        if not shiboken6.isValid(self):  # the window went while the covers were read
            return
        self._busy = False
        for key, image in images:
            self._covers[key] = None if image is None else QPixmap.fromImage(image)
            while len(self._covers) > self.KEPT:
                self._covers.popitem(last=False)
            row = self._rows.get(key, -1)
            if row >= 0:
                i = self.index(row, 0)
                self.dataChanged.emit(i, i, [Qt.ItemDataRole.DecorationRole])
        self._pump()

    def _failed(self, _exc: Exception) -> None:  # logged by the runner; the tiles stay blank
        if shiboken6.isValid(self):
            self._busy = False

    def _placeholder(self) -> QPixmap:
        pixmap = QPixmap(self._size, self._size)
        palette = QPalette()
        pixmap.fill(palette.color(QPalette.ColorRole.Midlight))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(palette.color(QPalette.ColorRole.Mid))
        painter.setPen(color)
        font = QFont()
        font.setPixelSize(self._size // 2)
        painter.setFont(font)
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "\u266a")
        painter.end()
        return pixmap
