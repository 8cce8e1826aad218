"""The window where a new user stumbled, and the playback basics (issue #26)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from player.app import PlayerParts, build_window
from player.controller import Repeat
from player.playback import PlayState
from player.plugin_api import Origin, Outcome
from player.ui.open_file import FileOpener
from player.ui.settings_store import SettingsStore
from tests.audio import make_audio
from tests.ui.test_ui_window import PLAY_TIMEOUT_MS, double_click_row, scanned


def shown(qtbot, parts: PlayerParts) -> None:
    parts.window.show()
    qtbot.waitExposed(parts.window)


def test_ctrl_right_skips_with_the_search_box_focused_and_space_still_types(
    qtbot, player_parts, music_dir
) -> None:  # issue #26 item 1
    parts = player_parts
    window = parts.window
    shown(qtbot, parts)
    scanned(qtbot, parts, music_dir)
    first, second = window.model.rows()[:2]
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS):
        parts.controller.play_through([first, second])
    window.search.setFocus()
    qtbot.waitUntil(window.search.hasFocus)
    qtbot.keyClicks(window.search, "a b")
    assert window.search.text() == "a b"  # Space typed a space...
    assert parts.playback.state == PlayState.PLAYING  # ...and did not pause
    qtbot.keyClick(window.search, Qt.Key.Key_Left)
    assert window.search.cursorPosition() == 2  # Left moves the cursor, does not seek
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as started:
        qtbot.keyClick(window.search, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert started.args[0].track_id == second.id
    assert window.search.hasFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)  # Escape clears the search
    assert window.search.text() == ""


def test_media_keys_reach_playback(qtbot, player_parts, music_dir) -> None:  # item 1
    parts = player_parts
    shown(qtbot, parts)
    scanned(qtbot, parts, music_dir)
    parts.queue.add(parts.window.model.rows()[:2])
    parts.window.search.setFocus()
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as first:
        qtbot.keyClick(parts.window.search, Qt.Key.Key_MediaTogglePlayPause)
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as second:
        qtbot.keyClick(parts.window.search, Qt.Key.Key_MediaNext)
    assert first.args[0].track_id != second.args[0].track_id


def test_double_click_plays_the_rows_after_it_in_the_view(qtbot, player_parts, music_dir) -> None:
    parts = player_parts
    window = parts.window
    shown(qtbot, parts)
    scanned(qtbot, parts, music_dir)
    window.search.setText("song 2.")  # a search result plays through
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 3)
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as started:
        double_click_row(qtbot, parts, 1)
    rows = [
        window.model.row(window.proxy.mapToSource(window.proxy.index(r, 0)).row()) for r in (1, 2)
    ]
    assert started.args[0].track_id == rows[0].id
    assert [e.track_id for e in parts.queue.upcoming()] == [rows[1].id]
    assert parts.queue.upcoming()[0].origin == Origin.QUEUE
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as then:
        pass
    assert then.args[0].track_id == rows[1].id  # it followed on its own
    assert window.queue_panel.count.text() == ""  # nothing left: no stale "1 up next"


def test_repeat_one_plays_the_track_again(qtbot, player_parts, music_dir) -> None:
    parts = player_parts
    scanned(qtbot, parts, music_dir)
    first, second = parts.window.model.rows()[:2]
    parts.window.actions_by_name["repeat"].trigger()  # off -> all
    parts.window.actions_by_name["repeat"].trigger()  # all -> one
    assert parts.controller.repeat == Repeat.ONE
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS):
        parts.controller.play_through([first, second])
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as again:
        pass
    assert again.args[0].track_id == first.id


def test_repeat_all_starts_the_queue_again(qtbot, player_parts, music_dir) -> None:
    parts = player_parts
    scanned(qtbot, parts, music_dir)
    only = parts.window.model.rows()[0]
    parts.controller.set_repeat(Repeat.ALL)
    with qtbot.waitSignal(parts.tracker.track_ended, timeout=PLAY_TIMEOUT_MS) as ended:
        parts.controller.play_through([only])
    assert ended.args[0].outcome == Outcome.FINISHED
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as again:
        pass
    assert again.args[0].track_id == only.id


def test_shuffle_and_repeat_are_kept_across_restarts(qtbot, player_parts, app_paths) -> None:
    parts = player_parts
    actions = parts.window.actions_by_name
    actions["shuffle"].trigger()
    actions["repeat"].trigger()
    assert parts.controller.shuffle and parts.controller.repeat == Repeat.ALL
    parts.store.sync()
    again = SettingsStore(Path(parts.store.path))
    assert (again.shuffle(), again.repeat()) == (True, Repeat.ALL)
    # The next window's controller starts in the saved modes, its buttons showing them.
    other = build_window(app_paths)
    qtbot.addWidget(other.window)
    assert other.controller.shuffle and other.controller.repeat == Repeat.ALL
    assert other.window.actions_by_name["shuffle"].isChecked()
    assert other.window.actions_by_name["repeat"].isChecked()
    other.dispose()


def test_shuffle_plays_the_upcoming_tracks_in_another_order_and_off_restores_it(
    qtbot, player_parts, music_dir
) -> None:
    parts = player_parts
    scanned(qtbot, parts, music_dir)
    rows = parts.window.model.rows()
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS):
        parts.controller.play_through(rows)
    queued = [e.track_id for e in parts.queue.upcoming()]
    orders = set()
    for _ in range(10):  # a shuffle may leave 5 tracks in order: 1 in 120, so try ten times
        parts.controller.set_shuffle(True)
        shuffled = tuple(e.track_id for e in parts.queue.upcoming())
        assert sorted(shuffled) == sorted(queued)
        orders.add(shuffled)
        parts.controller.set_shuffle(False)
        assert [e.track_id for e in parts.queue.upcoming()] == queued
    assert len(orders) > 1


def test_a_search_without_match_says_so_and_keeps_the_count(qtbot, player_parts, music_dir) -> None:
    parts = player_parts  # item 7
    window = parts.window
    scanned(qtbot, parts, music_dir)
    window.search.setText("xyz")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.no_match)
    assert "No tracks match “xyz”" in window.no_match.text()
    assert window.status.count_label.text() == "0 of 6 tracks"
    window.search.setText("")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.table)
    assert window.status.count_label.text() == "6 tracks"


def test_search_folds_accents_both_ways(qtbot, player_parts, tmp_path) -> None:  # item 13
    parts = player_parts
    root = tmp_path / "accents"
    make_audio(root / "a.ogg", seconds=0.5, tags={"title": "Été indien", "artist": "Joe"})
    make_audio(root / "b.ogg", seconds=0.5, tags={"title": "ete sans accent", "artist": "Joe"})
    scanned(qtbot, parts, root)
    model = parts.window.model
    model.set_search("ete")
    assert model.rowCount() == 2
    model.set_search("ÉTÉ")
    assert model.rowCount() == 2


def test_a_missing_music_dir_is_named_and_not_saved(
    qtbot, player_parts, music_dir, tmp_path
) -> None:
    parts = player_parts  # item 11
    window = parts.window
    missing = tmp_path / "no such folder"
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(window.library_scanned, timeout=30_000):
        window.start([missing, music_dir])
    assert any(f"Music folder not found: {missing}" in m for m in messages)
    assert parts.store.music_folders() == [music_dir]


def test_unreadable_files_are_listed_with_their_reasons(qtbot, player_parts, music_dir) -> None:
    parts = player_parts  # item 11
    bad = music_dir / "broken.mp3"
    bad.write_bytes(b"not audio at all" * 10)
    scanned(qtbot, parts, music_dir)
    status = parts.window.status
    assert status.unreadable_button.isVisibleTo(parts.window)
    assert status.unreadable_button.text() == "1 unreadable…"
    dialog = status.show_unreadable()
    qtbot.addWidget(dialog)
    assert dialog.list.topLevelItemCount() == 1
    item = dialog.list.topLevelItem(0)
    assert item.text(0) == str(bad)
    assert item.text(1)  # the reason
    assert dialog.text().startswith(f"{bad}: ")


def test_volume_set_elsewhere_moves_the_slider(qtbot, player_parts) -> None:  # item 12
    parts = player_parts
    parts.playback.set_volume(0.3)  # what MPRIS's Volume setter calls
    assert parts.window.transport.volume.value() == 30


def test_the_disc_is_shown_with_the_track_number(qtbot, player_parts, tmp_path) -> None:
    parts = player_parts  # item 13: a two-disc album sorted by disc looked out of order
    root = tmp_path / "two discs"
    for disc, track in ((1, 1), (1, 2), (2, 1)):
        tags = {"title": f"D{disc}T{track}", "artist": "A", "album": "Set",
                "tracknumber": track, "discnumber": disc}  # fmt: skip
        make_audio(root / f"{disc}-{track}.ogg", seconds=0.5, tags=tags)
    scanned(qtbot, parts, root)
    from player.ui.library_rows import TRACKNO

    model = parts.window.model
    assert [model.index(r, TRACKNO).data() for r in range(3)] == ["1", "2", "2.01"]


def test_a_cover_found_by_a_rescan_shows_for_the_playing_track(
    qtbot, player_parts, music_dir
) -> None:  # item 13
    parts = player_parts
    scanned(qtbot, parts, music_dir)
    row = parts.window.model.rows()[0]
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS):
        parts.controller.play_through([row])
    placeholder_key = parts.window.now_playing.cover.pixmap().cacheKey()
    from tests.audio import cover_image

    (Path(row.path).parent / "cover.jpg").write_bytes(cover_image("jpg"))
    with qtbot.waitSignal(parts.window.library_scanned, timeout=30_000):
        parts.window.rescan()
    assert parts.window.now_playing.cover.pixmap().cacheKey() != placeholder_key


def test_open_file_plays_it_then_the_rest_of_its_album(
    qtbot, player_parts, music_dir, tmp_path
) -> None:
    parts = player_parts  # item 12 (OpenUri's work)
    window = parts.window
    scanned(qtbot, parts, music_dir)
    messages: list[str] = []
    opener = FileOpener(
        window.model, parts.controller, music_folders=parts.store.music_folders,
        scan=window.scan, scanned=window.library_scanned, message=messages.append,
    )  # fmt: skip
    album = sorted((music_dir / "Artist 2" / "Album 2").iterdir())
    with qtbot.waitSignal(parts.tracker.track_started, timeout=PLAY_TIMEOUT_MS) as started:
        opener.open_file(str(album[1]))
    assert window.model.track(started.args[0].track_id).path == str(album[1])
    assert [e.path for e in parts.queue.upcoming()] == [str(album[2])]
    # A new file under the music folder joins the library first, then plays.
    new = make_audio(music_dir / "Artist 2" / "Album 2" / "04 New.ogg", seconds=0.5,
                     tags={"title": "New", "artist": "Artist 2", "album": "Album 2",
                           "albumartist": "Artist 2", "tracknumber": 4})  # fmt: skip
    with qtbot.waitSignal(parts.tracker.track_started, timeout=30_000) as started:
        opener.open_file(str(new))
    assert window.model.track(started.args[0].track_id).path == str(new)
    # A file outside the music folders is refused with a message.
    outside = make_audio(tmp_path / "elsewhere" / "x.ogg", seconds=0.5)
    opener.open_file(str(outside))
    assert "not in your music folders" in messages[-1]


def test_adventurousness_opens_above_its_button_and_says_what_it_means(qtbot, player_parts) -> None:
    from PySide6.QtCore import QPoint

    from player.ui.radio_widgets import add_slider

    window = player_parts.window  # item 13
    shown(qtbot, player_parts)
    slider = add_slider(window, 0.1, lambda _v: None)
    assert slider.meaning.text() == "Radio now: familiar (10%)"
    slider.slider.setValue(95)
    assert slider.meaning.text() == "Radio now: adventurous (95%)"
    button = window.transport.radio_button
    menu = button.menu()
    menu.popup(button.mapToGlobal(QPoint(0, button.height())))  # where Qt would put it
    qtbot.waitUntil(menu.isVisible)
    assert menu.geometry().bottom() <= button.mapToGlobal(QPoint(0, 0)).y()
    assert window.frameGeometry().contains(menu.geometry())
    menu.hide()


def test_progress_words_sit_beside_the_bar(qtbot, player_parts) -> None:  # item 5
    window = player_parts.window
    status = window.status
    window.begin_progress("Retraining radio: reading your history", lambda: None)
    window.update_progress(35, 100, "Learning from 1,204 listening sessions: 35%")
    assert status.progress_label.text() == "Learning from 1,204 listening sessions: 35%"
    assert status.progress.text() == "35%"
    assert not status.progress_label.wordWrap()
    window.end_progress()
    assert not status.progress_label.isVisibleTo(window)
