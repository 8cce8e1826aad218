"""What radio tells the listener: retraining's outcome and progress, its status, a re-plan
(issue #26 items 4, 5, 6, 9)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
from pytestqt.qtbot import QtBot
from radio_sim import SimPlayer, make_context, make_radio, start_host
from test_recommender_plugin import make_plugin, planted_sessions, session

from player.db.engine import Database
from player.history import History
from player.paths import AppPaths
from player.plugin_api import Outcome, Plugin, PluginContext, Suggestion, TrackInfo, TrainProgress
from player.plugin_host import PluginHost
from recommender.plugin import MIN_SESSIONS_FOR_MODEL


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def test_retraining_on_too_few_sessions_says_why_and_trains_nothing(tmp_path: Path) -> None:
    # Two sessions of two plays or more, and one of a single play (it cannot teach an order).
    sessions = [session(1, [1, 2, 3]), session(2, [4, 5]), session(3, [6])]
    plugin = make_plugin(tmp_path, sessions)
    result = plugin.train(sessions, full=True)
    assert not result.trained
    assert result.message == (
        f"radio needs at least {MIN_SESSIONS_FOR_MODEL} listening sessions of two or more "
        "tracks to learn from; you have 2"
    )
    assert plugin.model is None


def test_training_progress_and_outcome_are_plain_words(tmp_path: Path) -> None:
    sessions = planted_sessions(4)
    plugin = make_plugin(tmp_path, [])
    seen: list[TrainProgress] = []
    result = plugin.train(sessions, full=True, progress=seen.append)
    assert result.trained and result.sessions == 4
    assert result.message == "Radio learned from 4 listening sessions."
    assert seen and {p.message for p in seen} == {"Learning from 4 listening sessions"}
    assert seen[-1].done == seen[-1].total


def test_a_trained_model_is_never_called_a_cold_start(tmp_path: Path) -> None:  # item 6
    plugin = make_plugin(tmp_path, planted_sessions(6))
    assert plugin.model is not None
    sources = {slot[0].source for slot in plugin.suggest(5, frozenset())}
    assert sources <= {"prior", "model"}


class Reasoned(Plugin):
    """Suggests tracks in order, each with the reason it is told to give."""

    name = "reasoned"
    suggests = True

    def __init__(self) -> None:
        self.reason = "cold start"
        self.tracks: list[int] = []

    def load(self, context: PluginContext) -> None:
        self.tracks = [t.track_id for t in context.load_library()]

    def suggest(
        self, n: int, exclude: frozenset[int], *, after: Sequence[int] = (), spares: int = 0
    ) -> list[list[Suggestion]]:
        allowed = [t for t in self.tracks if t not in exclude]
        return [[Suggestion(t, 0.1, source=self.reason)] for t in allowed[:n]]


def test_radio_status_follows_what_leads_its_picks_and_a_skip_replan_is_told(
    qtbot: QtBot, app_paths: AppPaths, db: Database, history: History,
    library: list[TrackInfo], hosts: list[PluginHost],
) -> None:  # fmt: skip
    plugin = Reasoned()
    host = start_host(qtbot, make_context(app_paths, db, history), [plugin])
    hosts.append(host)
    sim = SimPlayer(history, db)
    radio = make_radio(sim, host, db, history)
    messages: list[str] = []
    notes: list[str] = []
    radio.status_message.connect(messages.append)
    radio.replanned.connect(notes.append)
    sim.play(library[0].track_id)
    radio.set_enabled(True)
    qtbot.waitUntil(lambda: len(sim.queue) >= 2)
    assert messages[-1] == "Radio: nothing learned yet — following albums and artists"
    plugin.reason = "model"  # a model was trained meanwhile
    sim.end(Outcome.FINISHED)
    sim.play_next()
    qtbot.waitUntil(lambda: messages[-1] == "Radio: following your listening")
    qtbot.waitUntil(lambda: len(sim.queue) >= 2)
    sim.end(Outcome.SKIPPED)  # the queued picks are replaced, and the queue says so
    assert notes == ["Radio re-planned after the skip: 2 queued picks replaced"]
