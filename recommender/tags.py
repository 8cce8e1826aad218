"""What a player knows about each track from its tags, and the ``--items`` TSV that carries it."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from player.plugin_api import TrackInfo

#: Columns ``--items`` reads (any subset beside ``ItemId``; others are ignored).
COLUMNS = (
    "Artist",
    "AlbumArtist",
    "Album",
    "Title",
    "TrackNumber",
    "DiscNumber",
    "Year",
    "Genre",
    "Duration",
)


class ItemsFormatError(ValueError):
    """An ``--items`` file is malformed; the message names the file and the line."""


class Tagged(Protocol):
    """What the model reads of a track's tags: an :class:`ItemTags`, or the library's own
    :class:`TrackInfo` (the plugin hands the model the player's records, never a copy)."""

    @property
    def artist(self) -> str: ...
    @property
    def album_artist(self) -> str: ...
    @property
    def album(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def track_number(self) -> int | None: ...
    @property
    def disc_number(self) -> int | None: ...
    @property
    def year(self) -> int | None: ...
    @property
    def genre(self) -> str: ...
    @property
    def duration_ms(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class ItemTags:
    """The tags of one track (empty / ``None`` = unknown)."""

    artist: str = ""
    album_artist: str = ""
    album: str = ""
    title: str = ""
    track_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    genre: str = ""
    duration_ms: int | None = None

    def track_info(self, track_id: int) -> TrackInfo:
        """A library-style record of these tags (no file), for the structure prior."""
        return TrackInfo(
            track_id=track_id,
            path="",
            title=self.title,
            artist=self.artist,
            album_artist=self.album_artist,
            album=self.album,
            track_number=self.track_number,
            disc_number=self.disc_number,
            genre=self.genre,
            year=self.year,
            duration_ms=self.duration_ms,
        )


def read_items(path: Path) -> dict[int, ItemTags]:
    """Read an ``--items`` TSV: a header with ``ItemId`` and any of :data:`COLUMNS`.

    Raises:
        ItemsFormatError: No ``ItemId`` column, a row with a bad id or number, or a repeated id
            (the message names the file and line).
        OSError: The file cannot be read.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if header is None:
                raise ItemsFormatError(f"{path}: empty file (expected a header with ItemId)")
            names = [h.strip() for h in header]
            if "ItemId" not in names:
                raise ItemsFormatError(f"{path}:1: no ItemId column in the header")
            out: dict[int, ItemTags] = {}
            for line, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                record = dict(zip(names, (cell.strip() for cell in row), strict=False))
                item = _int(record.get("ItemId", ""), path, line, "ItemId")
                if item is None:
                    raise ItemsFormatError(f"{path}:{line}: empty ItemId")
                if item in out:
                    raise ItemsFormatError(f"{path}:{line}: ItemId {item} appears twice")
                out[item] = _tags(record, path, line)
            return out
    except UnicodeDecodeError as exc:
        raise ItemsFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None


def _tags(record: Mapping[str, str], path: Path, line: int) -> ItemTags:
    duration = _number(record.get("Duration", ""), path, line, "Duration")
    return ItemTags(
        artist=record.get("Artist", ""),
        album_artist=record.get("AlbumArtist", ""),
        album=record.get("Album", ""),
        title=record.get("Title", ""),
        track_number=_int(_before_slash(record.get("TrackNumber", "")), path, line, "TrackNumber"),
        disc_number=_int(_before_slash(record.get("DiscNumber", "")), path, line, "DiscNumber"),
        year=_int(record.get("Year", "")[:4], path, line, "Year"),
        genre=record.get("Genre", ""),
        # Duration in seconds (a float) or milliseconds (an integer above a day in seconds)
        duration_ms=None
        if duration is None
        else int(duration if duration > 86400 else duration * 1000),
    )


def _before_slash(text: str) -> str:
    return text.split("/", 1)[0].strip()  # "3/12" as tags often write it


def _int(text: str, path: Path, line: int, column: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ItemsFormatError(f"{path}:{line}: {column} is not a whole number: {text!r}") from None


def _number(text: str, path: Path, line: int, column: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ItemsFormatError(f"{path}:{line}: {column} is not a number: {text!r}") from None
    if value != value or value < 0:
        raise ItemsFormatError(f"{path}:{line}: {column} is not a duration: {text!r}")
    return value
