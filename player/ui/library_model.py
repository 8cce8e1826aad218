"""The library table: a QAbstractTableModel over TrackRow records and its search/sort proxy.

The model keeps a precomputed lowercase "haystack" (title, artist, album) per row so search-as-
you-type stays fast with 100,000 rows; sorting is done by the source model with Python keys
(one pass, not one Python call per comparison), the proxy only filters.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QPalette

from player.library import TrackRow
from player.queue import TRACKS_MIME

log = logging.getLogger(__name__)

COLUMNS = ("Title", "Artist", "Album", "#", "Time", "Genre", "Year", "Plays")
TITLE, ARTIST, ALBUM, TRACKNO, TIME, GENRE, YEAR, PLAYS = range(len(COLUMNS))
_NUMERIC = {TRACKNO, TIME, YEAR, PLAYS}

TrackRole = Qt.ItemDataRole.UserRole + 10
TrackIdRole = Qt.ItemDataRole.UserRole + 11
SortKeyRole = Qt.ItemDataRole.UserRole + 12


def format_ms(ms: int | None) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration, empty when unknown."""
    if ms is None or ms < 0:
        return ""
    s = ms // 1000
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def haystack(row: TrackRow) -> str:
    """The lowercase text searched for ``row``."""
    return f"{row.title}\n{row.artist}\n{row.album}\n{row.album_artist}".casefold()


def _num(v: int | None) -> tuple[bool, int]:
    return (v is None, v or 0)


def sort_key(row: TrackRow, column: int) -> tuple[object, ...]:
    """Key for sorting by ``column``; ties fall back to artist, album, disc, track."""
    album_order = (row.album.casefold(), _num(row.disc_number), _num(row.track_number))
    tail = (row.artist.casefold(), *album_order, row.title.casefold())
    value: object
    if column == TITLE:
        value = row.title.casefold() or row.path.casefold()
    elif column == ARTIST:
        return tail
    elif column == ALBUM:
        return (*album_order, row.artist.casefold())
    elif column == TRACKNO:
        value = _num(row.track_number)
    elif column == TIME:
        value = _num(row.duration_ms)
    elif column == GENRE:
        value = row.genre.casefold()
    elif column == YEAR:
        value = _num(row.year)
    else:
        value = -row.play_count
    return (value, *tail)


class LibraryModel(QAbstractTableModel):
    """Every track of the library, unavailable ones greyed.

    Signals:
        rows_about_to_change(): emitted before rows are replaced (caches keyed on rows drop).
    """

    rows_about_to_change = Signal()

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TrackRow] = []
        # Parallel lists, mutated in place so the proxy can hold references to them.
        self.track_ids: list[int] = []
        self.haystacks: list[str] = []
        self._by_id: dict[int, int] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._grey = QBrush(QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        self._italic = QFont()
        self._italic.setItalic(True)

    # -- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in _NUMERIC:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            return None if row.available else self._grey
        if role == Qt.ItemDataRole.FontRole:
            return None if row.available else self._italic
        if role == Qt.ItemDataRole.TextAlignmentRole and col in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.path if row.available else f"Missing: {row.path}"
        if role == TrackRole:
            return row
        if role == TrackIdRole:
            return row.id
        if role == SortKeyRole:
            return str(sort_key(row, col))
        return None

    @staticmethod
    def _display(row: TrackRow, col: int) -> str:
        if col == TITLE:
            return row.title or row.path.rsplit("/", 1)[-1]
        if col == ARTIST:
            return row.artist
        if col == ALBUM:
            return row.album
        if col == TRACKNO:
            return "" if row.track_number is None else str(row.track_number)
        if col == TIME:
            return format_ms(row.duration_ms)
        if col == GENRE:
            return row.genre
        if col == YEAR:
            return "" if row.year is None else str(row.year)
        return str(row.play_count) if row.play_count else ""

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def mimeTypes(self) -> list[str]:
        return [TRACKS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        ids: list[int] = []
        for i in sorted({i.row() for i in indexes if i.isValid()}):
            ids.append(self._rows[i].id)
        mime = QMimeData()
        mime.setData(TRACKS_MIME, QByteArray(json.dumps(ids).encode()))
        return mime

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort rows by ``column`` (keeps selections through persistent indexes)."""
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        old_ids = list(self.track_ids)
        self._rows.sort(
            key=lambda r: sort_key(r, column),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        self._reindex()
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent,
            [self.index(self._by_id[old_ids[p.row()]], p.column()) for p in persistent],
        )
        self.layoutChanged.emit()

    # -- content ---------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[TrackRow]) -> None:
        """Show ``rows``; when they extend the current rows (a scan in progress), only the new
        ones are inserted and changed ones refreshed, so the view keeps its place."""
        rows = list(rows)
        if self._sort is not None:
            column, order = self._sort
            rows.sort(
                key=lambda r: sort_key(r, column),
                reverse=order == Qt.SortOrder.DescendingOrder,
            )
        self.rows_about_to_change.emit()
        old = {r.id for r in self._rows}
        if self._rows and old <= {r.id for r in rows}:
            self._extend(rows)
            return
        self.beginResetModel()
        self._rows = rows
        self._reindex()
        self.endResetModel()

    def _extend(self, rows: list[TrackRow]) -> None:
        known = self._by_id
        for r in rows:
            i = known.get(r.id)
            if i is not None and self._rows[i] != r:
                self._replace(i, r)
        new = [r for r in rows if r.id not in known]
        if new:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            self._rows.extend(new)
            self._reindex()
            self.endInsertRows()

    def _replace(self, i: int, row: TrackRow) -> None:
        self._rows[i] = row
        self.haystacks[i] = haystack(row)
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def _reindex(self) -> None:
        self.track_ids[:] = [r.id for r in self._rows]
        self.haystacks[:] = [haystack(r) for r in self._rows]
        self._by_id = {tid: i for i, tid in enumerate(self.track_ids)}

    def resort(self) -> None:
        """Sort again by the last sort column (after a scan appended rows)."""
        if self._sort is not None:
            self.sort(*self._sort)

    def row(self, i: int) -> TrackRow:
        """The track at source row ``i``."""
        return self._rows[i]

    def rows(self) -> list[TrackRow]:
        """Every track, in the model's order."""
        return list(self._rows)

    def track(self, track_id: int) -> TrackRow | None:
        """The track with ``track_id``."""
        i = self._by_id.get(track_id)
        return None if i is None else self._rows[i]

    def tracks(self, track_ids: Sequence[int]) -> list[TrackRow]:
        """Tracks for ``track_ids`` in that order (unknown ids left out)."""
        return [t for t in (self.track(i) for i in track_ids) if t is not None]

    def source_row(self, track_id: int) -> int:
        """Source row of ``track_id``, -1 when unknown."""
        return self._by_id.get(track_id, -1)

    def mark_unavailable(self, track_id: int) -> None:
        """Grey a track whose file is gone."""
        i = self._by_id.get(track_id)
        if i is not None and self._rows[i].available:
            self._replace(i, replace(self._rows[i], available=False))

    def count_finished_play(self, track_id: int) -> None:
        """Add one finished play to a track's count."""
        i = self._by_id.get(track_id)
        if i is not None:
            self._replace(i, replace(self._rows[i], play_count=self._rows[i].play_count + 1))


class LibraryFilterProxy(QSortFilterProxyModel):
    """Filters the library by search words (all must occur in title/artist/album).

    Sorting is forwarded to the source model (one Python sort instead of a Python call per
    comparison); the proxy keeps the source's order.
    """

    def __init__(self, source: LibraryModel, parent: object | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._terms: list[str] = []
        self._hits: dict[int, bool] = {}
        self.setSourceModel(source)
        source.rows_about_to_change.connect(self._forget_hits)

    @property
    def search_text(self) -> str:
        """The words searched for, space separated."""
        return " ".join(self._terms)

    def set_search(self, text: str) -> None:
        """Show only rows whose title, artist or album contain every word of ``text``."""
        terms = text.casefold().split()
        if terms == self._terms:
            return
        self.beginFilterChange()
        self._terms = terms
        self._compute_hits()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _forget_hits(self) -> None:
        # Rows are about to be replaced: recompute lazily in filterAcceptsRow.
        self._hits = {}

    def _compute_hits(self) -> None:
        terms = self._terms
        if not terms:
            self._hits = {}
            return
        hay = self._source.haystacks
        if len(terms) == 1:
            t = terms[0]
            hits = [t in h for h in hay]
        else:
            hits = [all(t in h for t in terms) for h in hay]
        self._hits = dict(zip(self._source.track_ids, hits, strict=True))

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        if not self._terms:
            return True
        tid = self._source.track_ids[source_row]
        hit = self._hits.get(tid)
        if hit is None:  # a row added since the search was computed
            h = self._source.haystacks[source_row]
            hit = all(t in h for t in self._terms)
            self._hits[tid] = hit
        return hit

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._source.sort(column, order)

    def track_at(self, proxy_row: int) -> TrackRow:
        """The track shown at ``proxy_row``."""
        return self._source.row(self.mapToSource(self.index(proxy_row, 0)).row())
