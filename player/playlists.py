"""Playlists in the library database: create, rename, delete, reorder, import, export, attach.

An entry points at a library track when one matches it, and keeps its own path and tags either
way: an entry whose file is missing stays in its playlist, shown as missing, and is attached
again by :func:`attach_entries` (which every scan runs) when the file turns up, by its path or,
moved or re-encoded, by its title, artist and duration. An attached entry follows its track,
which the scanner moves along with its file. No ORM object leaves this module.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import ColumnElement, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from player.db.engine import Database
from player.db.models import Playlist, PlaylistEntry, Track
from player.playlist_files import (
    FileEntry,
    PathStyle,
    PlaylistReader,
    Problem,
    is_url,
    write_playlist,
)

log = logging.getLogger(__name__)

IMPORT_BATCH = 1000
#: How far an entry's duration may be from a track's to match it (M3U gives whole seconds).
DURATION_SLACK_MS = 2000


class PlaylistError(Exception):
    """A playlist operation was refused (name taken, no such playlist); the message says why."""


class EntrySource(Protocol):
    """What a new entry is made from (``player.queue.QueueEntry`` fits)."""

    @property
    def track_id(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def artist(self) -> str: ...
    @property
    def album(self) -> str: ...
    @property
    def duration_ms(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class PlaylistInfo:
    """A playlist as lists show it: ``missing`` counts entries with no playable file."""

    id: int
    name: str
    created_at: float
    updated_at: float
    entries: int
    missing: int


@dataclass(frozen=True, slots=True)
class PlaylistItem:
    """One entry as the pane shows it: the track's current tags when attached, else the entry's.

    ``available`` is False for an entry whose file is missing (no track, or the track's file is
    gone) and for URLs.
    """

    entry_id: int
    position: int
    track_id: int | None
    path: str
    title: str
    artist: str
    album: str
    duration_ms: int | None
    available: bool

    @property
    def is_url(self) -> bool:
        """The entry is a stream or remote URL, which Segue does not play."""
        return is_url(self.path)


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the new playlist and what in the file could not be read."""

    playlist: PlaylistInfo
    problems: list[Problem]
    problems_total: int
    urls: int


# -- reading ---------------------------------------------------------------------------------
def list_playlists(db: Database) -> list[PlaylistInfo]:
    """Every playlist, by name, with its entry and missing counts."""
    with db.session() as s:
        return _infos(s)


def find_playlist(db: Database, name: str) -> PlaylistInfo | None:
    """The playlist called ``name``, or None."""
    with db.session() as s:
        found = _infos(s, Playlist.name == name)
        return found[0] if found else None


def playlist_items(db: Database, playlist_id: int) -> list[PlaylistItem]:
    """The entries of one playlist in order (empty for an unknown id)."""
    with db.session() as s:
        return _items(s, playlist_id)


def _infos(s: Session, *where: ColumnElement[bool]) -> list[PlaylistInfo]:
    missing = case((PlaylistEntry.id.is_(None), 0), (Track.available.is_(True), 0), else_=1)
    query = (
        select(
            Playlist.id,
            Playlist.name,
            Playlist.created_at,
            Playlist.updated_at,
            func.count(PlaylistEntry.id),
            func.coalesce(func.sum(missing), 0),
        )
        .outerjoin(PlaylistEntry, PlaylistEntry.playlist_id == Playlist.id)
        .outerjoin(Track, Track.id == PlaylistEntry.track_id)
        .where(*where)
        .group_by(Playlist.id)
        .order_by(func.lower(Playlist.name), Playlist.id)
    )
    return [PlaylistInfo(*row) for row in s.execute(query)]


def _items(s: Session, playlist_id: int) -> list[PlaylistItem]:
    e = PlaylistEntry
    query = (
        select(
            e.id,
            e.position,
            e.track_id,
            func.coalesce(Track.path, e.path),
            func.coalesce(Track.title, e.title),
            func.coalesce(Track.artist, e.artist),
            func.coalesce(Track.album, e.album),
            func.coalesce(Track.duration_ms, e.duration_ms),
            func.coalesce(Track.available, False),
        )
        .outerjoin(Track, Track.id == e.track_id)
        .where(e.playlist_id == playlist_id)
        .order_by(e.position, e.id)
    )
    return [PlaylistItem(*row[:8], available=bool(row[8])) for row in s.execute(query)]


def _info(s: Session, playlist_id: int) -> PlaylistInfo:
    found = _infos(s, Playlist.id == playlist_id)
    if not found:
        raise PlaylistError("that playlist no longer exists")
    return found[0]


# -- changing --------------------------------------------------------------------------------
def create_playlist(db: Database, name: str, sources: Iterable[EntrySource]) -> PlaylistInfo:
    """A new playlist called ``name`` holding ``sources`` in order (e.g. the queue's entries).

    Raises:
        PlaylistError: The name is empty or taken.
    """
    now = time.time()
    with db.session() as s, s.begin():
        playlist = Playlist(name=_check_name(s, name), created_at=now, updated_at=now)
        s.add(playlist)
        s.flush()
        _insert(s, playlist.id, 0, sources)
        return _info(s, playlist.id)


def _insert(s: Session, playlist_id: int, first: int, sources: Iterable[EntrySource]) -> None:
    """Insert entries numbered from ``first``."""
    rows = [
        {"playlist_id": playlist_id, "position": first + n, "track_id": src.track_id,
         "path": src.path, "title": src.title, "artist": src.artist, "album": src.album,
         "duration_ms": src.duration_ms}
        for n, src in enumerate(sources)
    ]  # fmt: skip
    if rows:  # no rows would insert one row of defaults
        s.execute(insert(PlaylistEntry), rows)


def _order(s: Session, playlist_id: int) -> list[int]:
    """The playlist's entry ids in order."""
    query = (
        select(PlaylistEntry.id)
        .where(PlaylistEntry.playlist_id == playlist_id)
        .order_by(PlaylistEntry.position, PlaylistEntry.id)
    )
    return list(s.scalars(query))


def add_entries(
    db: Database, playlist_id: int, sources: Sequence[EntrySource], at: int | None = None
) -> list[PlaylistItem]:
    """Insert ``sources`` before row ``at`` (None: at the end); returns the entries as they
    now stand.

    Raises:
        PlaylistError: The playlist is gone.
    """
    with db.session() as s, s.begin():
        if s.get(Playlist, playlist_id) is None:
            raise PlaylistError("that playlist no longer exists")
        order = _order(s, playlist_id)
        at = len(order) if at is None else max(0, min(at, len(order)))
        first = len(order)
        _insert(s, playlist_id, first, sources)
        added = _order(s, playlist_id)[first:]
        _renumber(s, playlist_id, order[:at] + added + order[at:])
        return _items(s, playlist_id)


def rename_playlist(db: Database, playlist_id: int, name: str) -> PlaylistInfo:
    """Give a playlist another name.

    Raises:
        PlaylistError: The name is empty or another playlist's, or the playlist is gone.
    """
    with db.session() as s, s.begin():
        playlist = s.get(Playlist, playlist_id)
        if playlist is None:
            raise PlaylistError("that playlist no longer exists")
        if name.strip() != playlist.name:
            playlist.name = _check_name(s, name)
            playlist.updated_at = time.time()
        s.flush()
        return _info(s, playlist_id)


def delete_playlist(db: Database, playlist_id: int) -> None:
    """Delete a playlist and its entries (the tracks and their history stay)."""
    with db.session() as s, s.begin():
        s.execute(delete(PlaylistEntry).where(PlaylistEntry.playlist_id == playlist_id))
        s.execute(delete(Playlist).where(Playlist.id == playlist_id))


def move_entries(
    db: Database, playlist_id: int, entry_ids: Sequence[int], dest: int
) -> list[PlaylistItem]:
    """Move the entries ``entry_ids`` (kept in their order) to before row ``dest``; returns the
    playlist's entries as they now stand."""
    with db.session() as s, s.begin():
        order = _order(s, playlist_id)
        moving = set(entry_ids)
        picked = [i for i in order if i in moving]
        dest -= sum(1 for row, i in enumerate(order) if i in moving and row < dest)
        kept = [i for i in order if i not in moving]
        dest = max(0, min(dest, len(kept)))
        _renumber(s, playlist_id, kept[:dest] + picked + kept[dest:])
        return _items(s, playlist_id)


def remove_entries(db: Database, playlist_id: int, entry_ids: Sequence[int]) -> list[PlaylistItem]:
    """Take entries out of a playlist; returns the entries left."""
    with db.session() as s, s.begin():
        s.execute(
            delete(PlaylistEntry).where(
                PlaylistEntry.playlist_id == playlist_id, PlaylistEntry.id.in_(entry_ids)
            )
        )
        _renumber(s, playlist_id, _order(s, playlist_id))
        return _items(s, playlist_id)


def _renumber(s: Session, playlist_id: int, order: list[int]) -> None:
    rows = [{"id": entry_id, "position": position} for position, entry_id in enumerate(order)]
    if rows:
        s.execute(update(PlaylistEntry), rows)
    s.execute(update(Playlist).where(Playlist.id == playlist_id).values(updated_at=time.time()))


def _check_name(s: Session, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise PlaylistError("a playlist needs a name")
    if s.scalar(select(Playlist.id).where(Playlist.name == name)) is not None:
        raise PlaylistError(f'a playlist named "{name}" already exists')
    return name


def _free_name(s: Session, wanted: str) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``... when it is taken."""
    wanted = " ".join(wanted.split()) or "Playlist"
    taken = set(s.scalars(select(Playlist.name).where(Playlist.name.startswith(wanted))))
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted} ({n})"
    return name


# -- files -----------------------------------------------------------------------------------
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
    now = time.time()
    count = urls = 0
    with db.session() as s, s.begin():
        chosen = _check_name(s, name) if name is not None else None
        provisional = chosen or _free_name(s, f"{Path(file).stem} (importing)")
        playlist = Playlist(name=provisional, created_at=now, updated_at=now)
        s.add(playlist)
        s.flush()
        batch: list[dict[str, object]] = []
        for entry in reader:
            urls += entry.is_url
            batch.append(_entry_row(playlist.id, count, entry))
            count += 1
            if len(batch) >= IMPORT_BATCH:
                s.execute(insert(PlaylistEntry), batch)
                batch = []
        if batch:
            s.execute(insert(PlaylistEntry), batch)
        if count == 0:
            raise PlaylistError(f"{file}: no playlist entries found{_why(reader)}")
        if chosen is None:
            playlist.name = _free_name(s, reader.name or Path(file).stem)
        _attach(s, playlist.id)
        info = _info(s, playlist.id)
    log.info("Imported %s as %r: %d entries, %d problems", file, info.name, count,
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


# -- attaching -------------------------------------------------------------------------------
def attach_entries(db: Database) -> int:
    """Attach entries without a track to the library's tracks; returns how many were attached.

    Run after every scan: an entry attaches to the track at its path, else (moved, or written by
    another player) to an available track with the same title and artist and a duration within
    :data:`DURATION_SLACK_MS`; several such tracks: the same album first, then the same file
    name, then the oldest.
    """
    with db.session() as s, s.begin():
        return _attach(s, None)


def _attach(s: Session, playlist_id: int | None) -> int:
    e = PlaylistEntry
    scope = [e.track_id.is_(None)] + ([e.playlist_id == playlist_id] if playlist_id else [])
    by_path = s.execute(
        update(e)
        .where(*scope, e.path.in_(select(Track.path)))
        .values(track_id=select(Track.id).where(Track.path == e.path).scalar_subquery())
        .execution_options(synchronize_session=False)
    )
    attached: int = by_path.rowcount  # type: ignore[attr-defined]
    loose = [
        _Loose(*row)
        for row in s.execute(
            select(e.id, e.path, e.title, e.artist, e.album, e.duration_ms).where(
                *scope, e.title != ""
            )
        )
        if not is_url(row[1])
    ]
    if loose:
        matches = _match_by_tags(s, loose)
        if matches:
            s.execute(update(e), matches)
            attached += len(matches)
    if attached:
        log.info("Attached %d playlist entries to library tracks", attached)
    return attached


@dataclass(frozen=True, slots=True)
class _Loose:
    """An entry without a track, as matching needs it."""

    id: int
    path: str
    title: str
    artist: str
    album: str
    duration_ms: int | None


def _match_by_tags(s: Session, loose: list[_Loose]) -> list[dict[str, int]]:
    wanted = {(_key(r.title), _key(r.artist)) for r in loose}
    candidates: dict[tuple[str, str], list[tuple[int, int | None, str, str]]] = {}
    query = select(Track.id, Track.title, Track.artist, Track.duration_ms, Track.album,
                   Track.path).where(Track.available.is_(True)).order_by(Track.id)  # fmt: skip
    for track_id, title, artist, duration, album, path in s.execute(query):
        key = (_key(title), _key(artist))
        if key in wanted:
            candidates.setdefault(key, []).append((track_id, duration, _key(album), path))
    out = []
    for row in loose:
        fits = [
            c for c in candidates.get((_key(row.title), _key(row.artist)), [])
            if row.duration_ms is None
            or (c[1] is not None and abs(c[1] - row.duration_ms) <= DURATION_SLACK_MS)
        ]  # fmt: skip
        if not fits:
            continue
        name, album = os.path.basename(row.path), _key(row.album)
        best = min(fits, key=lambda c: (c[2] != album, os.path.basename(c[3]) != name))
        out.append({"id": row.id, "track_id": best[0]})
    return out


def _key(text: str) -> str:
    return " ".join(text.casefold().split())
