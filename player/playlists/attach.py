"""Attaching playlist entries that have no track to the library's tracks (after every scan).

An entry attaches to the track at its path, else (moved, or written by another player) to the
available track the history import's matcher (``player.history_import.matcher``) finds for its
artist, title, album and duration. An attached entry follows its track, which the scanner moves
along with its file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from player.db.engine import Database
from player.db.models import PlaylistEntry, Track
from player.history_import.matcher import DURATION_TOLERANCE_MS, LibraryTrack, Matcher
from player.playlists.records import is_url

log = logging.getLogger(__name__)


def attach_entries(db: Database) -> int:
    """Attach entries without a track to the library's tracks; returns how many were attached.

    Run after every scan: an entry attaches to the track at its path, else to an available
    track the history matcher finds firmly for its tags (several equally good: none).
    """
    with db.session() as s, s.begin():
        return attach_in(s, None)


def attach_in(s: Session, playlist_id: int | None) -> int:
    """:func:`attach_entries` in an open transaction, for one playlist or (None) all.

    Everything is read before anything is written, so the write lock is held for the two
    updates only (the window writes history on its own thread meanwhile).
    """
    e = PlaylistEntry
    scope = [e.track_id.is_(None)] + ([e.playlist_id == playlist_id] if playlist_id else [])
    known = select(Track.path)
    loose = [
        _Loose(*row)
        for row in s.execute(
            select(e.id, e.path, e.title, e.artist, e.album, e.duration_ms).where(
                *scope, e.title != "", e.path.not_in(known)
            )
        )
        if not is_url(row[1])
    ]
    matches = _match_by_tags(s, loose) if loose else []
    by_path = s.execute(
        update(e)
        .where(*scope, e.path.in_(known))
        .values(track_id=select(Track.id).where(Track.path == e.path).scalar_subquery())
        .execution_options(synchronize_session=False)
    )
    attached: int = by_path.rowcount  # type: ignore[attr-defined]
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
    """Entry id -> track id for the entries the history import's matcher finds firmly (not a weaker
    match by version parts) and, when both durations are known, within
    :data:`DURATION_TOLERANCE_MS`."""
    query = select(
        Track.id, Track.path, Track.artist, Track.album_artist, Track.title, Track.album,
        Track.duration_ms,
    ).where(Track.available.is_(True)).order_by(Track.id)  # fmt: skip
    matcher = Matcher(
        LibraryTrack(track_id, path, artist or album_artist, title, album, duration_ms)
        for track_id, path, artist, album_artist, title, album, duration_ms in s.execute(query)
    )
    out = []
    for row in loose:
        found = matcher.match(row.artist, row.title, row.album, row.duration_ms)
        track = found.track
        if track is None or found.reason:
            continue
        if _far(row.duration_ms, track.duration_ms):
            continue  # the same title, another recording
        out.append({"id": row.id, "track_id": track.id})
    return out


def _far(ours: int | None, theirs: int | None) -> bool:
    """Both durations known and further apart than the matcher's tolerance."""
    return ours is not None and theirs is not None and abs(ours - theirs) > DURATION_TOLERANCE_MS
