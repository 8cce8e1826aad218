"""Library rows made ready for the table: columns, search text (precomputed in one pure-Python
pass, safe on a worker thread; no widgets) and the order of each column's sort."""

from __future__ import annotations

from array import array
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
#: The album order: ARTIST's, and every column's order among the tracks its own fields tie.
ALBUM_ORDER = ("artist", "album", "disc", "track", "title")
#: What a row's place in the album order depends on (a title sorts by the path when empty).
album_fields = attrgetter("artist", "album", "disc_number", "track_number", "title", "path")
# The fields each column sorts by before the album order, most significant first.
_OWN_FIELDS: dict[int, tuple[str, ...]] = {
    TITLE: ("title",),
    ARTIST: (),
    ALBUM: ("album", "disc", "track"),
    TRACKNO: ("track",),
    TIME: ("time",),
    GENRE: ("genre",),
    YEAR: ("year",),
    PLAYS: ("plays",),
}

SortSpec = tuple[int, Qt.SortOrder]


def _stable_sorts(
    positions: list[int], rows: Sequence[TrackRow], fields: Sequence[str], reverse: bool
) -> None:
    # One stable sort per field, the least significant first: only one field's keys exist at
    # a time.
    for field in reversed(fields):
        keys = _FIELD_KEYS[field](rows)
        positions.sort(key=keys.__getitem__, reverse=reverse)


def album_order(rows: Sequence[TrackRow]) -> array[int]:
    """Positions of ``rows`` in the album order (artist, album, disc, track, title)."""
    positions = list(range(len(rows)))
    _stable_sorts(positions, rows, ALBUM_ORDER, reverse=False)
    return array("i", positions)


def sorted_order(
    rows: Sequence[TrackRow], spec: SortSpec, album: Sequence[int] | None = None
) -> list[int]:
    """Positions of ``rows`` in the order of ``spec``: the column's own fields, ties in the album
    order. ``album`` is :func:`album_order` of ``rows`` when the caller kept it: then only the
    column's own fields are sorted (one pass for most columns, none for Artist)."""
    column, order = spec
    reverse = order == Qt.SortOrder.DescendingOrder
    positions = list(album_order(rows) if album is None else album)
    if reverse:
        positions.reverse()
    _stable_sorts(positions, rows, _OWN_FIELDS[column], reverse)
    return positions


def reorder(
    rows: Sequence[TrackRow], spec: SortSpec, album: Sequence[int] | None = None
) -> tuple[list[int], array[int]]:
    """``(new, album)``: :func:`sorted_order` of ``rows`` (``new[i]`` is the index of the row to
    put at ``i``), and the album order as indexes into the reordered rows, to keep for the next
    sort. ``album`` is the album order of ``rows`` when the caller kept one."""
    if album is None:
        album = album_order(rows)
    new = sorted_order(rows, spec, album)
    where = array("i", bytes(4 * len(new)))
    for i, j in enumerate(new):
        where[j] = i
    return new, array("i", map(where.__getitem__, album))


@dataclass(frozen=True)
class PreparedRows:
    """Rows with their search text computed (and sorted) off the GUI thread; ``album`` is their
    :func:`album_order` when they were sorted."""

    rows: list[TrackRow]
    hay: list[str]
    sort: SortSpec | None
    album: array[int] | None = None


def prepare_rows(rows: Sequence[TrackRow], sort: SortSpec | None = None) -> PreparedRows:
    """Precompute what :class:`LibraryModel` needs; pure Python, safe on a worker thread."""
    rows = list(rows)
    album = None
    if sort is not None:
        new, album = reorder(rows, sort)
        rows = list(map(rows.__getitem__, new))
    return PreparedRows(rows, [haystack(r) for r in rows], sort, album)
