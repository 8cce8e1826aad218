"""Library rows made ready for the table: columns, search text (precomputed in one pure-Python
pass, safe on a worker thread; no widgets) and the order of each column's sort."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from player.textfold import fold

if TYPE_CHECKING:  # types only: the window must not import the database layer at start-up
    from player.library import TrackRow

COLUMNS = ("Title", "Artist", "Album", "#", "Time", "Genre", "Year", "Plays")
TITLE, ARTIST, ALBUM, TRACKNO, TIME, GENRE, YEAR, PLAYS = range(len(COLUMNS))
NUMERIC_COLUMNS = {TRACKNO, TIME, YEAR, PLAYS}


def format_ms(ms: int | None) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration, empty when unknown."""
    if ms is None or ms < 0:
        return ""
    s = ms // 1000
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def haystack(row: TrackRow) -> str:
    """The folded text searched for ``row`` (see :func:`fold`): title, artist, album, and the
    album artist where it is not the artist (a search word never spans two lines)."""
    text = f"{row.title}\n{row.artist}\n{row.album}"
    if row.album_artist != row.artist:
        text += f"\n{row.album_artist}"
    return fold(text)


def track_label(disc: int | None, track: int | None) -> str:
    """The "#" column: ``3``; from the second disc on, ``2.03`` (disc 2, track 3), so a
    two-disc album does not look out of order (it sorts by disc, then track)."""
    if track is None:
        return ""
    return f"{disc}.{track:02d}" if disc is not None and disc > 1 else str(track)


_UNKNOWN = 1 << 62  # an unknown number sorts after every known one


def _numbers(rows: Sequence[TrackRow], field: str) -> list[int]:
    return [_UNKNOWN if v is None else v for v in map(attrgetter(field), rows)]


def _folded(rows: Sequence[TrackRow], field: str) -> list[str]:
    # Casefold each distinct artist, album or genre once: rows share those strings.
    folded: dict[str, str] = {}
    out = []
    for value in map(attrgetter(field), rows):
        key = folded.get(value)
        if key is None:
            key = folded[value] = value.casefold()
        out.append(key)
    return out


# What each field sorts by, computed for every row at each sort: keeping the keys of every row
# between sorts cost more memory than the rows' own text (bench/NOTES.md).
_FIELD_KEYS: dict[str, Callable[[Sequence[TrackRow]], list[Any]]] = {
    "title": lambda rows: [r.title.casefold() or r.path.casefold() for r in rows],
    "artist": lambda rows: _folded(rows, "artist"),
    "album": lambda rows: _folded(rows, "album"),
    "genre": lambda rows: _folded(rows, "genre"),
    "disc": lambda rows: _numbers(rows, "disc_number"),
    "track": lambda rows: _numbers(rows, "track_number"),
    "year": lambda rows: _numbers(rows, "year"),
    "time": lambda rows: _numbers(rows, "duration_ms"),
    "plays": lambda rows: [-r.play_count for r in rows],  # most played first
}
_ALBUM_ORDER = ("album", "disc", "track")
# Which fields each column sorts by, most significant first (ties: artist, album, disc, track).
_SORT_FIELDS = {
    TITLE: ("title", "artist", *_ALBUM_ORDER),
    ARTIST: ("artist", *_ALBUM_ORDER, "title"),
    ALBUM: (*_ALBUM_ORDER, "artist"),
    TRACKNO: ("track", "artist", *_ALBUM_ORDER),
    TIME: ("time", "artist", *_ALBUM_ORDER),
    GENRE: ("genre", "artist", *_ALBUM_ORDER),
    YEAR: ("year", "artist", *_ALBUM_ORDER),
    PLAYS: ("plays", "artist", *_ALBUM_ORDER),
}

SortSpec = tuple[int, Qt.SortOrder]


def sorted_order(rows: Sequence[TrackRow], spec: SortSpec) -> list[int]:
    """Positions of ``rows`` in the order of ``spec``: one stable sort per field, the least
    significant first, so only one field's keys exist at a time."""
    column, order = spec
    reverse = order == Qt.SortOrder.DescendingOrder
    positions = list(range(len(rows)))
    for field in reversed(_SORT_FIELDS[column]):
        keys = _FIELD_KEYS[field](rows)
        positions.sort(key=keys.__getitem__, reverse=reverse)
    return positions


@dataclass(frozen=True)
class PreparedRows:
    """Rows with their search text computed (and sorted) off the GUI thread."""

    rows: list[TrackRow]
    hay: list[str]
    sort: SortSpec | None


def prepare_rows(rows: Sequence[TrackRow], sort: SortSpec | None = None) -> PreparedRows:
    """Precompute what :class:`LibraryModel` needs; pure Python, safe on a worker thread."""
    rows = list(rows)
    if sort is not None:
        rows = [rows[j] for j in sorted_order(rows, sort)]
    return PreparedRows(rows, [haystack(r) for r in rows], sort)
