"""Radio's draw: the tempered masked softmax, the nucleus and spare draws are exact."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.radio import scores as radio
from recommender.radio.cache import RadioCache
from recommender.radio.draw import BLOCK, Draw, _nucleus, tempered_draw
from recommender.radio.engine import RadioModel
from recommender.radio.state import advance, initial_state
from recommender.recommender import Recommender
from recommender.vocab import Vocabulary

from .conftest import radio_distribution


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def test_nucleus_matches_a_full_sort() -> None:
    rng = np.random.default_rng(5)
    # a few rows, many, nearly all; all tied (an untrained model)
    for spread in (0.5, 3.0, 8.0, 0.0):
        probs = _softmax(rng.standard_normal(20_000) * spread).astype(np.float32)
        for top_p in (0.3, 0.9, 0.999):
            draw = _nucleus(probs, top_p)
            rows, _ = draw.row_probs()
            kept = probs[rows].astype(np.float64)
            dropped = np.ones(len(probs), dtype=bool)
            dropped[rows] = False
            # the most likely rows, the mass reaches top_p, and one row fewer would not (up to
            # float32 rounding in the sums)
            if dropped.any():
                assert float(kept.min()) >= float(probs[dropped].max())
            assert float(kept.sum()) >= top_p - 1e-5
            assert float(kept.sum() - kept.min()) < top_p + 1e-5
            assert float(draw.probs.sum()) == pytest.approx(1.0, abs=1e-5)


def test_spare_candidates_are_distinct_draws_without_replacement() -> None:
    probs = np.array([0.0, 0.9, 0.05, 0.03, 0.02], dtype=np.float32)
    rng = np.random.default_rng(1)
    seconds: dict[int, int] = {}
    for _ in range(2000):
        picks = Draw(probs.copy()).sample(rng, 3)
        rows = [row for row, _ in picks]
        assert len(set(rows)) == 3 and 0 not in rows
        assert all(p == pytest.approx(float(probs[r])) for r, p in picks)
        if rows[0] == 1:
            seconds[rows[1]] = seconds.get(rows[1], 0) + 1
    # Given the first pick was row 1, the second follows p without row 1: 0.5 / 0.3 / 0.2.
    total = sum(seconds.values())
    shares = np.array([seconds.get(r, 0) / total for r in (2, 3, 4)])
    assert np.abs(shares - [0.5, 0.3, 0.2]).max() < 0.05
    one = np.array([0.0, 1.0], dtype=np.float32)
    assert len(Draw(one).sample(rng, 3)) == 1  # nothing else to draw


def test_the_recommenders_radio_draws_follow_its_scores(trained: Recommender) -> None:
    model = RadioModel.of(trained)
    state = initial_state(model)
    for track in (7, 8):
        state = advance(model, state, track)
    exact = trained.scores([7, 8])  # the torch model's evaluation scores
    ids, probs = radio_distribution(trained, state)
    exact_probs = np.exp(exact)[trained.vocab.indices(ids.tolist())]
    assert np.abs(probs - exact_probs).max() < 1e-5
    draw = radio.next_draw(model, state)
    assert len({row for row, _ in draw.sample(np.random.default_rng(0), 4)}) == 4


def test_two_level_draw_follows_the_distribution_across_blocks() -> None:
    # 3.5 blocks: mass in whole blocks and in the short last one, zeros (masked rows) in between.
    size = BLOCK * 3 + BLOCK // 2
    weights = np.random.default_rng(2).random(size) ** 4
    weights[: BLOCK // 3] = 0.0
    weights[BLOCK : 2 * BLOCK] = 0.0  # a whole block without mass
    weights[-5:] = 0.05  # the very end of the CDF
    probs = (weights / weights.sum()).astype(np.float32)
    rng = np.random.default_rng(3)
    counts = np.zeros(size)
    draw = Draw(probs)
    draws = 30_000
    for _ in range(draws):
        counts[draw.sample(rng)[0][0]] += 1
    assert counts[probs == 0].sum() == 0
    assert 0.5 * np.abs(counts / draws - probs).sum() < 0.08
    tail = slice(size - 5, size)
    assert counts[tail].sum() / draws == pytest.approx(float(probs[tail].sum()), abs=0.01)


def test_tempered_draw_is_the_masked_softmax_and_refuses_an_empty_choice() -> None:
    scores = (np.random.default_rng(2).standard_normal(2_001) * 4.0).astype(np.float32)
    excluded = np.array([3, 3, 11, 2_000])
    for temperature in (0.05, 0.6, 1.8, 50.0):
        expected = scores.astype(np.float64) / temperature
        expected[0] = -math.inf
        expected[excluded] = -math.inf
        draw = tempered_draw(scores.copy(), temperature, None, excluded)
        assert draw.probs[0] == 0.0 and not draw.probs[excluded].any()
        np.testing.assert_allclose(draw.probs, _softmax(expected), atol=1e-6, rtol=1e-4)
    with pytest.raises(ValueError, match="every track is excluded"):
        tempered_draw(np.ones(5, dtype=np.float32), 1.0, None, np.arange(1, 5))


def test_masked_rows_follow_a_retrained_vocabulary_of_the_same_size() -> None:
    """A retrain can give the same tracks other rows; the never-play / missing mask's rows must
    be looked up again, not reused because the vocabulary has as many rows as before."""
    masked = frozenset({10})
    old, new = Vocabulary(), Vocabulary()
    old.add([10, 20, 30])
    new.add([30, 20, 10])
    cache = RadioCache()
    assert cache.rows(old, masked).tolist() == [1]
    assert cache.rows(new, masked).tolist() == [3]
