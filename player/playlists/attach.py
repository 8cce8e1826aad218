"""Attaching playlist entries that have no track to the library's tracks (after every scan).

An entry attaches to the track at its path, else (moved, or written by another player) to an
available track with the same title and artist and a duration within :data:`DURATION_SLACK_MS`.
An attached entry follows its track, which the scanner moves along with its file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from player.db.engine import Database
from player.db.models import PlaylistEntry, Track
from player.playlists.records import is_url

log = logging.getLogger(__name__)

#: How far an entry's duration may be from a track's to match it (M3U gives whole seconds).
DURATION_SLACK_MS = 2000


def attach_entries(db: Database) -> int:
    """Attach entries without a track to the library's tracks; returns how many were attached.

    Run after every scan: an entry attaches to the track at its path, else (moved, or written by
    another player) to an available track with the same title and artist and a duration within
    :data:`DURATION_SLACK_MS`; several such tracks: the same album first, then the same file
    name, then the oldest.
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
