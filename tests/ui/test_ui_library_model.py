"""The library table model (search, sort, roles) and its proxy, tested without a view."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt

from player.library import TrackRow
from player.queue import TRACKS_MIME
from player.ui.library_model import LibraryModel, TrackIdRole, make_library_proxy
from player.ui.library_rows import (
    ALBUM,
    ARTIST,
    COLUMNS,
    GENRE,
    PLAYS,
    TIME,
    TITLE,
    TRACKNO,
    YEAR,
    format_ms,
    prepare_rows,
    sorted_order,
)


def row(i: int, title: str, artist: str, album: str, **kw: object) -> TrackRow:
    base = TrackRow(
        track_id=i,
        path=f"/music/{i}.mp3",
        title=title,
        artist=artist,
        album_artist=artist,
        album=album,
        track_number=i,
        disc_number=1,
        genre="Rock",
        year=2000 + i,
        duration_ms=60_000 * i + 5_000,
        codec="mp3",
        available=True,
        play_count=0,
        has_embedded_cover=False,
        cover_path=None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


ROWS = [
    row(1, "Blue in Green", "Miles Davis", "Kind of Blue"),
    row(2, "So What", "Miles Davis", "Kind of Blue", play_count=3),
    row(3, "Teen Town", "Weather Report", "Heavy Weather", available=False),
    row(4, "Naima", "John Coltrane", "Giant Steps", year=None, track_number=None),
]


def titles(model) -> list[str]:
    return [model.index(r, TITLE).data() for r in range(model.rowCount())]


def make(qapp):
    model = LibraryModel()
    model.set_rows(ROWS)
    return model, make_library_proxy(model)


def test_rows_columns_and_display(qapp) -> None:
    model, _ = make(qapp)
    assert model.rowCount() == 4
    assert model.columnCount() == 8
    assert model.rowCount(model.index(0, 0)) == 0  # a table, not a tree
    second = model.index(1, 0).row()
    assert model.index(second, ARTIST).data() == "Miles Davis"
    assert model.index(second, TIME).data() == "2:05"
    assert model.index(second, PLAYS).data() == "3"
    assert model.index(3, YEAR).data() == ""
    assert model.index(3, TRACKNO).data() == ""
    assert model.index(0, TITLE).data(TrackIdRole) == 1
    assert model.headerData(ALBUM, Qt.Orientation.Horizontal) == "Album"


def test_missing_tracks_are_greyed_not_dropped(qapp) -> None:
    model, proxy = make(qapp)
    i = model.source_row(3)
    assert model.index(i, TITLE).data() == "Teen Town"
    assert model.index(i, TITLE).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, TITLE).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.flags(model.index(i, TITLE)) & Qt.ItemFlag.ItemIsEnabled
    assert proxy.rowCount() == 4
    model.mark_unavailable(1)
    assert model.index(model.source_row(1), 0).data(Qt.ItemDataRole.ForegroundRole) is not None


def test_sort_by_columns_through_the_proxy(qapp) -> None:
    model, proxy = make(qapp)
    model.sort(ARTIST, Qt.SortOrder.AscendingOrder)
    assert titles(proxy) == ["Naima", "Blue in Green", "So What", "Teen Town"]
    model.sort(TIME, Qt.SortOrder.DescendingOrder)
    assert titles(proxy) == ["Naima", "Teen Town", "So What", "Blue in Green"]
    model.sort(YEAR, Qt.SortOrder.AscendingOrder)
    assert titles(proxy)[-1] == "Naima"  # unknown year last
    model.sort(PLAYS, Qt.SortOrder.AscendingOrder)
    assert titles(proxy)[0] == "So What"  # most played first


def _n(value: int | None) -> float:
    return float("inf") if value is None else value  # unknown numbers last


def _album_order(r: TrackRow) -> tuple[object, ...]:
    return (r.album.casefold(), _n(r.disc_number), _n(r.track_number))


def _title(r: TrackRow) -> str:
    return r.title.casefold() or r.path.casefold()


# Each column's whole key at once: what the table's order must be. Every column's ties are in the
# album order (artist, album, disc, track, title), Artist's own order.
def _album(r: TrackRow) -> tuple[object, ...]:
    return (r.artist.casefold(), *_album_order(r), _title(r))


WHOLE_KEY = {
    TITLE: lambda r: (_title(r), *_album(r)),
    ARTIST: _album,
    ALBUM: lambda r: (*_album_order(r), *_album(r)),
    TRACKNO: lambda r: (_n(r.track_number), *_album(r)),
    TIME: lambda r: (_n(r.duration_ms), *_album(r)),
    GENRE: lambda r: (r.genre.casefold(), *_album(r)),
    YEAR: lambda r: (_n(r.year), *_album(r)),
    PLAYS: lambda r: (-r.play_count, *_album(r)),
}


def random_rows(seed: int, n: int = 400) -> list[TrackRow]:
    """Rows with few distinct values (many ties), accents, case, empty and unknown fields."""
    rng = random.Random(seed)
    names = ("Miles", "miles", "Été", "ete", "", "Nina")
    numbers = (None, 1, 2, 2, 10)
    return [
        replace(
            row(i, rng.choice(names), rng.choice(names), rng.choice(names)),
            disc_number=rng.choice(numbers),
            track_number=rng.choice(numbers),
            duration_ms=rng.choice(numbers),
            year=rng.choice(numbers),
            genre=rng.choice(names),
            play_count=rng.choice((0, 0, 3)),
        )
        for i in range(1, n)
    ]


def in_order(rows: list[TrackRow], column: int, order: Qt.SortOrder) -> bool:
    """``rows`` are in the order of ``column``'s whole key."""
    keys = [WHOLE_KEY[column](r) for r in rows]
    return keys == sorted(keys, reverse=order == Qt.SortOrder.DescendingOrder)


def test_each_sort_is_the_order_of_the_columns_whole_key(qapp) -> None:
    """Issue 29: no key is kept per row; a sort runs one stable pass per field instead."""
    rows = random_rows(29)
    for column in range(len(COLUMNS)):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            positions = sorted_order(rows, (column, order))
            assert sorted(positions) == list(range(len(rows)))
            assert in_order([rows[j] for j in positions], column, order), (COLUMNS[column], order)


def test_header_clicks_keep_the_album_order_and_tag_changes_renew_it(qapp) -> None:
    """The model keeps the album order between sorts (a click sorts only the column's own
    fields); rows prepared off the GUI thread bring theirs, and changed or added rows drop it."""
    rng = random.Random(7)
    rows = random_rows(11)
    model = LibraryModel()
    model.sort(TIME, Qt.SortOrder.DescendingOrder)
    model.set_rows(prepare_rows(rows, model.sort_spec))
    ids = {r.track_id for r in rows}
    clicks = [(c, o) for c in range(len(COLUMNS)) for o in Qt.SortOrder] * 2
    rng.shuffle(clicks)
    clicks = [c for c, before in zip(clicks, [None, *clicks], strict=False) if c != before]
    for k, (column, order) in enumerate(clicks):  # each a new sort (an edit alone does not sort)
        if k % 5 == 2:  # a tag edited by a rescan
            changed = replace(rng.choice(rows), artist=rng.choice(("Zoe", "abe")), title="x")
            model.merge_rows(prepare_rows([changed]))
        if k % 7 == 3:  # a new track from a scan
            extra = replace(random_rows(k, 3)[1], track_id=1000 + k)
            model.merge_rows(prepare_rows([extra]))
            ids.add(extra.track_id)
        model.sort(column, order)
        assert in_order(model.rows(), column, order), (k, COLUMNS[column], order)
        assert sorted(r.track_id for r in model.rows()) == sorted(ids)


def test_search_is_case_insensitive_and_needs_every_word(qapp) -> None:
    model, proxy = make(qapp)
    model.set_search("MILES")
    assert sorted(titles(proxy)) == ["Blue in Green", "So What"]
    model.set_search("miles what")
    assert titles(proxy) == ["So What"]
    model.set_search("weather")  # album and artist both match, once
    assert titles(proxy) == ["Teen Town"]
    model.set_search("nothing like this")
    assert proxy.rowCount() == 0
    model.set_search("  ")
    assert proxy.rowCount() == 4


def test_search_survives_sort_and_rows_arriving_during_a_scan(qapp) -> None:
    model, proxy = make(qapp)
    model.set_search("blue")
    model.sort(TITLE, Qt.SortOrder.DescendingOrder)
    assert titles(proxy) == ["So What", "Blue in Green"]
    model.set_rows([*ROWS, row(5, "Blue Train", "John Coltrane", "Blue Train")])
    assert sorted(titles(proxy)) == ["Blue Train", "Blue in Green", "So What"]
    renamed = [replace(ROWS[0], title="Flamenco Sketches", album="Other"), *ROWS[1:]]
    model.set_rows(renamed)
    assert "Flamenco Sketches" not in titles(proxy)


def test_rows_extend_in_place_and_keep_persistent_indexes(qapp) -> None:
    model, _ = make(qapp)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    keep = model.index(model.source_row(4), 0)
    from PySide6.QtCore import QPersistentModelIndex

    pin = QPersistentModelIndex(keep)
    model.set_rows([*ROWS, row(9, "Late", "Someone", "Else")])
    assert inserted == [(4, 4)]
    model.sort(TITLE, Qt.SortOrder.AscendingOrder)
    assert model.row(pin.row()).id == 4


def test_drag_carries_track_ids(qapp) -> None:
    model, _ = make(qapp)
    mime = model.mimeData([model.index(0, 0), model.index(0, 1), model.index(2, 0)])
    ids = json.loads(bytes(mime.data(TRACKS_MIME).data()))
    assert ids == [model.row(0).id, model.row(2).id]
    assert model.data(QModelIndex(), Qt.ItemDataRole.DisplayRole) is None


def test_play_count_and_format(qapp) -> None:
    model, _ = make(qapp)
    model.count_finished_play(1)
    assert model.track(1).play_count == 1
    assert format_ms(None) == ""
    assert format_ms(3_725_000) == "1:02:05"


def test_rows_prepared_off_the_gui_thread_match_the_model_sort(qapp) -> None:
    model, proxy = make(qapp)
    model.sort(ARTIST, Qt.SortOrder.AscendingOrder)
    extra = row(5, "Blue Train", "John Coltrane", "Blue Train")
    model.set_rows(prepare_rows([*ROWS, extra], model.sort_spec))
    assert titles(proxy)[-1] == "Blue Train"  # appended while extending, as during a scan
    model.resort()
    assert titles(proxy)[:2] == ["Blue Train", "Naima"]
    other = LibraryModel()
    other.sort(TITLE, Qt.SortOrder.AscendingOrder)
    other.set_rows(prepare_rows(ROWS, (ARTIST, Qt.SortOrder.AscendingOrder)))  # stale spec
    assert [other.row(i).title for i in range(4)] == sorted(r.title for r in ROWS)


def test_merge_rows_replaces_known_rows_and_appends_new_ones(qapp) -> None:
    """Issue #27: a watcher's scan hands the table only the rows it changed."""
    model = LibraryModel()
    model.set_rows([row(1, "Blue", "Miles", "Kind"), row(2, "Green", "Miles", "Kind")])
    model.set_search("miles")
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    changed = replace(row(2, "Greener", "Miles", "Kind"), available=False)
    model.merge_rows(
        prepare_rows([changed, row(3, "So What", "Miles", "Kind"), row(4, "Naima", "Trane", "X")])
    )
    assert model.track(2) == changed and model.track(1).title == "Blue"
    assert model.track(4) is not None  # in the library, hidden by the search
    assert [model.row(i).id for i in range(model.rowCount())] == [1, 2, 3]
    assert inserted == [(2, 2)]
    model.set_search("")
    assert model.rowCount() == 4


def test_merged_new_rows_outside_the_browser_choice_stay_hidden(qapp) -> None:
    model = LibraryModel()
    model.set_rows([row(1, "Blue", "Miles", "Kind"), row(2, "Green", "Miles", "Kind")])
    model.set_scope({1, 2})
    model.merge_rows(prepare_rows([row(3, "So What", "Miles", "Kind")]))
    assert model.rowCount() == 2 and model.track(3) is not None
    model.set_scope(None)
    assert model.rowCount() == 3
