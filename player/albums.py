"""Album order from tags: which track follows which on its album (stdlib only).

The one definition radio's library-order fallback and the recommender's cold-start prior share:
an album is (album artist or artist, album title), case-folded; its tracks play by disc, then
track number, then path.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable

from player.plugin_api import TrackInfo


def album_key(track: TrackInfo) -> tuple[str, str] | None:
    """The album a track belongs to, or None for a track without an album tag."""
    if not track.album:
        return None
    return ((track.album_artist or track.artist).casefold(), track.album.casefold())


def play_order(track: TrackInfo) -> tuple[int, int, str]:
    """Sort key of a track within its album."""
    return (track.disc_number or 0, track.track_number or 0, track.path)


def album_successors(tracks: Iterable[TrackInfo]) -> dict[int, int]:
    """``{track_id: id of the next track on its album}`` (an album's last track has none)."""
    albums: dict[tuple[str, str], list[TrackInfo]] = defaultdict(list)
    for track in tracks:
        key = album_key(track)
        if key is not None:
            albums[key].append(track)
    successors: dict[int, int] = {}
    for members in albums.values():
        members.sort(key=play_order)
        for a, b in itertools.pairwise(members):
            successors[a.track_id] = b.track_id
    return successors
