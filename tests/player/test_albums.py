"""Album grouping and order (player/albums.py): album artists, untagged compilations, discs."""

from __future__ import annotations

from player.albums import VARIOUS_KEY, album_groups, album_successors
from player.plugin_api import TrackInfo


def info(i: int, path: str, artist: str, album: str, **kw: object) -> TrackInfo:
    return TrackInfo(track_id=i, path=path, title=f"t{i}", artist=artist, album=album, **kw)  # type: ignore[arg-type]


def test_an_untagged_compilation_in_one_folder_is_one_album_by_various_artists() -> None:
    tracks = [
        info(1, "/m/Hits/02.mp3", "Bea", "Hits", track_number=2),
        info(2, "/m/Hits/01.mp3", "Al", "Hits", track_number=1),
        # the same title elsewhere, by one artist: that artist's own album
        info(3, "/m/Al/Hits/01.mp3", "Al", "Hits", track_number=1),
    ]
    groups = album_groups(tracks)
    assert [t.track_id for t in groups[(VARIOUS_KEY, "hits", "/m/Hits")]] == [2, 1]
    assert [t.track_id for t in groups[("al", "hits", "")]] == [3]
    assert album_successors(tracks) == {2: 1}


def test_album_artist_groups_across_artists_and_disc_folders_join() -> None:
    tracks = [
        info(1, "/m/X/CD2/01.mp3", "Guest", "X", album_artist="Band", disc_number=2),
        info(2, "/m/X/CD1/01.mp3", "Band", "X", album_artist="band", disc_number=1),
        info(3, "/m/C/Disc 2/01.mp3", "P", "C", disc_number=2, track_number=1),
        info(4, "/m/C/Disc 1/01.mp3", "Q", "C", disc_number=1, track_number=1),
        info(5, "/m/C/none.mp3", "Q", ""),  # no album: in no group
    ]
    groups = album_groups(tracks)
    assert [t.track_id for t in groups[("band", "x", "")]] == [2, 1]
    assert [t.track_id for t in groups[(VARIOUS_KEY, "c", "/m/C")]] == [4, 3]
    assert len(groups) == 2
