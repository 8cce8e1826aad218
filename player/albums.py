"""Albums from tags: which tracks make an album, the order they play in, radio seeds (stdlib only).

The one definition radio's library-order fallback, the recommender's cold-start prior and the
library browser share: an album is (album artist or artist, album title), case-folded; tracks
with no album artist that share a title and a folder but not an artist are one compilation
("Various Artists"); an album's tracks play by disc, then track number, then path.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from player.plugin_api import TrackInfo

VARIOUS_ARTISTS = "Various Artists"
VARIOUS_KEY = VARIOUS_ARTISTS.casefold()  # an album artist tagged so joins the compilations
UNKNOWN_ARTIST = "Unknown artist"  # what the scanner stores for a file without an artist tag
UNKNOWN_KEY = UNKNOWN_ARTIST.casefold()

# A compilation split into disc folders ("CD1", "Disc 2") is one album: its folder is the parent.
_DISC_FOLDER = re.compile(r"(cd|dis[ck])\s*\d+", re.IGNORECASE)

AlbumKey = tuple[str, str, str]
"""(album artist casefolded, album title casefolded, folder of an untagged compilation or "")."""


class AlbumTrack(Protocol):
    """What grouping and ordering read from a track (TrackInfo and the window's rows have it)."""

    @property
    def path(self) -> str: ...
    @property
    def artist(self) -> str: ...
    @property
    def album_artist(self) -> str: ...
    @property
    def album(self) -> str: ...
    @property
    def disc_number(self) -> int | None: ...
    @property
    def track_number(self) -> int | None: ...


T = TypeVar("T", bound=AlbumTrack)


class SeedTrack(AlbumTrack, Protocol):
    """A track a radio seed may start from: it says whether its file is there."""

    @property
    def available(self) -> bool: ...


S = TypeVar("S", bound=SeedTrack)


def album_key(track: TrackInfo) -> tuple[str, str] | None:
    """The album a track belongs to, or None for a track without an album tag."""
    if not track.album:
        return None
    return ((track.album_artist or track.artist).casefold(), track.album.casefold())


def artist_key(track: AlbumTrack) -> str:
    """The artist a track is listed under: album artist, else artist, case-folded."""
    return (track.album_artist or track.artist or UNKNOWN_ARTIST).casefold()


def play_order(track: AlbumTrack) -> tuple[int, int, str]:
    """Sort key of a track within its album."""
    return (track.disc_number or 0, track.track_number or 0, track.path)


def _album_folder(path: str) -> str:
    folder = os.path.dirname(path)
    if _DISC_FOLDER.fullmatch(os.path.basename(folder)):
        folder = os.path.dirname(folder)
    return folder


def album_groups(tracks: Iterable[T]) -> dict[AlbumKey, list[T]]:
    """Tracks that have an album tag, grouped by album, each album in play order."""
    groups: dict[AlbumKey, list[T]] = defaultdict(list)
    untagged: dict[tuple[str, str], list[T]] = defaultdict(list)  # (album, folder): no album artist
    for track in tracks:
        if not track.album:
            continue
        if track.album_artist:
            groups[(artist_key(track), track.album.casefold(), "")].append(track)
        else:
            untagged[(track.album.casefold(), _album_folder(track.path))].append(track)
    for (album, folder), members in untagged.items():
        if len({m.artist.casefold() for m in members}) > 1:
            groups[(VARIOUS_KEY, album, folder)].extend(members)
        else:
            groups[(artist_key(members[0]), album, "")].extend(members)
    for members in groups.values():
        members.sort(key=play_order)
    return groups


def album_successors(tracks: Iterable[TrackInfo]) -> dict[int, int]:
    """``{track_id: id of the next track on its album}`` (an album's last track has none)."""
    successors: dict[int, int] = {}
    for members in album_groups(tracks).values():
        for a, b in itertools.pairwise(members):
            successors[a.track_id] = b.track_id
    return successors


def seed_tracks(
    tracks: Iterable[S], *, album: str | None = None, artist: str | None = None
) -> list[S]:
    """A radio seed from the library: the available tracks of the album(s) titled ``album``,
    or by ``artist`` (as artist or album artist), names case-folded; album by album (as
    :func:`album_groups` makes them) in play order, tracks without an album last."""
    wanted_album = album.casefold() if album is not None else None
    wanted_artist = artist.casefold() if artist is not None else None

    def wanted(t: S) -> bool:
        names = (t.artist.casefold(), t.album_artist.casefold())
        return (
            t.available
            and (wanted_album is None or t.album.casefold() == wanted_album)
            and (wanted_artist is None or wanted_artist in names)
        )

    found = [t for t in tracks if wanted(t)]
    groups = album_groups(found)
    loose = sorted((t for t in found if not t.album), key=play_order)
    return [t for key in sorted(groups) for t in groups[key]] + loose


def album_of(tracks: Iterable[T], track: T) -> list[T]:
    """The album ``track`` belongs to (as :func:`album_groups` makes it), in play order."""
    for members in album_groups(tracks).values():
        if any(m.path == track.path for m in members):
            return members
    return [track]


#: Tracks of a seed (an album, an artist) radio's state is run through, at most.
SEED_LENGTH = 20


def seed_order(seed: Sequence[int]) -> list[int]:
    """The order a seed primes radio in: the rest of the seed (up to :data:`SEED_LENGTH`), then
    ``seed[0]``, the track that plays first (see :meth:`Plugin.start_from`)."""
    return [*seed[1:][-SEED_LENGTH + 1 :], seed[0]] if seed else []
