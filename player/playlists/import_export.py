"""Importing a playlist file into the library database and exporting one to a file."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert

from player.db.engine import Database
from player.db.models import Playlist, PlaylistEntry
from player.paths import printable
from player.playlists.attach import attach_in
from player.playlists.formats import PlaylistReader, write_playlist
from player.playlists.m3u import PathStyle
from player.playlists.records import FileEntry, Problem
from player.playlists.store import (
    PlaylistError,
    PlaylistInfo,
    PlaylistItem,
    check_name,
    find_playlist,
    free_name,
    info_of,
    playlist_items,
)

log = logging.getLogger(__name__)

IMPORT_BATCH = 1000


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the new playlist and what in the file could not be read."""

    playlist: PlaylistInfo
    problems: list[Problem]
    problems_total: int
    urls: int


def import_playlist(db: Database, file: Path, name: str | None = None) -> ImportReport:
    """Read a playlist file into a new playlist, reading what can be read.

    The name is ``name``, else the one the file gives itself, else the file's stem (made free
    with a number when taken). Entries are matched to library tracks as :func:`attach_entries`
    does; the rest are kept as missing.

    Raises:
        PlaylistFileError: The file cannot be opened.
        PlaylistError: ``name`` is taken, or nothing in the file is a playlist entry.
    """
    reader = PlaylistReader(file)
    # Read first, write after: the write lock is held only for the inserts (the window writes
    # history on its own thread and must not wait for a long file to be read).
    entries = list(reader)
    if not entries:
        raise PlaylistError(f"{file}: no playlist entries found{_why(reader)}")
    now = time.time()
    with db.session() as s, s.begin():
        wanted = name if name is not None else reader.name or printable(Path(file).stem)
        chosen = check_name(s, wanted) if name is not None else free_name(s, wanted)
        playlist = Playlist(name=chosen, created_at=now, updated_at=now)
        s.add(playlist)
        s.flush()
        for start in range(0, len(entries), IMPORT_BATCH):
            batch = entries[start : start + IMPORT_BATCH]
            rows = [_entry_row(playlist.id, start + n, e) for n, e in enumerate(batch)]
            s.execute(insert(PlaylistEntry), rows)
        attach_in(s, playlist.id)
        info = info_of(s, playlist.id)
    urls = sum(entry.is_url for entry in entries)
    log.info("Imported %s as %r: %d entries, %d problems", file, info.name, len(entries),
             reader.problems.total)  # fmt: skip
    return ImportReport(info, reader.problems.kept, reader.problems.total, urls)


def _why(reader: PlaylistReader) -> str:
    """What went wrong first in a file that gave no entry."""
    if not reader.problems.kept:
        return ""
    first, others = reader.problems.kept[0], reader.problems.total - 1
    where = f"line {first.line}: " if first.line else ""
    more = f" (and {others} more problems)" if others else ""
    return f"; {where}{first.message}{more}"


def _entry_row(playlist_id: int, position: int, entry: FileEntry) -> dict[str, object]:
    return {
        "playlist_id": playlist_id, "position": position, "track_id": None, "path": entry.path,
        "title": entry.title, "artist": entry.artist, "album": entry.album,
        "duration_ms": entry.duration_ms,
    }  # fmt: skip


def export_playlist(db: Database, name: str, file: Path, *, paths: PathStyle = "auto") -> int:
    """Write the playlist called ``name`` to ``file`` (format from the suffix); returns how many
    entries were written, missing ones included.

    Raises:
        PlaylistError: No playlist has that name.
        PlaylistFileError: Unknown suffix, or the file cannot be written.
    """
    found = find_playlist(db, name)
    if found is None:
        raise PlaylistError(f'no playlist named "{name}"')
    return export_items(playlist_items(db, found.id), found.name, file, paths=paths)


def export_items(
    items: Sequence[PlaylistItem], name: str, file: Path, *, paths: PathStyle = "auto"
) -> int:
    """Write ``items`` to ``file`` as a playlist called ``name``."""
    entries = (FileEntry(i.path, i.title, i.artist, i.album, i.duration_ms) for i in items)
    return write_playlist(file, entries, name=name, paths=paths)
