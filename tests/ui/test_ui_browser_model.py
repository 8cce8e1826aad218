"""The browser's index and models (artists, albums, discs, Various Artists, unknowns) and the
library model's browser scope, tested without views."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from player.albums import UNKNOWN_ARTIST
from player.library import TrackRow
from player.ui.browser_index import UNKNOWN_ALBUM, build_index
from player.ui.browser_model import AlbumGridModel, BrowseTreeModel, TrackIdsRole
from player.ui.library_model import LibraryModel, make_library_proxy
from player.ui.tasks import TaskRunner

D = Qt.ItemDataRole.DisplayRole


def track(i: int, artist: str, album: str, **kw: object) -> TrackRow:
    base = TrackRow(
        track_id=i,
        path=f"/music/{artist}/{album}/{i:02d}.flac",
        title=f"Song {i}",
        artist=artist,
        album_artist=artist,
        album=album,
        track_number=i,
        disc_number=1,
        genre="Rock",
        year=2000,
        duration_ms=180_000,
        codec="flac",
        available=True,
        play_count=0,
        has_embedded_cover=False,
        cover_path=None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


LIBRARY = [
    # two albums of one artist; the later one first in the rows
    track(1, "Nina Simone", "Pastel Blues", year=1965),
    track(2, "Nina Simone", "Pastel Blues", year=1965),
    track(3, "Nina Simone", "Little Girl Blue", year=1959),
    # a double album, tracks out of order
    track(4, "Miles Davis", "Bitches Brew", disc_number=2, track_number=1, year=1970),
    track(5, "Miles Davis", "Bitches Brew", disc_number=1, track_number=2, year=1970),
    track(6, "Miles Davis", "Bitches Brew", disc_number=1, track_number=1, year=1970),
    # an untagged compilation: several artists, no album artist, one folder
    *(
        track(i, a, "Jazz Hits", album_artist="", path=f"/music/Jazz Hits/{i}.mp3", track_number=i)
        for i, a in (
            (
                8,
                "Ella Fitzgerald",
            ),
            (7, "Chet Baker"),
        )
    ),
    # a compilation tagged so
    track(9, "Bill Evans", "Verve Story", album_artist="Various Artists"),
    # untagged files
    track(10, "", "", album_artist="", title="", path="/music/rip/track10.wav"),
    track(11, "Chet Baker", "", album_artist=""),
    # as the scanner stores a file without an artist tag: listed with the untagged ones
    track(12, UNKNOWN_ARTIST, "Demo", album_artist="", year=None),
]


def tree() -> BrowseTreeModel:
    model = BrowseTreeModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_index(build_index(LIBRARY))
    return model


def children(model: BrowseTreeModel, parent: QModelIndex) -> list[str]:
    return [model.index(r, 0, parent).data(D) for r in range(model.rowCount(parent))]


def ids(model, index: QModelIndex) -> tuple[int, ...]:
    return model.data(index, TrackIdsRole)


def test_tree_lists_all_then_various_artists_then_artists_then_unknown(qapp) -> None:
    model = tree()
    assert children(model, QModelIndex()) == [
        "All (8 albums)",
        "Various Artists",
        "Chet Baker",
        "Miles Davis",
        "Nina Simone",
        UNKNOWN_ARTIST,
    ]
    assert ids(model, model.index(0, 0)) is None  # "All" clears the filter


def test_albums_by_year_in_play_order_and_discs_grouped(qapp) -> None:
    model = tree()
    nina = model.index(4, 0)
    assert children(model, nina) == ["Little Girl Blue (1959)", "Pastel Blues (1965)"]
    assert ids(model, nina) == (3, 1, 2)
    brew = model.index(0, 0, model.index(3, 0))
    assert ids(model, brew) == (6, 5, 4)
    assert children(model, brew) == ["Disc 1", "Disc 2"]
    disc2 = model.index(1, 0, brew)
    assert ids(model, disc2) == (4,)
    assert disc2.parent() == brew and brew.parent() == model.index(3, 0)
    assert model.rowCount(disc2) == 0
    assert children(model, model.index(0, 0, nina)) == []  # a single disc: no disc rows


def test_compilations_under_various_artists_and_untagged_under_unknowns(qapp) -> None:
    model = tree()
    various = model.index(1, 0)
    assert children(model, various) == ["Jazz Hits (2000)", "Verve Story (2000)"]
    assert ids(model, model.index(0, 0, various)) == (7, 8)
    chet = model.index(2, 0)
    assert children(model, chet) == [UNKNOWN_ALBUM]
    assert ids(model, chet) == (11,)
    unknown = model.index(5, 0)
    assert children(model, unknown) == ["Demo", UNKNOWN_ALBUM]
    assert ids(model, unknown) == (12, 10)


def test_grid_lists_all_then_every_album_with_artist(qapp) -> None:
    model = AlbumGridModel(TaskRunner(), lambda _cover: None, 64)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_index(build_index(LIBRARY))
    assert model.rowCount() == 9
    assert model.index(0, 0).data(D) == "All (8 albums)"
    assert model.index(1, 0).data(D) == "Jazz Hits\nVarious Artists"
    assert model.index(5, 0).data(D) == "Little Girl Blue\nNina Simone"
    assert ids(model, model.index(5, 0)) == (3,)
    assert model.index(5, 0).data(Qt.ItemDataRole.DecorationRole) is not None  # placeholder


def test_scope_filters_the_proxy_and_combines_with_search(qapp) -> None:
    model = LibraryModel()
    proxy = make_library_proxy(model)
    model.set_rows(LIBRARY)
    index = build_index(LIBRARY)
    nina = next(a for a in index.artists if a.name == "Nina Simone")
    model.set_scope(nina.track_ids)
    shown = {proxy.index(r, 0).data(D) for r in range(proxy.rowCount())}
    assert shown == {"Song 1", "Song 2", "Song 3"}
    model.set_search("song 1")
    assert [proxy.index(r, 0).data(D) for r in range(proxy.rowCount())] == ["Song 1"]
    model.set_scope(None)  # "All": the search alone
    shown = {proxy.index(r, 0).data(D) for r in range(proxy.rowCount())}
    assert shown == {"Song 1", "Song 11", "Song 12"}
    model.set_search("")
    assert proxy.rowCount() == len(LIBRARY)


def test_scope_keeps_its_tracks_through_a_reload_and_a_sort(qapp) -> None:
    model = LibraryModel()
    model.set_rows(LIBRARY)
    model.set_scope((6, 5, 4))
    model.set_rows([*LIBRARY, track(12, "Miles Davis", "Kind of Blue")])  # a scan found more
    assert sorted(model.row(r).id for r in range(model.rowCount())) == [4, 5, 6]
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert sorted(model.row(r).id for r in range(model.rowCount())) == [4, 5, 6]
