"""The whole window on real files: scan, play to the end, skip, a missing file, settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import Qt

from player.app import PlayerParts, build_player
from player.library import get_track
from player.playback import PlayState
from player.plugin_api import Origin, Outcome
from player.ui.library_rows import ALBUM, ARTIST
from tests.audio import make_audio

SCAN_TIMEOUT_MS = 30_000
PLAY_TIMEOUT_MS = 15_000


def scanned(qtbot, parts: PlayerParts, music_dir: Path) -> None:
    with qtbot.waitSignal(parts.window.library_scanned, timeout=SCAN_TIMEOUT_MS):
        parts.window.start([music_dir])


def plays(parts: PlayerParts):
    """Every play of the finished session, after closing it."""
    parts.tracker.shutdown()
    return [p for s in parts.history.closed_sessions_since(0) for p in s.plays]


def double_click_row(qtbot, parts: PlayerParts, row: int) -> None:
    table = parts.window.table
    rect = table.visualRect(parts.window.proxy.index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_scan_then_double_click_plays_to_the_end(qtbot, player_parts, music_dir) -> None:
    parts = player_parts
    window = parts.window
    window.show()
    qtbot.waitExposed(window)
    scanned(qtbot, parts, music_dir)
    assert window.model.rowCount() == 6
    assert window.windowTitle().startswith("Segue")
    with qtbot.waitSignal(parts.tracker.track_ended, timeout=PLAY_TIMEOUT_MS) as ended:
        double_click_row(qtbot, parts, 5)  # the view's last row: nothing follows it
    assert ended.args[0].outcome == Outcome.FINISHED
    assert ended.args[0].origin == Origin.USER
    # End of queue: stopped cleanly, the entry stays current.
    qtbot.waitUntil(lambda: parts.playback.state == PlayState.STOPPED)
    assert parts.playback.current is None
    assert parts.queue.current_row == 0
    assert parts.history.stats().finished == 1
    track_id = ended.args[0].track_id
    assert window.model.track(track_id).play_count == 1
    [play] = plays(parts)
    assert (play.track_id, play.outcome) == (track_id, Outcome.FINISHED)
    assert play.played_ms >= 900


def test_skip_records_played_ms_and_queue_advances(qtbot, player_parts, music_dir) -> None:
    parts = player_parts
    scanned(qtbot, parts, music_dir)
    first, second = parts.window.model.rows()[:2]
    parts.controller.play_through([first, second])
    qtbot.waitUntil(lambda: parts.playback.played_ms >= 300, timeout=PLAY_TIMEOUT_MS)
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as started:
        parts.window.actions_by_name["next"].trigger()
    assert started.args[0].track_id == second.id
    assert started.args[0].origin == Origin.QUEUE
    qtbot.waitUntil(lambda: parts.playback.current is None, timeout=PLAY_TIMEOUT_MS)
    skipped, finished = plays(parts)
    assert (skipped.track_id, skipped.outcome) == (first.id, Outcome.SKIPPED)
    assert 300 <= skipped.played_ms < 1000
    assert (finished.track_id, finished.outcome) == (second.id, Outcome.FINISHED)


def test_missing_file_fails_and_playback_moves_on(qtbot, player_parts, music_dir, db) -> None:
    parts = player_parts
    scanned(qtbot, parts, music_dir)
    a, gone, c = parts.window.model.rows()[:3]
    Path(gone.path).unlink()
    parts.controller.queue.add([gone, c])
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as started:
        parts.controller.play_row(0)  # the missing one
    assert started.args[0].track_id == c.id
    assert "Could not play" in parts.window.statusBar().currentMessage()
    assert not parts.window.model.track(gone.id).available
    assert not parts.queue.entry(0).available
    qtbot.waitUntil(lambda: not get_track(db, gone.id).available)
    parts.controller.stop()
    failed = plays(parts)[0]
    assert (failed.track_id, failed.outcome) == (gone.id, Outcome.FAILED)
    assert parts.history.stats().skipped == 1 and parts.history.stats().failed == 1
    assert a.available


def test_search_box_filters_the_table(qtbot, player_parts, music_dir) -> None:
    parts = player_parts
    scanned(qtbot, parts, music_dir)
    window = parts.window
    qtbot.keyClicks(window.search, "song 2.")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 3)
    window.search.clear()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 6)


def test_each_key_filters_the_table_as_it_is_pressed(qtbot, player_parts, music_dir) -> None:
    """Issue 29: typing filtered only after a 120 ms pause, so a fast typist's keys were
    coalesced; now every key applies at once, in order."""
    parts = player_parts
    scanned(qtbot, parts, music_dir)
    window = parts.window
    typed = "song 2."
    for i, key in enumerate(typed):
        qtbot.keyClick(window.search, key)
        assert window.model.search_terms == typed[: i + 1].split()
    assert window.proxy.rowCount() == 3


def test_library_lists_by_artist_album_and_track_before_any_sort_is_chosen(
    qtbot, player_parts, tmp_path
) -> None:
    root = tmp_path / "unsorted"
    # File names in another order than the tags'.
    for name, artist, track in [
        ("a.ogg", "Zappa", 1),
        ("b.ogg", "Coltrane", 2),
        ("c.ogg", "Coltrane", 10),
        ("d.ogg", "Coltrane", 1),
    ]:
        tags = {"title": name, "artist": artist, "album": "X", "tracknumber": track}
        make_audio(root / name, seconds=0.5, tags=tags)
    scanned(qtbot, player_parts, root)
    window = player_parts.window
    header = window.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        ARTIST,
        Qt.SortOrder.AscendingOrder,
    )
    assert [window.proxy.index(i, 0).data() for i in range(4)] == [
        "d.ogg",
        "b.ogg",
        "c.ogg",
        "a.ogg",
    ]


@contextmanager
def reopened(qtbot, parts: PlayerParts, app_paths, db) -> Iterator[PlayerParts]:
    """Quit ``parts`` (saving its settings), then a new player on the same data, loaded."""
    parts.window.close()
    parts.shutdown()
    parts.dispose()
    again = build_player(app_paths, db)
    qtbot.addWidget(again.window)
    try:
        with qtbot.waitSignal(again.window.library_loaded, timeout=SCAN_TIMEOUT_MS):
            again.window.start()
        yield again
    finally:
        again.shutdown()
        again.dispose()


def rows_album_max(window) -> str:
    return max(r.album for r in window.model.rows())


def test_settings_restored_after_reopening(qtbot, app_paths, db, music_dir) -> None:
    parts = build_player(app_paths, db)
    window = parts.window
    window.show()
    scanned(qtbot, parts, music_dir)
    window.resize(731, 517)
    window.table.horizontalHeader().setSortIndicator(ALBUM, Qt.SortOrder.DescendingOrder)
    assert window.model.row(0).album == rows_album_max(window)
    window.transport.volume.setValue(30)
    rows = window.model.rows()
    parts.queue.add(rows[:3])
    parts.controller.play_row(1)
    qtbot.waitUntil(lambda: parts.playback.position_ms >= 400, timeout=PLAY_TIMEOUT_MS)
    parts.playback.pause()
    saved_position = parts.playback.position_ms
    with reopened(qtbot, parts, app_paths, db) as again:
        assert (again.window.width(), again.window.height()) == (731, 517)
        header = again.window.table.horizontalHeader()
        assert header.sortIndicatorSection() == ALBUM
        assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        assert abs(again.playback.volume - 0.3) < 0.01
        assert [e.track_id for e in again.queue.entries()] == [r.id for r in rows[:3]]
        assert again.queue.current_row == 1
        assert again.playback.current.track_id == rows[1].id
        qtbot.waitUntil(lambda: abs(again.playback.position_ms - saved_position) < 250)
        assert again.playback.state != PlayState.PLAYING
        assert not again.playback.has_started  # restored paused: not a new play yet


def test_a_hidden_playlists_pane_stays_hidden_after_reopening(
    qtbot, app_paths, db, music_dir
) -> None:
    """The docks' layout is the user's: a pane closed (or resized) stays so at the next start."""
    from PySide6.QtWidgets import QDockWidget

    parts = build_player(app_paths, db)
    parts.window.show()
    scanned(qtbot, parts, music_dir)
    dock = parts.window.findChild(QDockWidget, "playlists-dock")
    assert not dock.isHidden()
    dock.toggleViewAction().trigger()  # Tools -> Playlists unchecked
    assert dock.isHidden()
    with reopened(qtbot, parts, app_paths, db) as again:
        dock = again.window.findChild(QDockWidget, "playlists-dock")
        assert dock.isHidden()
        assert not dock.toggleViewAction().isChecked()


def test_empty_library_offers_a_music_folder(qtbot, player_parts) -> None:
    window = player_parts.window
    with qtbot.waitSignal(window.library_loaded):
        window.start()
    assert window.stack.currentWidget() is window.welcome
    assert "Choose Music Folder" in window.welcome.button.text()


def test_keyboard_shortcuts(qtbot, player_parts, music_dir) -> None:
    parts = player_parts
    window = parts.window
    window.show()
    qtbot.waitExposed(window)
    scanned(qtbot, parts, music_dir)
    parts.queue.add(window.model.rows()[:2])
    window.table.setFocus()
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as first:
        qtbot.keyClick(window.table, Qt.Key.Key_Space)
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as second:
        qtbot.keyClick(window.table, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert first.args[0].track_id != second.args[0].track_id
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: parts.playback.state == PlayState.PAUSED)
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.search.hasFocus)


def test_a_layout_saved_without_a_sort_column_gets_the_default_one(
    qtbot, app_paths, db, music_dir
) -> None:
    parts = build_player(app_paths, db)
    scanned(qtbot, parts, music_dir)
    header = parts.window.table.horizontalHeader()
    header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # as saved by older versions
    with reopened(qtbot, parts, app_paths, db) as again:
        header = again.window.table.horizontalHeader()
        assert header.sortIndicatorSection() == ARTIST
        assert again.window.model.sort_spec == (ARTIST, Qt.SortOrder.AscendingOrder)


def test_a_moved_aside_library_is_told_in_a_box_that_stays(qtbot, app_paths) -> None:
    """Issue #25 (3): the notice went to the status bar and "Loading library..." replaced it."""
    from player.app import show_database_notice
    from player.db.engine import open_database

    app_paths.db_path.write_bytes(b"not a database" * 200)
    db = open_database(app_paths.db_path)
    assert db.notice is not None
    parts = build_player(app_paths, db)
    qtbot.addWidget(parts.window)
    try:
        parts.window.show()
        box = show_database_notice(parts.window, db.notice)
        parts.window.start([])  # shows "Loading library..." in the status bar
        qtbot.waitUntil(lambda: parts.window.statusBar().currentMessage() != "", timeout=5000)
        assert box.isVisible() and ".corrupt-" in box.text()
        assert parts.window.findChild(type(box), "database-notice") is box
    finally:
        parts.shutdown()
        parts.dispose()
        db.close()
