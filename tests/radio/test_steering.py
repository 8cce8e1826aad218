"""Steering radio (issue #28): seeds, love and never-play, variety, and honest reasons."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest
import torch

from player.albums import seed_order, seed_tracks
from player.plugin_api import (
    Feedback,
    FeedbackKind,
    Origin,
    Outcome,
    PlayRecord,
    PluginContext,
    SessionRecord,
    TrackStarted,
)
from recommender.plugin import RecommenderPlugin
from recommender.radio.prior import ColdStartPrior
from recommender.radio.scores import distribution
from recommender.radio.variety import Spacing, learned_spacing, variety_rows
from recommender.radio.why import ListeningIndex, explain
from recommender.sessions import LOVE_WEIGHT, RADIO_PICK_WEIGHT, session_from_plays
from tests.radio.test_recommender_plugin import (
    _prob,
    _start,
    make_plugin,
    make_tracks,
    planted_sessions,
    session,
)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _shuffled_sessions(n: int, seed: int = 0) -> list[SessionRecord]:
    """A listener who hops between albums: 6 tracks a session, never two of one album."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        albums = torch.randperm(10, generator=g)[:6].tolist()
        out.append(session(i + 1, [a * 6 + int(torch.randint(6, (1,), generator=g)) + 1
                                   for a in albums]))  # fmt: skip
    return out


def _album_sessions(n: int) -> list[SessionRecord]:
    """A listener who plays albums through."""
    return [session(i + 1, [(i % 10) * 6 + t + 1 for t in range(6)]) for i in range(n)]


# -- love in training ---------------------------------------------------------------------------


def test_a_loved_track_is_the_strongest_target_in_training() -> None:
    plays = [
        PlayRecord(1, Outcome.FINISHED, 200_000, Origin.USER, 0.0, 200_000),
        PlayRecord(2, Outcome.FINISHED, 200_000, Origin.RADIO, 1.0, 200_000),
        PlayRecord(3, Outcome.FINISHED, 200_000, Origin.RADIO, 2.0, 200_000),
        PlayRecord(4, Outcome.SKIPPED, 10_000, Origin.USER, 3.0, 200_000),  # early: dropped
    ]
    trained = session_from_plays(plays, loved={3, 4})
    assert trained.items == (1, 2, 3)
    assert trained.weights == (1.0, RADIO_PICK_WEIGHT, LOVE_WEIGHT)
    assert LOVE_WEIGHT > 1.0


# -- never play and love, in the plugin ----------------------------------------------------------


def test_never_play_is_never_picked_until_undone(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path, planted_sessions(6))
    _start(plugin, 1)
    before = _prob(plugin, 13)  # the planted next track
    assert before > 0.0
    plugin.on_feedback(Feedback(13, FeedbackKind.NEVER))
    assert _prob(plugin, 13) == 0.0
    picks = [s.track_id for _ in range(40) for slot in plugin.suggest(2, frozenset()) for s in slot]
    assert 13 not in picks
    plugin.on_feedback(Feedback(13, FeedbackKind.NEVER, on=False))
    assert _prob(plugin, 13) == pytest.approx(before)


def test_never_play_is_read_at_load_and_masks_the_cold_start_prior(tmp_path: Path) -> None:
    plugin = RecommenderPlugin(seed=1)
    library = make_tracks()
    never = [Feedback(t, FeedbackKind.NEVER) for t in range(2, 7)]  # album 0 but its first
    plugin.load(PluginContext(tmp_path, lambda: library, list, {}, load_feedback=lambda: never))
    _start(plugin, 1)
    picks = [s.track_id for _ in range(30) for slot in plugin.suggest(2, frozenset()) for s in slot]
    assert not set(picks) & set(range(2, 7))


def test_a_love_nudges_the_next_picks_at_once(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path, planted_sessions(6))
    _start(plugin, 1)
    before, model_before = _prob(plugin, 44), _model_prob(plugin, 44)
    plugin.on_feedback(Feedback(44, FeedbackKind.LOVE))
    assert _model_prob(plugin, 44) > model_before  # the model's query pulled toward it
    assert _prob(plugin, 44) > 1.3 * before  # and the prior's share leans to its album
    for t in (2, 3, 4, 5, 6):  # the pull fades with the plays that follow
        _start(plugin, t)
    assert plugin.radio_state is not None and not plugin.radio_state.skips


def _model_prob(plugin: RecommenderPlugin, track_id: int) -> float:
    assert plugin.model is not None and plugin.radio_state is not None
    ids, probs = distribution(plugin.model, plugin.radio_state)
    return float(probs[ids == track_id].sum())


def test_love_weighs_in_the_next_training(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path, [])
    plugin.on_feedback(Feedback(13, FeedbackKind.LOVE))
    converted = plugin._convert(planted_sessions(1))
    assert converted[0].weights == (1.0, LOVE_WEIGHT, 1.0, 1.0, 1.0)


# -- variety -------------------------------------------------------------------------------------


def test_spacing_is_learned_from_the_listeners_own_habits() -> None:
    prior = ColdStartPrior(make_tracks())
    album_listener = learned_spacing(prior, _album_sessions(20))
    shuffler = learned_spacing(prior, _shuffled_sessions(20))
    assert album_listener == Spacing(0, 0)  # album runs stay
    assert shuffler.album >= 4 and shuffler.artist >= 4
    assert learned_spacing(prior, _shuffled_sessions(2)) == Spacing(0, 0)  # too little to tell


def test_radio_keeps_the_spacing_it_learned_and_never_stops(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path, _shuffled_sessions(30))
    spacing = plugin._steer.spacing()
    assert spacing.artist >= 4
    _start(plugin, 1)
    picks = [slot[0].track_id for slot in plugin.suggest(30, frozenset())]
    assert len(picks) == 30
    album = {t.track_id: t.album for t in make_tracks()}
    heard = [1, *picks]
    for i in range(1, len(heard)):
        window = {album[t] for t in heard[max(0, i - spacing.album) : i]}
        assert album[heard[i]] not in window, (i, heard)


def test_a_spacing_no_library_can_keep_is_relaxed_not_obeyed(tmp_path: Path) -> None:
    tracks = make_tracks(n_albums=2, per_album=3)
    plugin = make_plugin(tmp_path, [], tracks=tracks)
    plugin.set_option("artist_spacing", 10)
    plugin.set_option("album_spacing", 10)
    _start(plugin, 1)
    picks = plugin.suggest(5, frozenset())
    assert len(picks) == 5  # radio never stops


def test_variety_rows_cover_every_track_of_the_recent_artists() -> None:
    prior = ColdStartPrior(make_tracks())
    rows = variety_rows(prior, [1, 7, 13], Spacing(artist=2))
    assert sorted(int(prior.track_ids[r]) for r in rows) == list(range(7, 19))


# -- seeds ---------------------------------------------------------------------------------------


def test_an_album_seed_plays_its_first_track_and_primes_the_state_with_the_rest() -> None:
    tracks = make_tracks()
    album = [t.track_id for t in seed_tracks(tracks, album="album 3")]
    assert album == list(range(19, 25))
    assert seed_order(album) == [20, 21, 22, 23, 24, 19]
    assert {t.artist for t in seed_tracks(tracks, artist="ARTIST 4")} == {"Artist 4"}


def test_a_seeded_plugin_starts_from_the_seed_and_does_not_step_it_twice(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path, planted_sessions(6))
    plugin.start_from([49, 1])  # 1 is about to play
    state = plugin.radio_state
    plugin.on_track_started(TrackStarted(1, Origin.USER, 0.0))
    assert plugin.radio_state is state
    assert plugin.memory.recent[-2:] == [49, 1]
    assert plugin.radio_state is not None and plugin.radio_state.last_track == 1


# -- why -----------------------------------------------------------------------------------------


def test_each_reason_names_a_transition_the_history_really_holds(tmp_path: Path) -> None:
    """The explanation-honesty test of issue #28."""
    sessions = planted_sessions(30) + _shuffled_sessions(10)
    held: Counter[tuple[int, int]] = Counter()  # counted from the records, not by the index
    for s in sessions:
        held.update(itertools.pairwise(p.track_id for p in s.plays))
    plugin = make_plugin(tmp_path, sessions, epochs=20, dropout_embedding=0, dropout_hidden=0)
    titles = {f"“{t.title}”": t.track_id for t in make_tracks()}
    pattern = re.compile(
        r"(?:often )?follow(?:s|ed) (“[^”]+”) (?:once )?in your history(?: \((\d+) times\))?"
    )
    plugin.set_option("temperature", 0.5)  # the learned habits, more than the wild cards
    claims = 0
    for start in (1, 13, 25, 37) * 5:
        _start(plugin, start)
        for slot in plugin.suggest(4, frozenset()):
            pick = slot[0]
            assert pick.reason
            if (match := pattern.fullmatch(pick.reason)) is not None:
                claims += 1
                before = titles[match.group(1)]
                assert held[(before, pick.track_id)] == int(match.group(2) or 1), pick
    assert claims >= 3  # the planted chain is explained by its transitions


def test_a_new_track_is_called_new_and_a_prior_pick_by_its_album(tmp_path: Path) -> None:
    cold = make_plugin(tmp_path / "cold", [])
    _start(cold, 1)
    ids, _ = cold.distribution()
    assert ids.size
    reasons = {s.reason for _ in range(20) for slot in cold.suggest(1, frozenset()) for s in slot}
    assert "next on the album “Album 0”" in reasons


def test_a_track_heard_this_session_is_not_called_new(tmp_path: Path) -> None:
    index = ListeningIndex()
    prior = ColdStartPrior(make_tracks())
    assert explain(40, from_model=True, heard=[1], prior=prior, index=index).startswith("new")
    index.heard(40, prior.info(40), 0.0)
    why = explain(40, from_model=True, heard=[1], prior=prior, index=index)
    assert why == "one you played lately"
    fresh = ListeningIndex()
    fresh.keep_live(index)  # a retrain rebuilt the index: the open session is kept
    assert 40 in fresh.started
