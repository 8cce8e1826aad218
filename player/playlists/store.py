"""Playlists in the library database: list, create, add to, rename, delete, reorder, remove.

An entry points at a library track when one matches it, and keeps its own path and tags either
way, so an entry whose file is missing stays in its playlist, shown as missing
(:mod:`player.playlists.attach` attaches it again). No ORM object leaves this package.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from player.db.engine import Database
from player.db.models import Playlist, PlaylistEntry, Track
from player.playlists.records import is_url


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


def info_of(s: Session, playlist_id: int) -> PlaylistInfo:
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
        playlist = Playlist(name=check_name(s, name), created_at=now, updated_at=now)
        s.add(playlist)
        s.flush()
        _insert(s, playlist.id, 0, sources)
        return info_of(s, playlist.id)


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
        if " ".join(name.split()) != playlist.name:  # the same name, spaced otherwise: nothing
            playlist.name = check_name(s, name)
            playlist.updated_at = time.time()
        s.flush()
        return info_of(s, playlist_id)


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


def check_name(s: Session, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise PlaylistError("a playlist needs a name")
    if not name.isprintable() or name != name.encode("utf-8", "replace").decode("utf-8"):
        raise PlaylistError(f"a playlist name must be printable text ({name!r} is not)")
    if s.scalar(select(Playlist.id).where(Playlist.name == name)) is not None:
        raise PlaylistError(f'a playlist named "{name}" already exists')
    return name


def free_name(s: Session, wanted: str) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``... when it is taken."""
    wanted = " ".join(wanted.split()) or "Playlist"
    taken = set(s.scalars(select(Playlist.name).where(Playlist.name.startswith(wanted))))
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted} ({n})"
    return name
