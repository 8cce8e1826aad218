"""The library table: a QAbstractTableModel over TrackRow records, and the view's proxy.

The model keeps a precomputed lowercase "haystack" (title, artist, album) per track so search-
as-you-type stays fast with 100,000 rows; searching is one Python pass, and a header click one
stable sort of the column's own field, its ties already in the album order the model keeps (not
one Python call per row or comparison from the proxy).
"""

from __future__ import annotations

import json
import logging
from array import array
from collections.abc import Collection, Sequence
from dataclasses import replace
from operator import attrgetter
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QFont, QIcon, QPalette

from player.queue import TRACKS_MIME
from player.track_positions import TrackPositions
from player.ui.library_rows import (
    ALBUM,
    ARTIST,
    COLUMNS,
    GENRE,
    NUMERIC_COLUMNS,
    TIME,
    TITLE,
    TRACKNO,
    YEAR,
    PreparedRows,
    SortSpec,
    album_fields,
    fold,
    format_ms,
    haystack,
    prepare_rows,
    reorder,
    track_label,
)

if TYPE_CHECKING:  # types only: the window must not import the database layer at start-up
    from player.library import TrackRow

log = logging.getLogger(__name__)

TrackRole = Qt.ItemDataRole.UserRole + 10
TrackIdRole = Qt.ItemDataRole.UserRole + 11

# Roles as plain ints: data() runs about 1,700 times per repaint of the table, and comparing an
# int with an enum member found by attribute look-up costs more than the rest of the call.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_TRACK, _TRACK_ID = int(TrackRole), int(TrackIdRole)
_ID = attrgetter("track_id")
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)


class LibraryModel(QAbstractTableModel):
    """Every track of the library (unavailable ones greyed), sorted and searched in place."""

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self._all: list[TrackRow] = []  # every track, in sort order
        self._hay: list[str] = []  # lowercase search text, parallel to _all
        self._sorted = True
        self._pos = TrackPositions()  # track id -> index in _all
        # Indexes into _all in the album order (album_order), kept so a header click sorts only
        # the column's own fields. Stale once a row's album fields change (then None) or rows
        # are added (then shorter than _all); either way the next sort computes it again.
        self._album: array[int] | None = None
        self._terms: list[str] = []
        self._scope: Collection[int] | None = None  # track ids chosen in the browser
        # What the model shows: indexes into _all of the rows in _scope matching _terms (all of
        # them, as a range, without either), so a keystroke builds one list of ints.
        self._shown: Sequence[int] = range(0)
        self._by_id_cache: TrackPositions | None = None  # track id -> shown row, lazy
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._grey = QBrush(QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        self._italic = QFont()
        self._italic.setItalic(True)
        self._bold = QFont()
        self._bold.setBold(True)
        self._playing: int | None = None
        self._playing_icon: QIcon | None = None

    # -- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in NUMERIC_COLUMNS:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index, role=_DISPLAY):
        if not index.isValid():
            return None
        row = self._all[self._shown[index.row()]]
        col = index.column()
        if role == _DISPLAY:
            return self._display(row, col)
        if role == _FOREGROUND:
            return None if row.available else self._grey
        if role == _FONT:
            if row.id == self._playing:
                return self._bold
            return None if row.available else self._italic
        if role == _DECORATION:
            return self._playing_icon if col == TITLE and row.id == self._playing else None
        if role == _ALIGNMENT:
            return _RIGHT if col in NUMERIC_COLUMNS else None
        if role == _TOOLTIP:
            return row.path if row.available else f"Missing: {row.path}"
        if role == _TRACK:
            return row
        if role == _TRACK_ID:
            return row.id
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
            return track_label(row.disc_number, row.track_number)
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
            ids.append(self.row(i).id)
        mime = QMimeData()
        mime.setData(TRACKS_MIME, QByteArray(json.dumps(ids).encode()))
        return mime

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column``: one stable sort per field it orders by (keeps selections)."""
        if not 0 <= column < len(COLUMNS):
            return
        if self._sort == (column, order) and self._sorted:
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()  # selection, current row: follow their tracks
        old_ids = [self.row(p.row()).id for p in persistent]
        self._reorder()
        self._shown = self._matching()
        self._by_id_cache = None
        if persistent:
            rows = self._by_id()
            moved = []
            for p, track_id in zip(persistent, old_ids, strict=True):
                i = rows.get(track_id, -1)
                moved.append(self.index(i, p.column()) if i >= 0 else QModelIndex())
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _by_id(self) -> TrackPositions:
        # Built on demand: a keystroke should not pay for a 100,000-entry dict it may not need.
        if isinstance(self._shown, range):
            return self._pos  # every row shown, in order
        if self._by_id_cache is None:
            everything = self._all
            self._by_id_cache = TrackPositions(everything[j].track_id for j in self._shown)
        return self._by_id_cache

    def _reorder(self) -> None:
        """Put ``_all`` (and its parallel lists) in the current sort order."""
        self._sorted = True
        if self._sort is None:
            return
        album = self._album
        if album is not None and len(album) != len(self._all):
            album = None
        new, self._album = reorder(self._all, self._sort, album)
        self._all = list(map(self._all.__getitem__, new))
        self._hay = list(map(self._hay.__getitem__, new))
        self._pos = TrackPositions(map(_ID, self._all))

    # -- content ---------------------------------------------------------------------------
    @property
    def sort_spec(self) -> SortSpec | None:
        """Current sort column and order (for :func:`prepare_rows` on a worker)."""
        return self._sort

    def set_rows(self, rows: Sequence[TrackRow] | PreparedRows) -> None:
        """Hold ``rows``; when they extend the current ones (a scan in progress) and no search
        is active, only new rows are inserted and changed ones refreshed, so the view keeps its
        place. Pass :class:`PreparedRows` to keep the heavy part off the GUI thread."""
        prepared = rows if isinstance(rows, PreparedRows) else prepare_rows(rows)
        ids = set(map(_ID, prepared.rows))
        unfiltered = self._all and not self._terms and self._scope is None
        if unfiltered and ids.issuperset(map(_ID, self._all)):  # a scan adding rows
            self._extend(prepared)
            return
        self.beginResetModel()
        self._all, self._hay = list(prepared.rows), list(prepared.hay)
        self._album = prepared.album
        self._pos = TrackPositions(map(_ID, self._all))
        if prepared.sort == self._sort:
            self._sorted = True
        else:
            self._reorder()
        self._shown = self._matching()
        self._by_id_cache = None
        self.endResetModel()

    def merge_rows(self, prepared: PreparedRows) -> None:
        """Take changed and new rows (after a scan of only some paths): a known row is replaced
        in place, a new one appended (shown when it is in the browser's choice and matches the
        search); the rest stay."""
        if not self._all:
            self.set_rows(prepared)
            return
        fresh = []
        for k, row in enumerate(prepared.rows):
            j = self._pos.get(row.id)
            if j is None:
                fresh.append(k)
            elif self._all[j] != row:
                self._replace(row)
        if not fresh:
            return
        new = [prepared.rows[k] for k in fresh]
        hay = [prepared.hay[k] for k in fresh]
        start = len(self._all)
        self._all.extend(new)
        self._hay.extend(hay)
        self._pos.update((r.id, j) for j, r in enumerate(new, start=start))
        self._sorted = self._sort is None
        scope, terms = self._scope, self._terms
        shown = [
            j
            for j, (r, h) in enumerate(zip(new, hay, strict=True), start=start)
            if (scope is None or r.id in scope) and all(t in h for t in terms)
        ]
        if shown:
            first = len(self._shown)
            self.beginInsertRows(QModelIndex(), first, first + len(shown) - 1)
            if isinstance(self._shown, range):  # nothing chosen or searched: every row shown
                self._shown = range(len(self._all))
            else:
                self._shown = [*self._shown, *shown]
            self._by_id_cache = None
            self.endInsertRows()

    def set_search(self, text: str) -> bool:
        """Show only tracks whose title, artist or album contain every word of ``text``.

        One Python pass over the precomputed lowercase haystacks; returns False when the words
        did not change (nothing done).
        """
        terms = fold(text).split()
        if terms == self._terms:
            return False
        narrower = bool(self._terms) and all(
            any(old in new for new in terms) for old in self._terms
        )
        self.beginResetModel()
        self._terms = terms
        # Typing another letter only narrows: test just the rows shown now.
        self._shown = self._matching(self._shown if narrower else None)
        self._by_id_cache = None
        self.endResetModel()
        return True

    @property
    def search_terms(self) -> list[str]:
        """The words searched for."""
        return list(self._terms)

    def set_scope(self, track_ids: Collection[int] | None) -> None:
        """Show only ``track_ids`` (a browser choice; None for every track); the search words
        apply within them. Costs a pass over the chosen tracks, not over the library."""
        self.beginResetModel()
        self._scope = track_ids
        self._shown = self._matching()
        self._by_id_cache = None
        self.endResetModel()

    def _matching(self, among: Sequence[int] | None = None) -> Sequence[int]:
        """Indexes into ``_all`` of the rows in the scope that match every term (only ``among``
        them, when given: they are in the scope already)."""
        candidates = among  # positions in _all; None: all of them
        if candidates is None and self._scope is not None:
            pos = self._pos
            candidates = sorted(pos[i] for i in self._scope if i in pos)
        if not self._terms:
            return range(len(self._all)) if candidates is None else list(candidates)
        hay = self._hay
        # Longest word first: it usually leaves the fewest rows for the next one.
        for term in sorted(self._terms, key=len, reverse=True):
            if candidates is None:
                candidates = [j for j, h in enumerate(hay) if term in h]
            else:
                candidates = [j for j in candidates if term in hay[j]]
        return candidates  # a new list: the loop ran at least once

    def _extend(self, prepared: PreparedRows) -> None:
        shown = self._by_id()
        for r in prepared.rows:
            i = shown.get(r.id)
            if i is not None and self.row(i) != r:
                self._replace(r)
        fresh = [k for k, r in enumerate(prepared.rows) if r.id not in self._pos]
        if fresh:
            start = len(self._shown)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            new = [prepared.rows[k] for k in fresh]
            self._all.extend(new)
            self._shown = range(len(self._all))  # no search or browser choice is active here
            self._hay.extend(prepared.hay[k] for k in fresh)
            self._pos.update((r.id, j) for j, r in enumerate(new, start=len(self._pos)))
            self._sorted = self._sort is None
            self._by_id_cache = None
            self.endInsertRows()

    def _replace(self, row: TrackRow) -> None:
        j = self._pos.get(row.id)
        if j is not None:
            if album_fields(self._all[j]) != album_fields(row):
                self._album = None  # not a play count: its tags may order it elsewhere
            self._all[j] = row
            self._hay[j] = haystack(row)
        i = self._by_id().get(row.id)
        if i is not None:
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def _refresh_all(self) -> None:
        self._hay = [haystack(r) for r in self._all]
        self._pos = TrackPositions(map(_ID, self._all))

    def resort(self) -> None:
        """Sort again by the last sort column (after a scan appended rows)."""
        if self._sort is not None and not self._sorted:
            self.sort(*self._sort)

    def row(self, i: int) -> TrackRow:
        """The track shown at row ``i``."""
        return self._all[self._shown[i]]

    def rows(self) -> list[TrackRow]:
        """Every track of the library (shown or not), in sort order."""
        return list(self._all)

    def library_size(self) -> int:
        """How many tracks the library holds (shown or not)."""
        return len(self._all)

    def track(self, track_id: int) -> TrackRow | None:
        """The track with ``track_id`` (shown or not)."""
        j = self._pos.get(track_id)
        return None if j is None else self._all[j]

    def tracks(self, track_ids: Sequence[int]) -> list[TrackRow]:
        """Tracks for ``track_ids`` in that order (unknown ids left out)."""
        return [t for t in (self.track(i) for i in track_ids) if t is not None]

    def source_row(self, track_id: int) -> int:
        """Row of ``track_id`` in this model, -1 when not shown."""
        return self._by_id().get(track_id, -1)

    def set_playing_icon(self, icon: QIcon) -> None:
        """Icon shown next to the playing track's title."""
        self._playing_icon = icon

    def set_playing(self, track_id: int | None) -> None:
        """Show ``track_id`` as the playing track (bold, with an icon); None for none."""
        old, self._playing = self._playing, track_id
        for tid in (old, track_id):
            i = self._by_id().get(tid, -1) if tid is not None else -1
            if i >= 0:
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def mark_unavailable(self, track_id: int) -> None:
        """Grey a track whose file is gone."""
        t = self.track(track_id)
        if t is not None and t.available:
            self._replace(replace(t, available=False))

    def count_finished_play(self, track_id: int) -> None:
        """Add one finished play to a track's count."""
        t = self.track(track_id)
        if t is not None:
            self._replace(replace(t, play_count=t.play_count + 1))


def make_library_proxy(model: LibraryModel, parent: object | None = None) -> QSortFilterProxyModel:
    """The proxy the library view shows: Qt's own class, deliberately not subclassed.

    A Python subclass makes every virtual call from C++ (``filterAcceptsRow`` for each of
    100,000 rows per keystroke, ``lessThan`` per comparison) cross into the interpreter, even
    for methods it does not override. Search and sort therefore happen in ``model`` as single
    Python passes, and this proxy keeps the model's order (the view sorts through the header's
    ``sortIndicatorChanged``, wired to :meth:`LibraryModel.sort`).
    """
    proxy = QSortFilterProxyModel(parent)
    proxy.setDynamicSortFilter(False)
    proxy.setSourceModel(model)
    return proxy
