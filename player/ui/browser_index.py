"""What the library browser lists: artists, their albums and discs, built from the window's rows
in one pure-Python pass (safe on a worker thread; no widgets, no SQL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from player.albums import (
    UNKNOWN_ARTIST,
    UNKNOWN_KEY,
    VARIOUS_ARTISTS,
    VARIOUS_KEY,
    AlbumKey,
    album_groups,
    artist_key,
    play_order,
)

if TYPE_CHECKING:  # types only: the window must not import the database layer at start-up
    from player.library import TrackRow

UNKNOWN_ALBUM = "Unknown album"


@dataclass(frozen=True)
class Cover:
    """Where an album's cover is read from (the arguments of ``CoverCache.thumbnail``)."""

    path: str
    cover_path: str | None
    has_embedded: bool


@dataclass(frozen=True)
class Disc:
    """One disc of an album with several."""

    number: int
    track_ids: tuple[int, ...]

    @property
    def label(self) -> str:
        """What the tree shows."""
        return f"Disc {self.number}"


@dataclass(frozen=True)
class Album:
    """An album: its tracks in play order, its discs when it has more than one."""

    key: AlbumKey
    title: str
    artist: str
    year: int | None
    track_ids: tuple[int, ...]
    discs: tuple[Disc, ...]
    cover: Cover | None

    @property
    def label(self) -> str:
        """The title with its year, as the tree shows it."""
        return f"{self.title} ({self.year})" if self.year else self.title


@dataclass(frozen=True)
class Artist:
    """An album artist (or Various Artists, or Unknown artist) and their albums, oldest first."""

    key: str
    name: str
    albums: tuple[Album, ...]

    @property
    def label(self) -> str:
        """What the tree shows."""
        return self.name

    @property
    def track_ids(self) -> tuple[int, ...]:
        """Every track of the artist, album by album in play order."""
        return tuple(i for album in self.albums for i in album.track_ids)


@dataclass(frozen=True)
class BrowseIndex:
    """Artists (Various Artists first, Unknown artist last) and every album for the grid."""

    artists: tuple[Artist, ...]
    albums: tuple[Album, ...]
    track_count: int


def _discs(tracks: Sequence[TrackRow]) -> tuple[Disc, ...]:
    numbers: dict[int, list[int]] = defaultdict(list)
    for t in tracks:
        numbers[t.disc_number or 1].append(t.id)
    if len(numbers) < 2:
        return ()
    return tuple(Disc(n, tuple(ids)) for n, ids in sorted(numbers.items()))


def _album(key: AlbumKey, tracks: list[TrackRow]) -> Album:
    first = tracks[0]
    if key[0] == VARIOUS_KEY:
        artist = VARIOUS_ARTISTS
    else:
        artist = first.album_artist or first.artist or UNKNOWN_ARTIST
    years = [t.year for t in tracks if t.year] if first.album else []  # loose tracks: no year
    art = next((t for t in tracks if t.has_embedded_cover or t.cover_path), None)
    return Album(
        key=key,
        title=first.album or UNKNOWN_ALBUM,
        artist=artist,
        year=min(years) if years else None,
        track_ids=tuple(t.id for t in tracks),
        discs=_discs(tracks),
        cover=None if art is None else Cover(art.path, art.cover_path, art.has_embedded_cover),
    )


def _artist_order(artist: Artist) -> tuple[int, str]:
    rank = 0 if artist.key == VARIOUS_KEY else 2 if artist.key == UNKNOWN_KEY else 1
    return (rank, artist.key)


def _album_order(album: Album) -> tuple[bool, bool, int, str]:
    return (album.key[1] == "", album.year is None, album.year or 0, album.key[1])


def build_index(rows: Sequence[TrackRow]) -> BrowseIndex:
    """Group ``rows`` into artists, albums and discs; tracks without an album tag form their
    artist's "Unknown album", tracks without any artist tag fall under "Unknown artist"."""
    groups = album_groups(rows)
    untitled: dict[str, list[TrackRow]] = defaultdict(list)
    for row in rows:
        if not row.album:
            untitled[artist_key(row)].append(row)
    for artist, members in untitled.items():
        members.sort(key=play_order)
        groups[(artist, "", "")] = members
    by_artist: dict[str, list[Album]] = defaultdict(list)
    names: dict[str, str] = {}
    for key, members in groups.items():
        album = _album(key, members)
        by_artist[key[0]].append(album)
        names.setdefault(key[0], album.artist)
    artists = sorted(
        (
            Artist(key, names[key], tuple(sorted(a, key=_album_order)))
            for key, a in by_artist.items()
        ),
        key=_artist_order,
    )
    albums = tuple(album for artist in artists for album in artist.albums)
    return BrowseIndex(tuple(artists), albums, len(rows))
