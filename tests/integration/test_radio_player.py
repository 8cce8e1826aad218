"""Radio in the real player: QtMultimedia playback, queue, tracker, history, host and plugin."""

from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QCoreApplication, QEvent
from sqlalchemy import select

from player.app import PlayerParts, RadioWiring, attach_radio, build_player
from player.db.engine import Database
from player.db.models import Play, PlayEvent
from player.history import History
from player.library import load_track_rows
from player.paths import AppPaths
from player.playback import PlayState
from player.plugin_api import Origin, Outcome, Plugin, PluginContext, TrackStarted, TrainProgress
from player.plugin_host import PluginState
from player.scanner import scan
from recommender.plugin import RecommenderPlugin
from tests.audio import make_library

# pytest-qt installs a Qt message handler per test and swaps it between tests; QtMultimedia's
# FFmpeg threads log warnings at any moment, and a warning landing during the swap calls a
# NULL handler (segfault seen under gdb in "QFFmpeg::AudioR"). These tests do not need Qt logs.
pytestmark = pytest.mark.no_qt_log

TIMEOUT_MS = 20_000
TINY = {"embedding_dim": 16, "hidden_dim": 16, "epochs": 3, "batch_size": 16, "negatives": 32}


class Broken(Plugin):
    """Raises in every method it has."""

    name = "broken"

    def load(self, context: object) -> None:
        raise RuntimeError("broken: load")


class BrokenAfterLoad(Plugin):
    """Loads, then raises in every event and in suggest."""

    name = "broken-later"

    def on_track_started(self, event: object) -> None:
        raise RuntimeError("broken: on_track_started")

    def on_track_ended(self, event: object) -> None:
        raise RuntimeError("broken: on_track_ended")

    suggests = True

    def suggest(self, n, exclude, *, after=(), spares=0) -> list:  # type: ignore[no-untyped-def]
        raise RuntimeError("broken: suggest")


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def music(tmp_path: Path, db: Database) -> Path:
    root = tmp_path / "music"
    make_library(root, 12, 4, seconds=0.4)
    scan(db, [root])
    return root


class Player:
    """Builds, runs and tears down a wired player (one 'launch' of the app)."""

    def __init__(self, qtbot, paths: AppPaths, db: Database) -> None:
        self.qtbot, self.paths, self.db = qtbot, paths, db
        self.launched: list[tuple[PlayerParts, RadioWiring]] = []

    def launch(
        self, plugins: list[Plugin], *, start_radio: bool = False
    ) -> tuple[PlayerParts, RadioWiring]:
        # Not handed to qtbot: the window must outlive the plugin threads (see ``quit``).
        parts = build_player(self.paths, self.db)
        wiring = attach_radio(
            parts, self.paths.data_dir, plugins=plugins, discover=False, start_radio=start_radio
        )
        with self.qtbot.waitSignal(parts.window.library_loaded, timeout=TIMEOUT_MS):
            parts.window.start([])
        host = wiring.host
        self.qtbot.waitUntil(
            lambda: all(host.state(n) is not PluginState.LOADING for n in host.names()),
            timeout=60_000,
        )
        self.launched.append((parts, wiring))
        return parts, wiring

    def quit(self, parts: PlayerParts, wiring: RadioWiring) -> None:
        """What quitting does: the player's shutdown first, then the plugins save and stop."""
        parts.shutdown()
        wiring.shutdown()
        parts.window.close()
        # Free the media player and the window now, while the application is alive (a media
        # player collected later by Python crashes in its FFmpeg threads).
        parts.playback.deleteLater()
        parts.window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.launched.remove((parts, wiring))


@pytest.fixture
def player(qtbot, app_paths: AppPaths, db: Database, music: Path) -> Iterator[Player]:
    p = Player(qtbot, app_paths, db)
    yield p
    for parts, wiring in list(p.launched):
        p.quit(parts, wiring)


def _listen(qtbot, parts: PlayerParts, n: int) -> list[TrackStarted]:
    started: list[TrackStarted] = []
    parts.tracker.track_started.connect(started.append)
    rows = sorted(load_track_rows(parts.db), key=lambda r: r.path)
    parts.controller.play_through([rows[0]])
    parts.window.radio_action.setChecked(True)
    qtbot.waitUntil(lambda: len(started) >= n, timeout=TIMEOUT_MS * 4)
    return started


def _no_repeat_within(ids: list[int], window: int) -> bool:
    return all(ids[i] not in ids[max(0, i - window) : i] for i in range(len(ids)))


def test_radio_plays_thirty_tracks_in_a_row_without_repeats(qtbot, player: Player) -> None:
    parts, wiring = player.launch([RecommenderPlugin(config_overrides=TINY, seed=1)])
    started = _listen(qtbot, parts, 32)
    ids = [e.track_id for e in started]
    assert all(e.origin == Origin.RADIO for e in started[1:])
    assert _no_repeat_within(ids, wiring.radio.window_size())
    assert wiring.radio.window_size() == 12  # a quarter of 48 tracks
    assert all(e.origin == Origin.RADIO for e in parts.queue.upcoming())  # marked in the queue
    plays = [p for p in History(parts.db).recent_track_ids(40)]
    assert len(plays) >= 32


def test_retrain_without_enough_history_says_why(qtbot, player: Player) -> None:  # #26 item 4
    parts, wiring = player.launch([RecommenderPlugin(config_overrides=TINY, seed=4)])
    messages: list[str] = []
    parts.window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(wiring.host.train_finished, timeout=TIMEOUT_MS) as finished:
        wiring.retrain_action.trigger()
    assert finished.args[1] is False
    assert messages[-1] == (
        "Radio not retrained: radio needs at least 3 listening sessions of two or more tracks "
        "to learn from; you have 0."
    )
    assert wiring.retrain_action.isEnabled()


def test_segue_radio_plays_the_restored_track(qtbot, player: Player) -> None:  # issue #26 item 8
    parts, wiring = player.launch([Broken()])
    rows = sorted(load_track_rows(parts.db), key=lambda r: r.path)
    parts.queue.add(rows[:1])
    parts.queue.set_current(0)
    player.quit(parts, wiring)  # remembers the queue: the next start holds it, paused
    parts, wiring = player.launch([Broken()], start_radio=True)
    assert wiring.radio.is_enabled()
    qtbot.waitUntil(lambda: parts.playback.state == PlayState.PLAYING, timeout=TIMEOUT_MS)
    assert parts.playback.current.track_id == rows[0].id  # type: ignore[union-attr]


@pytest.mark.parametrize("plugin", [Broken(), BrokenAfterLoad()], ids=["load", "every-call"])
def test_a_plugin_that_raises_leaves_playback_and_radio_working(
    qtbot, player: Player, plugin: Plugin
) -> None:
    messages: list[str] = []
    parts, _wiring = player.launch([plugin])
    parts.window.statusBar().messageChanged.connect(messages.append)
    started = _listen(qtbot, parts, 6)
    assert len({e.track_id for e in started}) == 6
    assert any("picking by" in m for m in messages)


def test_a_missing_file_is_logged_as_failed_and_radio_plays_on(qtbot, player: Player) -> None:
    parts, _wiring = player.launch([RecommenderPlugin(config_overrides=TINY, seed=2)])
    started: list[TrackStarted] = []
    parts.tracker.track_started.connect(started.append)
    rows = sorted(load_track_rows(parts.db), key=lambda r: r.path)
    parts.controller.play_through([rows[0]])
    parts.window.radio_action.setChecked(True)
    qtbot.waitUntil(lambda: len(parts.queue.upcoming()) >= 2, timeout=TIMEOUT_MS)
    doomed = parts.queue.upcoming()[0]
    os.remove(doomed.path)  # vanishes after radio queued it
    qtbot.waitUntil(lambda: len(started) >= 4, timeout=TIMEOUT_MS * 2)
    assert doomed.track_id not in [e.track_id for e in started]
    with parts.db.session() as s:
        failed = s.scalars(
            select(Play.track_id)
            .join(PlayEvent, PlayEvent.play_id == Play.id)
            .where(PlayEvent.kind == Outcome.FAILED.value)
        ).all()
    assert doomed.track_id in failed


def test_radio_resumes_after_reopening_with_the_same_hidden_state(
    qtbot, player: Player, db: Database
) -> None:
    clock = [1_000_000.0]
    history = History(db, clock=lambda: clock[0])
    for _ in range(4):  # some history, so the plugin trains a model at load
        for track_id in (1, 5, 9, 13):
            play = history.play_started(track_id, Origin.USER)
            history.play_ended(play, Outcome.FINISHED, position_ms=400, played_ms=400)
            clock[0] += 1
        clock[0] += 4000
    history.close_session()

    first = RecommenderPlugin(config_overrides=TINY, seed=3)
    parts, wiring = player.launch([first])
    qtbot.waitUntil(lambda: first.model is not None, timeout=60_000)  # trained after load
    _listen(qtbot, parts, 4)
    sessions_seen = first.model.cursor["sessions_seen"]  # type: ignore[union-attr]
    player.quit(parts, wiring)  # closes the session; quitting does not wait to learn it
    saved = list(first.radio_state.hidden)  # type: ignore[union-attr]

    second = RecommenderPlugin(config_overrides=TINY, seed=3)
    player.launch([second])
    assert second.model is not None  # from the checkpoint, at load
    assert second.radio_state is not None
    assert second.radio_state.hidden == pytest.approx(saved)
    assert second.memory.recent == first.memory.recent
    # The session closed at quit is learned on the next start, in the background.
    qtbot.waitUntil(
        lambda: second.model.cursor["sessions_seen"] == sessions_seen + 1,  # type: ignore[union-attr]
        timeout=60_000,  # a learning process starts, learns and writes the checkpoint
    )
    assert second.radio_state.hidden == pytest.approx(saved)  # a fine-tune keeps the state


class SlowTrainer(Plugin):
    """Trains until told to stop, reporting progress."""

    name = "trainer"

    def load(self, context: PluginContext) -> None:
        self.should_stop = context.should_stop

    def train(self, sessions, *, full, progress=None) -> None:  # type: ignore[no-untyped-def]
        step = 0
        while full and not self.should_stop():
            if progress is not None and step % 20 == 0:
                progress(TrainProgress(step, 100_000, "epoch 1"))
            step += 1
            time.sleep(0.001)


def test_retrain_from_the_menu_shows_progress_and_can_be_cancelled(qtbot, player: Player) -> None:
    parts, wiring = player.launch([SlowTrainer()])
    action = wiring.retrain_action
    assert action in parts.window.menus["tools"].actions()
    with qtbot.waitSignal(wiring.host.train_progress, timeout=TIMEOUT_MS):
        action.trigger()
    assert not action.isEnabled()  # one retrain at a time
    messages: list[str] = []
    parts.window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(wiring.host.train_finished, timeout=TIMEOUT_MS) as finished:
        wiring.host.cancel_training()  # what the progress bar's Cancel button calls
    assert finished.args == ["trainer", False, "cancelled"]
    assert action.isEnabled()
    assert any("Radio not retrained: cancelled" in m for m in messages)


def test_the_app_gives_the_model_the_librarys_tags(qtbot, player: Player) -> None:
    """#23: what the scan read from each file's tags reaches the recommender."""
    plugin = RecommenderPlugin(config_overrides=TINY, seed=4)
    parts, _wiring = player.launch([plugin])
    rows = load_track_rows(parts.db)
    assert rows and set(plugin.tags) == {r.id for r in rows}
    for row in rows:
        tag = plugin.tags[row.id]
        assert (tag.artist, tag.album, tag.title) == (row.artist, row.album, row.title)
        assert tag.track_number == row.track_number and tag.track_number is not None


class Recorder(Plugin):
    """Remembers what each full training was given."""

    name = "recorder"

    def __init__(self) -> None:
        self.trained: list[list[list[int]]] = []

    def train(self, sessions, *, full, progress=None) -> None:  # type: ignore[no-untyped-def]
        if full:
            self.trained.append([[p.track_id for p in s.plays] for s in sessions])


def test_an_import_from_the_window_retrains_radio_on_it(
    qtbot, player: Player, db: Database, tmp_path: Path
) -> None:
    """Issue #24: imported plays reach training as sessions, through the retrain flow."""
    recorder = Recorder()
    parts, wiring = player.launch([recorder])
    rows = load_track_rows(db)[:3]
    export = tmp_path / "scrobbles.csv"
    lines = [f'{1_600_000_000 + i * 240},"{r.artist}","{r.title}"' for i, r in enumerate(rows)]
    export.write_text("uts,artist,track\n" + "\n".join(lines) + "\n")
    with qtbot.waitSignal(wiring.host.train_finished, timeout=TIMEOUT_MS) as finished:
        parts.importer.start([export])
    assert finished.args == ["recorder", True, ""]
    assert recorder.trained == [[[r.id for r in rows]]]
