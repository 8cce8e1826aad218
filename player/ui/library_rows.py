"""Library rows made ready for the table: columns, search text and sort keys, precomputed in
one pure-Python pass (safe on a worker thread; no widgets)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
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
    """The folded text searched for ``row`` (see :func:`fold`)."""
    return fold(f"{row.title}\n{row.artist}\n{row.album}\n{row.album_artist}")


def track_label(disc: int | None, track: int | None) -> str:
    """The "#" column: ``3``; from the second disc on, ``2.03`` (disc 2, track 3), so a
    two-disc album does not look out of order (it sorts by disc, then track)."""
    if track is None:
        return ""
    return f"{disc}.{track:02d}" if disc is not None and disc > 1 else str(track)


_UNKNOWN = 1 << 62  # an unknown number sorts after every known one


def _num(v: int | None) -> int:
    return _UNKNOWN if v is None else v


# Fields of a row's precomputed sort base, and which of them each column sorts by.
_F_TITLE, _F_ARTIST, _F_ALBUM, _F_DISC, _F_TRACK, _F_GENRE, _F_YEAR, _F_TIME, _F_PLAYS = range(9)
_ALBUM_ORDER = (_F_ALBUM, _F_DISC, _F_TRACK)
_SORT_FIELDS = {
    TITLE: (_F_TITLE, _F_ARTIST, *_ALBUM_ORDER),
    ARTIST: (_F_ARTIST, *_ALBUM_ORDER, _F_TITLE),
    ALBUM: (*_ALBUM_ORDER, _F_ARTIST),
    TRACKNO: (_F_TRACK, _F_ARTIST, *_ALBUM_ORDER),
    TIME: (_F_TIME, _F_ARTIST, *_ALBUM_ORDER),
    GENRE: (_F_GENRE, _F_ARTIST, *_ALBUM_ORDER),
    YEAR: (_F_YEAR, _F_ARTIST, *_ALBUM_ORDER),
    PLAYS: (_F_PLAYS, _F_ARTIST, *_ALBUM_ORDER),
}


def sort_base(row: TrackRow, shared: Callable[[Any, Any], Any] | None = None) -> tuple[object, ...]:
    """Everything a row sorts by, casefolded once (unknown numbers sort last).

    ``shared`` (a dict's ``setdefault``) keeps one object per repeated value across rows."""
    artist, album, genre = row.artist.casefold(), row.album.casefold(), row.genre.casefold()
    if shared is not None:
        artist, album, genre = shared(artist, artist), shared(album, album), shared(genre, genre)
    return (
        row.title.casefold() or row.path.casefold(),
        artist,
        album,
        _num(row.disc_number),
        _num(row.track_number),
        genre,
        _num(row.year),
        _num(row.duration_ms),
        -row.play_count,  # most played first
    )


def sort_key(row: TrackRow, column: int) -> tuple[object, ...]:
    """Key for sorting by ``column``; ties fall back to artist, album, disc, track."""
    return itemgetter(*_SORT_FIELDS[column])(sort_base(row))  # type: ignore[no-any-return]


SortSpec = tuple[int, Qt.SortOrder]


def sorted_order(base: list[tuple[object, ...]], spec: SortSpec) -> list[int]:
    keys = list(map(itemgetter(*_SORT_FIELDS[spec[0]]), base))
    return sorted(
        range(len(keys)), key=keys.__getitem__, reverse=spec[1] == Qt.SortOrder.DescendingOrder
    )


@dataclass(frozen=True)
class PreparedRows:
    """Rows with their search text and sort fields computed (and sorted) off the GUI thread."""

    rows: list[TrackRow]
    hay: list[str]
    base: list[tuple[object, ...]]
    sort: SortSpec | None


def prepare_rows(rows: Sequence[TrackRow], sort: SortSpec | None = None) -> PreparedRows:
    """Precompute what :class:`LibraryModel` needs; pure Python, safe on a worker thread."""
    rows = list(rows)
    hay = [haystack(r) for r in rows]
    shared: dict[object, object] = {}
    base = [sort_base(r, shared.setdefault) for r in rows]
    if sort is not None:
        order = sorted_order(base, sort)
        rows, hay, base = (
            [rows[j] for j in order],
            [hay[j] for j in order],
            [base[j] for j in order],
        )
    return PreparedRows(rows, hay, base, sort)
