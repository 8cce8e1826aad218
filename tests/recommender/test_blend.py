"""The blend (#23): history parts, weights fitted by EM, and what it adds on a planted history."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.blend import DEFAULT_WEIGHTS, Blend, fit_weights
from recommender.evaluation import evaluate
from recommender.likelihood import markov_likelihood, radio_likelihood
from recommender.parts import COMPONENTS, CONTEXTS, PART_NAMES, HistoryParts
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession
from recommender.tags import ItemTags
from tests.recommender.conftest import small_config


def test_fit_weights_recovers_a_known_mixture() -> None:
    """Each position's next track comes from one of three sources drawn with weights 0.6 / 0.3 /
    0.1; the source gives it probability 0.5, the others a small random one."""
    rng = np.random.default_rng(0)
    truth = np.array([0.6, 0.3, 0.1])
    source = rng.choice(3, size=6000, p=truth)
    evidence = rng.uniform(0.0, 0.01, size=(6000, 3))
    evidence[np.arange(6000), source] = 0.5
    weights = fit_weights(evidence)
    assert weights.shape == (len(CONTEXTS), 3)
    assert np.allclose(weights.sum(axis=1), 1.0)
    assert np.abs(weights[0] - truth).max() < 0.03


def test_each_context_gets_its_own_weights_and_a_rare_one_the_overall() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    contexts = rng.choice([1, 4], size=n)
    evidence = rng.uniform(0.0, 0.01, size=(n, 2))
    evidence[contexts == 1, 1] = 0.5  # an album going on: the second component is right
    evidence[contexts == 4, 0] = 0.5  # anything else: the first
    weights = fit_weights(evidence, contexts)
    assert weights[1, 1] > 0.9 and weights[4, 0] > 0.9
    overall = fit_weights(evidence)[0]
    assert np.allclose(weights[0], overall)  # never seen: the overall weights


def _numbered(n_albums: int, per_album: int, numbered: bool = True) -> dict[int, ItemTags]:
    return {
        a * per_album + t + 1: ItemTags(
            artist=f"Artist {a // 2}",
            album=f"Album {a}",
            track_number=t + 1 if numbered else None,
        )
        for a in range(n_albums)
        for t in range(per_album)
    }


def test_no_evidence_keeps_the_default_weights() -> None:
    """`evaluate --incremental` crashed when an update's sessions gave no position to fit on."""
    weights = fit_weights(np.zeros((0, len(COMPONENTS))), np.zeros(0, dtype=np.int64))
    assert weights.shape == (len(CONTEXTS), len(COMPONENTS))
    assert np.allclose(weights, DEFAULT_WEIGHTS)


def test_parts_are_distributions_and_read_the_tags() -> None:
    tags = _numbered(4, 5)
    sessions = [np.array([1, 2, 3]), np.array([6, 7, 8, 9])]
    parts = HistoryParts(sessions, 21, tags)
    out = parts.distributions([6, 7])
    assert out.shape == (len(PART_NAMES), 21)
    assert np.allclose(out.sum(axis=1), 1.0) and np.all(out[:, 0] == 0)
    named = dict(zip(PART_NAMES, out, strict=True))
    assert np.argmax(named["successor"]) == 8  # 7 is track 2 of album 1: next is 8
    assert named["rules"][8] == pytest.approx(1 / (1 + 0.5))  # 7->8 at 1 step, 7->9 at 2
    album_rows = np.nonzero(named["album"])[0]
    assert set(album_rows) == {6, 7, 8, 9, 10}
    assert set(np.nonzero(named["artist"])[0]) == set(range(1, 11))  # albums 0 and 1: Artist 0
    assert parts.context([6, 7]) == CONTEXTS.index("known")  # heard in this order before
    assert parts.context([10, 7]) == CONTEXTS.index("album")
    assert np.argmax(named["sequence"]) == 8  # 6, 7 was followed by 8
    assert parts.context([1, 7]) == CONTEXTS.index("artist")
    assert parts.context([1, 7, 1]) == CONTEXTS.index("again")
    assert parts.context([1]) == CONTEXTS.index("first")


def test_no_successor_without_track_numbers() -> None:
    """Tags without numbers say nothing about album order: the part falls back to popularity."""
    parts = HistoryParts([np.array([1, 2, 3])], 11, _numbered(2, 5, numbered=False))
    successor = parts.distributions([1])[PART_NAMES.index("successor")]
    assert np.allclose(successor, parts.distributions([1])[PART_NAMES.index("popularity")])


def _album_listener(tags: dict[int, ItemTags], n: int, seed: int) -> list[TrainingSession]:
    """Sessions that play one album in order from track 1; albums heard rarely."""
    rng = np.random.default_rng(seed)
    albums = sorted({t.album for t in tags.values()})
    by_album = {a: sorted(i for i, t in tags.items() if t.album == a) for a in albums}
    out = []
    for _ in range(n):
        album = albums[int(rng.integers(len(albums)))]
        out.append(TrainingSession(tuple(by_album[album][: int(rng.integers(3, 7))])))
    return out


def test_the_blend_learns_album_order_from_tags_the_model_alone_cannot() -> None:
    """40 albums of 6 numbered tracks, 60 sessions: most album transitions are heard once or
    never, but the tags give the order; the blend must rank the next track far better."""
    tags = _numbered(40, 6)
    train = _album_listener(tags, 60, seed=0)
    test = [list(s.items) for s in _album_listener(tags, 30, seed=1)]
    known = {i for s in train for i in s.items}
    test = [[i for i in s if i in known] for s in test]
    config = small_config(epochs=8)
    blend = Blend.train(train, config, tags=tags)
    alone = Recommender.train_full(train, config)
    with_tags, without = evaluate(blend, test), evaluate(alone, test)
    assert with_tags.mrr(20) > without.mrr(20) + 0.1
    successor_weight = blend.weights[CONTEXTS.index("album"), COMPONENTS.index("successor")]
    assert successor_weight > 0.3  # fitted: an album going on follows the numbers


def test_radio_likelihood_is_higher_than_add_one_markov_on_album_order() -> None:
    tags = _numbered(40, 6)
    train = _album_listener(tags, 60, seed=0)
    known = {i for s in train for i in s.items}
    test = [[i for i in s.items if i in known] for s in _album_listener(tags, 30, seed=1)]
    blend = Blend.train(train, small_config(epochs=8), tags=tags)
    radio, markov = radio_likelihood(blend, train, test, tags), markov_likelihood(train, test)
    assert radio.positions == markov.positions == sum(len(s) - 1 for s in test if len(s) > 1)
    assert radio.log_p > markov.log_p and 0 < radio.p <= 1


def test_add_one_markov_by_hand() -> None:
    train = [TrainingSession((1, 2, 1, 3)), TrainingSession((2, 3))]
    figures = markov_likelihood(train, [[1, 2, 3]])
    # three items; 1 -> {2: 1, 3: 1}: p(2 | 1) = 2 / 5; 2 -> {1: 1, 3: 1}: p(3 | 2) = 2 / 5
    assert figures.log_p == pytest.approx(math.log(2 / 5))
    assert figures.p == pytest.approx(2 / 5) and figures.positions == 2
