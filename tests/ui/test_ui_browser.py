"""The browser pane in the real window: choosing filters the table (with the search), double-
click plays an album through in album order, covers fill the grid, the layout is kept."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, Qt

from player.app import PlayerParts, build_player
from player.ui.browser import GRID, TREE, BrowserPane
from player.ui.browser_index import Album, build_index
from player.ui.browser_model import EntryRole
from player.ui.cover_cache import CoverCache
from player.ui.library_rows import TITLE
from player.ui.tasks import TaskRunner
from tests.audio import cover_image, make_audio
from tests.ui.test_ui_browser_model import LIBRARY

TIMEOUT_MS = 30_000


@pytest.fixture
def albums_dir(tmp_path: Path) -> Path:
    """Band: a double album (files named out of order) and a later album with a cover; and an
    untagged two-artist compilation."""
    root = tmp_path / "music"
    double = {"artist": "Band", "albumartist": "Band", "album": "Double", "date": 2001}
    for name, title, disc, no in (("a", "Last", 2, 1), ("b", "Blue", 1, 2), ("c", "First", 1, 1)):
        tags = {**double, "title": title, "discnumber": disc, "tracknumber": no}
        make_audio(root / "Band" / "Double" / f"{name}.flac", tags=tags)
    later = {"artist": "Band", "albumartist": "Band", "album": "Later", "date": 2010}
    make_audio(
        root / "Band" / "Later" / "1.ogg",
        tags={**later, "title": "Blue Again", "tracknumber": 1},
        cover=cover_image("png"),
    )
    for no, artist in ((1, "X"), (2, "Y")):
        tags = {"artist": artist, "album": "Mix", "title": f"Mix {no}", "tracknumber": no}
        make_audio(root / "Mix" / f"{no}.ogg", tags=tags)
    return root


def loaded(qtbot, parts: PlayerParts, music: Path) -> None:
    window = parts.window
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.library_scanned, timeout=TIMEOUT_MS):
        window.start([music])
    # the browser builds its lists on a worker once the scan has loaded the rows
    qtbot.waitUntil(lambda: window.browser.tree_model.rowCount() == 3, timeout=TIMEOUT_MS)


def find(model, text: str, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        if index.data(Qt.ItemDataRole.DisplayRole).startswith(text):
            return index
    raise AssertionError(f"{text!r} not listed")


def click(qtbot, view, index: QModelIndex, *, double: bool = False) -> None:
    view.scrollTo(index)
    pos = view.visualRect(index).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    if double:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def titles(window) -> list[str]:
    proxy = window.proxy
    return [proxy.index(r, TITLE).data() for r in range(proxy.rowCount())]


def test_tree_lists_artists_albums_discs_and_various_artists(qtbot, player_parts, albums_dir):
    window = player_parts.window
    loaded(qtbot, player_parts, albums_dir)
    model, tree = window.browser.tree_model, window.browser.tree
    labels = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert labels == ["All (3 albums)", "Various Artists", "Band"]
    band = find(model, "Band")
    tree.expand(band)
    double = find(model, "Double (2001)", band)
    assert [model.index(r, 0, double).data() for r in range(2)] == ["Disc 1", "Disc 2"]
    assert find(model, "Mix", find(model, "Various Artists")).isValid()


def test_choosing_an_entry_filters_the_table_with_the_search(qtbot, player_parts, albums_dir):
    window = player_parts.window
    loaded(qtbot, player_parts, albums_dir)
    model, tree = window.browser.tree_model, window.browser.tree
    band = find(model, "Band")
    tree.expand(band)
    click(qtbot, tree, find(model, "Double", band))
    assert sorted(titles(window)) == ["Blue", "First", "Last"]
    qtbot.keyClicks(window.search, "blue")
    qtbot.waitUntil(lambda: titles(window) == ["Blue"])  # both apply
    click(qtbot, tree, find(model, "All"))
    assert sorted(titles(window)) == ["Blue", "Blue Again"]  # the search alone
    window.search.clear()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 6)
    click(qtbot, tree, band)
    assert window.proxy.rowCount() == 4


def test_double_click_plays_the_album_through_in_album_order(qtbot, player_parts, albums_dir):
    parts = player_parts
    window = parts.window
    loaded(qtbot, parts, albums_dir)
    model, tree = window.browser.tree_model, window.browser.tree
    band = find(model, "Band")
    tree.expand(band)
    double = find(model, "Double", band)
    with qtbot.waitSignal(parts.tracker.track_started, timeout=TIMEOUT_MS) as started:
        click(qtbot, tree, double, double=True)
    queued = [window.model.track(e.track_id).title for e in parts.queue.entries()]
    assert queued == ["First", "Blue", "Last"]  # disc 1 by track number, then disc 2
    assert window.model.track(started.args[0].track_id).title == "First"
    with qtbot.waitSignal(parts.tracker.track_started, timeout=TIMEOUT_MS) as second:
        pass  # the album plays on by itself
    assert window.model.track(second.args[0].track_id).title == "Blue"
    # an artist plays album by album, oldest first
    with qtbot.waitSignal(parts.tracker.track_started, timeout=TIMEOUT_MS) as third:
        click(qtbot, tree, band, double=True)
    assert window.model.track(third.args[0].track_id).title == "First"
    upcoming = [window.model.track(e.track_id).title for e in parts.queue.upcoming()]
    assert upcoming[:3] == ["Blue", "Last", "Blue Again"]


def test_grid_shows_covers_read_off_the_gui_thread(qtbot, player_parts, albums_dir):
    window = player_parts.window
    loaded(qtbot, player_parts, albums_dir)
    browser = window.browser
    grid_model = browser.grid_model
    later = next(
        r for r in range(grid_model.rowCount()) if grid_model.index(r, 0).data().startswith("Later")
    )
    blank = grid_model.index(0, 0).data(Qt.ItemDataRole.DecorationRole).cacheKey()
    with qtbot.waitSignal(grid_model.dataChanged, timeout=TIMEOUT_MS):
        qtbot.mouseClick(browser.mode_buttons.button(GRID), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: grid_model.index(later, 0).data(Qt.ItemDataRole.DecorationRole).cacheKey() != blank
    )
    click(qtbot, browser.grid, grid_model.index(later, 0))
    assert isinstance(browser.entry(), Album)
    assert titles(window) == ["Blue Again"]
    # back to the tree: its choice ("All") applies again
    qtbot.mouseClick(browser.mode_buttons.button(TREE), Qt.MouseButton.LeftButton)
    assert window.proxy.rowCount() == 6


def test_mode_and_width_are_kept_across_restarts(qtbot, app_paths, db, albums_dir):
    parts = build_player(app_paths, db)
    qtbot.addWidget(parts.window)
    loaded(qtbot, parts, albums_dir)
    window = parts.window
    window.browser.set_mode(GRID)
    window.resize(760, 600)
    qtbot.waitUntil(lambda: window.width() == 760)
    window.main_splitter.setSizes([sum(window.main_splitter.sizes()), 0])  # side panel closed
    total = sum(window.browser_splitter.sizes())
    window.browser_splitter.setSizes([total // 2, total - total // 2])
    sizes = window.browser_splitter.sizes()
    window.close()
    parts.shutdown()
    parts.dispose()
    again = build_player(app_paths, db)
    qtbot.addWidget(again.window)
    try:
        again.window.show()
        qtbot.waitExposed(again.window)
        assert again.window.browser.mode == GRID
        assert again.window.browser_splitter.sizes() == sizes
        assert again.window.browser.grid_model.index(0, 0).data(EntryRole) is None
    finally:
        again.shutdown()
        again.dispose()


def test_a_choice_and_a_search_that_leave_nothing_keep_the_table(qtbot, player_parts, albums_dir):
    """Issue #27: an empty result showed the "library is empty" welcome page; a search that
    matches nothing within a choice says so (#26)."""
    window = player_parts.window
    loaded(qtbot, player_parts, albums_dir)
    model, tree = window.browser.tree_model, window.browser.tree
    click(qtbot, tree, find(model, "Various Artists"))
    qtbot.keyClicks(window.search, "blue")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0)
    assert window.stack.currentWidget() is window.no_match
    assert window.status.count_label.text() == "0 of 6 tracks"


def test_enter_plays_and_the_context_menu_queues(qtbot, player_parts, albums_dir):
    parts = player_parts
    window = parts.window
    loaded(qtbot, parts, albums_dir)
    model, tree = window.browser.tree_model, window.browser.tree
    later = find(model, "Later", find(model, "Band"))
    tree.setFocus()
    tree.setCurrentIndex(later)
    with qtbot.waitSignal(parts.tracker.track_started, timeout=TIMEOUT_MS) as started:
        qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert window.model.track(started.args[0].track_id).title == "Blue Again"
    tree.setCurrentIndex(find(model, "Mix", find(model, "Various Artists")))
    [enqueue] = [a for a in tree.actions() if a.text() == "Add to Queue"]
    enqueue.trigger()
    queued = [window.model.track(e.track_id).title for e in parts.queue.entries()]
    assert queued == ["Blue Again", "Mix 1", "Mix 2"]


def test_a_rebuild_keeps_the_choice_and_what_was_open(qtbot, player_parts, albums_dir):
    parts = player_parts
    window = parts.window
    loaded(qtbot, parts, albums_dir)
    model, tree = window.browser.tree_model, window.browser.tree
    band = find(model, "Band")
    tree.expand(band)
    tree.expand(find(model, "Various Artists"))
    click(qtbot, tree, find(model, "Double", band))
    make_audio(
        albums_dir / "Band" / "Double" / "d.flac",
        tags={"artist": "Band", "albumartist": "Band", "album": "Double", "title": "Bonus"},
    )
    with qtbot.waitSignal(window.library_scanned, timeout=TIMEOUT_MS):
        window.rescan()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 4)  # the choice now holds the new track
    assert "Bonus" in titles(window)
    band = find(model, "Band")
    assert tree.currentIndex() == find(model, "Double", band)
    assert tree.isExpanded(find(model, "Various Artists"))  # open, though not chosen


def test_untagged_files_are_under_unknown_artist_and_album(qtbot, player_parts, tmp_path):
    window = player_parts.window
    root = tmp_path / "rips"
    make_audio(root / "track01.flac", tags=None)
    make_audio(root / "demo.ogg", tags={"title": "Demo", "album": "Tapes"})  # no artist
    window.show()
    with qtbot.waitSignal(window.library_scanned, timeout=TIMEOUT_MS):
        window.start([root])
    model = window.browser.tree_model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=TIMEOUT_MS)
    unknown = find(model, "Unknown artist")
    albums = [model.index(r, 0, unknown).data() for r in range(model.rowCount(unknown))]
    assert albums == ["Tapes", "Unknown album"]
    click(qtbot, window.browser.tree, model.index(1, 0, unknown))
    assert titles(window) == ["track01"]


def test_a_build_that_ends_after_the_pane_is_gone_is_dropped(qtbot, qapp, tmp_path):
    """The lists arrive on the GUI thread after the window may have been deleted (on quit)."""
    runner = TaskRunner()
    pane = BrowserPane(runner, CoverCache(tmp_path))
    pane.set_rows(LIBRARY)
    pane.grid_model.set_index(build_index([replace(t, has_embedded_cover=True) for t in LIBRARY]))
    pane.grid_model.index(1, 0).data(Qt.ItemDataRole.DecorationRole)  # a cover read starts
    pane.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert runner.wait(10_000)
    qapp.processEvents()  # delivers the finished build: pytest-qt fails the test if it raises
