"""Steering radio in the real player (issue #28): love, never-play, seeds, and why in the queue."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSpinBox

from player.cli import main as segue_main
from player.feedback import FeedbackLog
from player.library import load_track_rows
from player.mpris import Mpris
from player.plugin_api import FeedbackKind, Origin
from player.queue import NoteRole
from player.ui.steering import NeverPlayDialog, seed_for
from recommender.plugin import RecommenderPlugin
from tests.integration.test_radio_player import (  # noqa: F401  (fixtures)
    TIMEOUT_MS,
    TINY,
    Player,
    _one_thread,
    music,
    player,
)

pytestmark = pytest.mark.no_qt_log


def test_love_and_never_play_from_the_window(qtbot, player: Player, capsys) -> None:  # noqa: F811
    plugin = RecommenderPlugin(config_overrides=TINY, seed=1)
    parts, wiring = player.launch([plugin])
    steering, feedback = wiring.steering, FeedbackLog(parts.db)
    rows = sorted(load_track_rows(parts.db), key=lambda r: r.path)
    parts.controller.play_through(rows[:2])
    qtbot.waitUntil(lambda: parts.window.playing_track_id() == rows[0].id, timeout=TIMEOUT_MS)

    steering.actions["love"].trigger()  # Ctrl+L: the playing track
    qtbot.waitUntil(lambda: rows[0].id in steering.loved, timeout=TIMEOUT_MS)
    assert feedback.track_ids(FeedbackKind.LOVE) == {rows[0].id}
    qtbot.waitUntil(lambda: rows[0].id in plugin._steer.loved, timeout=TIMEOUT_MS)
    assert steering.actions["love"].isChecked()

    steering.actions["never"].trigger()  # Ctrl+Shift+N: never again, and skipped now
    qtbot.waitUntil(lambda: parts.window.playing_track_id() == rows[1].id, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: rows[0].id in plugin._steer.never, timeout=TIMEOUT_MS)
    assert feedback.track_ids(FeedbackKind.NEVER) == {rows[0].id}
    assert rows[0].id in wiring.radio._never

    assert segue_main(["stats", "--data-dir", str(player.paths.data_dir)]) == 0
    out = capsys.readouterr().out
    assert "loved:     1" in out and "never play: 1" in out

    dialog = steering.show_never_list()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, NeverPlayDialog) and dialog.list.count() == 1
    dialog.list.item(0).setSelected(True)
    dialog.again.click()
    qtbot.waitUntil(lambda: rows[0].id not in plugin._steer.never, timeout=TIMEOUT_MS)
    assert feedback.track_ids(FeedbackKind.NEVER) == set()
    assert rows[0].id not in wiring.radio._never


def test_radio_from_an_album_plays_it_first_and_says_why(qtbot, player: Player) -> None:  # noqa: F811
    parts, wiring = player.launch([RecommenderPlugin(config_overrides=TINY, seed=2)])
    rows = sorted(load_track_rows(parts.db), key=lambda r: r.path)
    album = [r for r in rows if r.album == rows[5].album]
    seed, name = seed_for(parts.window.model.rows(), rows[5], "album")
    first = min(album, key=lambda r: r.track_number or 0)
    assert seed[0] == first.id and set(seed) == {r.id for r in album}
    wiring.radio.start_from(seed, name)
    qtbot.waitUntil(lambda: parts.window.playing_track_id() == first.id, timeout=TIMEOUT_MS)
    assert wiring.radio.is_enabled() and parts.window.radio_action.isChecked()
    queue = parts.controller.queue
    qtbot.waitUntil(lambda: len(queue.upcoming()) >= 2, timeout=TIMEOUT_MS)
    picks = [e for e in queue.upcoming() if e.origin == Origin.RADIO]
    assert picks and all(e.note for e in picks)
    row = queue.entries().index(picks[0])
    assert queue.data(queue.index(row), NoteRole) == picks[0].note
    assert picks[0].note in queue.data(queue.index(row), Qt.ItemDataRole.ToolTipRole)

    mpris = Mpris(parts.controller)  # not registered: its metadata is what the bus would get
    parts.controller.next()
    qtbot.waitUntil(
        lambda: parts.window.playing_track_id() == picks[0].track_id, timeout=TIMEOUT_MS
    )
    assert mpris.metadata()["segue:why"] == picks[0].note
    assert mpris.metadata()["segue:radioPick"] is True


def test_variety_settings_reach_the_plugin_and_are_kept(qtbot, player: Player) -> None:  # noqa: F811
    plugin = RecommenderPlugin(config_overrides=TINY, seed=3)
    parts, _ = player.launch([plugin])
    menu = parts.window.transport.radio_button.menu()
    artist = menu.findChild(QSpinBox, "artist_spacing")
    assert artist is not None and artist.value() == -1 and artist.text() == "learned"
    artist.setValue(4)
    qtbot.waitUntil(lambda: plugin._steer.spacing().artist == 4, timeout=TIMEOUT_MS)
    assert parts.store.value("radio/artist_spacing") in (4, "4")


def test_radio_from_an_artist_in_the_browser(qtbot, player: Player) -> None:  # noqa: F811
    parts, wiring = player.launch([RecommenderPlugin(config_overrides=TINY, seed=4)])
    browser, rows = parts.window.browser, load_track_rows(parts.db)
    model = browser.tree_model
    qtbot.waitUntil(lambda: model.rowCount() > 2, timeout=TIMEOUT_MS)  # "All" and the artists
    artist = model.index(2, 0)
    browser.tree.setCurrentIndex(artist)
    name = artist.data(Qt.ItemDataRole.DisplayRole)
    wiring.steering.actions["radio_browsed"].trigger()
    by_artist = {r.id for r in rows if (r.album_artist or r.artist) == name}
    qtbot.waitUntil(lambda: parts.window.playing_track_id() in by_artist, timeout=TIMEOUT_MS)
    assert wiring.radio.is_enabled()


def test_radio_from_a_playlist_plays_its_first_entry_then_radio(qtbot, player: Player) -> None:  # noqa: F811
    """#28: "Start Radio from Playlist" seeds radio like an album does, in the playlist's order."""
    parts, wiring = player.launch([RecommenderPlugin(config_overrides=TINY, seed=5)])
    pane = parts.playlists
    assert pane is not None
    rows = sorted(load_track_rows(parts.db), key=lambda r: r.path)
    mix = [rows[9], rows[2], rows[30]]
    parts.queue.add(mix)
    with qtbot.waitSignal(pane.entries_loaded, timeout=TIMEOUT_MS):
        pane.save_queue("Mix")
    seeds: list[tuple[list[int], str]] = []
    pane.radio_requested.connect(lambda ids, name: seeds.append((ids, name)))
    pane.actions_by_name["radio"].trigger()
    assert seeds == [([r.id for r in mix], "the playlist “Mix”")]
    qtbot.waitUntil(lambda: parts.window.playing_track_id() == mix[0].id, timeout=TIMEOUT_MS)
    assert wiring.radio.is_enabled()
    qtbot.waitUntil(
        lambda: any(e.origin == Origin.RADIO for e in parts.controller.queue.upcoming()),
        timeout=TIMEOUT_MS,
    )
