"""Reading Last.fm CSV exports: with or without a header, columns in any order (also JSON arrays
of flat objects named like those columns)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from player.history_import.entries import Entry, Source, lastfm_entry, parse_time

_ARTIST = ("artist", "artist_name", "artistname", "creator")
_ALBUM = ("album", "album_name", "albumname", "album_title", "release", "release_name")
_TITLE = (
    "track", "title", "name", "track_name", "trackname", "track_title", "song", "song_name",
)  # fmt: skip
# In order of preference: unix seconds before text, a full time before a bare date.
_TIME = (
    "uts", "timestamp", "unix_timestamp", "date_uts", "listened_at", "scrobbled_at", "utc_time",
    "played_at", "date_utc", "time_utc", "datetime", "date_time", "time", "scrobble_time",
    "listen_time", "date",
)  # fmt: skip
_MBID = ("track_mbid", "recording_mbid", "mbid", "musicbrainz_track_id")


class CsvLayoutError(ValueError):
    """The CSV is not a listening history (no header Segue knows, or columns missing)."""


@dataclass(frozen=True)
class Layout:
    """Which column holds what (``-1``: absent)."""

    artist: int
    title: int
    time: int
    album: int = -1
    mbid: int = -1
    width: int = 0

    def needed(self) -> int:
        """How many fields a row needs to hold artist, title and time."""
        return max(self.artist, self.title, self.time) + 1


def layout_of(first: Sequence[str]) -> tuple[Layout, bool]:
    """The layout a CSV's first row gives, and whether that row is a header.

    Raises:
        CsvLayoutError: A header lacks the artist, title or time column, or a first row without
            a header is not ``artist,album,track,date``.
    """
    names = [_column_name(field) for field in first]
    known = set(_ARTIST + _ALBUM + _TITLE + _TIME + _MBID)
    if any(name in known for name in names):
        found = {kind: _find(names, options) for kind, options in
                 (("artist", _ARTIST), ("title", _TITLE), ("time", _TIME),
                  ("album", _ALBUM), ("mbid", _MBID))}  # fmt: skip
        missing = [kind for kind in ("artist", "title", "time") if found[kind] < 0]
        if missing:
            raise CsvLayoutError(
                f"no {' or '.join(missing)} column (the header has: {', '.join(first)})"
            )
        return Layout(width=len(first), **found), True
    if len(first) == 4:
        try:
            parse_time(first[3])
        except ValueError:
            pass
        else:
            return Layout(artist=0, album=1, title=2, time=3, width=4), False
    raise CsvLayoutError(
        "no header naming artist, track and time, and not the four columns artist,album,track,date"
    )


def read_csv(name: str, stream: IO[str], delimiter: str = ",") -> Iterator[Entry]:
    """The entries of a Last.fm CSV export (fields separated by ``delimiter``).

    Raises:
        CsvLayoutError: See :func:`layout_of` (nothing is yielded).
    """
    rows = csv.reader(stream, delimiter=delimiter)
    first = next(rows, None)
    while first is not None and not any(field.strip() for field in first):
        first = next(rows, None)
    if first is None:
        raise CsvLayoutError("the file is empty")
    layout, header = layout_of(first)
    index = 0
    if not header:
        index += 1
        yield row_entry(name, index, first, layout)
    for row in rows:
        if not any(field.strip() for field in row):
            continue
        index += 1
        yield row_entry(name, index, row, layout)


def row_entry(name: str, index: int, row: Sequence[str], layout: Layout) -> Entry:
    """The entry one row (its fields as text) holds."""
    if len(row) < layout.needed():
        return Entry(name, index, Source.LASTFM,
                     error=f"{len(row)} fields, expected {layout.width}")  # fmt: skip
    album = row[layout.album] if 0 <= layout.album < len(row) else ""
    mbid = row[layout.mbid] if 0 <= layout.mbid < len(row) else ""
    return lastfm_entry(name, index, row[layout.time], row[layout.artist].strip(),
                        row[layout.title].strip(), album.strip(), mbid.strip())  # fmt: skip


def _column_name(field: str) -> str:
    name = field.strip().strip("\ufeff").lower()
    return "_".join(name.replace("-", " ").replace("/", " ").replace(".", " ").split())


def _find(names: Sequence[str], options: Sequence[str]) -> int:
    for option in options:
        if option in names:
            return names.index(option)
    return -1
