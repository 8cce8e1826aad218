"""Radio's fast scoring: the int8 pass stays close to float32; nucleus and spare draws are exact."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch

from recommender.radio import scores as radio
from recommender.radio.draw import BLOCK, Draw, _nucleus, tempered_draw
from recommender.radio.int8 import QuantizedOutput
from recommender.radio.state import RadioState, advance, initial_state
from recommender.recommender import Recommender

from .conftest import radio_distribution, small_config


def _walk(rec: Recommender, tracks: list[int]) -> RadioState:
    state = initial_state(rec)
    for track in tracks:
        state = advance(rec, state, track)
    return state


def _tv(rec: Recommender, state: RadioState, temperature: float) -> tuple[float, float]:
    """(total-variation distance, max |log p| error where p > 0.001) of the int8 pass.

    The error of log p is measured where the tracks carry mass: far in the tail (p < 1e-4) the
    bfloat16 product rounds large negative logits by a few hundredths, which no draw can notice.
    """
    fast = QuantizedOutput(rec.model.output_weight())
    exact_ids, exact = radio.distribution(rec, state, temperature=temperature)
    fast_ids, approx = radio.distribution(rec, state, temperature=temperature, fast=fast)
    assert torch.equal(exact_ids, fast_ids)
    likely = exact > 1e-3
    log_error = (exact[likely].log() - approx[likely].log()).abs().max()
    return float(0.5 * (exact - approx).abs().sum()), float(log_error)


@pytest.fixture(scope="module")
def wide() -> Recommender:
    """5,000 tracks with logits spread like a trained model's (std ~3 over the library)."""
    torch.manual_seed(3)
    config = small_config(embedding_dim=128, hidden_dim=64)
    rec = Recommender.untrained(range(1, 5001), config)
    with torch.no_grad():
        rec.model.output_weight().mul_(8.0)
        rec.model.item_bias.normal_(0.0, 1.0)
    return rec


@pytest.mark.parametrize("temperature", [0.6, 1.0, 1.8])
def test_int8_scoring_keeps_the_trained_distribution(
    trained: Recommender, temperature: float
) -> None:
    for tracks in ([7, 8], [1, 2, 3, 4], [20, 21, 22, 23, 24, 1]):
        tv, log_error = _tv(trained, _walk(trained, tracks), temperature)
        assert tv < 0.005
        assert log_error < 0.05


def test_int8_scoring_stays_close_on_a_wide_library(wide: Recommender) -> None:
    rng = random.Random(0)
    for _ in range(5):
        state = _walk(wide, [rng.randrange(1, 5001) for _ in range(6)])
        logits = radio.log_scores(wide, state)[1:]
        assert float(logits.std()) > 1.0  # a spread like a trained model's, not a flat one
        tv, _ = _tv(wide, state, 0.6)  # the sharpest setting radio offers
        # torch's int8 kernel rounds its output to bfloat16: 0.023 at worst here (float32
        # accumulation of the same codes gave 0.009; bench/NOTES.md)
        assert tv < 0.03


def test_nucleus_matches_a_full_sort() -> None:
    generator = torch.Generator().manual_seed(5)
    # a few rows, many, nearly all; all tied (an untrained model)
    for spread in (0.5, 3.0, 8.0, 0.0):
        probs = torch.softmax(torch.randn(20_000, generator=generator) * spread, dim=0)
        for top_p in (0.3, 0.9, 0.999):
            draw = _nucleus(probs, top_p)
            rows, _ = draw.row_probs()
            kept = probs[rows].double()
            dropped = torch.ones(len(probs), dtype=torch.bool)
            dropped[rows] = False
            # the most likely rows, the mass reaches top_p, and one row fewer would not (up to
            # float32 rounding in the sums)
            assert float(kept.min()) >= float(probs[dropped].max())
            assert float(kept.sum()) >= top_p - 1e-5
            assert float(kept.sum() - kept.min()) < top_p + 1e-5
            assert float(draw.probs.sum()) == pytest.approx(1.0, abs=1e-5)


def test_spare_candidates_are_distinct_draws_without_replacement() -> None:
    probs = torch.tensor([0.0, 0.9, 0.05, 0.03, 0.02])
    generator = torch.Generator().manual_seed(1)
    seconds: dict[int, int] = {}
    for _ in range(2000):
        picks = Draw(probs.clone()).sample(generator, 3)
        rows = [row for row, _ in picks]
        assert len(set(rows)) == 3 and 0 not in rows
        assert all(p == pytest.approx(float(probs[r])) for r, p in picks)
        if rows[0] == 1:
            seconds[rows[1]] = seconds.get(rows[1], 0) + 1
    # Given the first pick was row 1, the second follows p without row 1: 0.5 / 0.3 / 0.2.
    total = sum(seconds.values())
    shares = np.array([seconds.get(r, 0) / total for r in (2, 3, 4)])
    assert np.abs(shares - [0.5, 0.3, 0.2]).max() < 0.05
    assert len(Draw(torch.tensor([0.0, 1.0])).sample(generator, 3)) == 1  # nothing else to draw


def test_the_recommenders_radio_draws_stay_close_to_exact(trained: Recommender) -> None:
    state = _walk(trained, [7, 8])
    exact = radio.log_scores(trained, state)
    ids, probs = radio_distribution(trained, state)
    exact_probs = torch.softmax(exact, dim=0)[trained.vocab.indices(ids.tolist())]
    assert np.abs(probs - exact_probs.numpy()).max() < 0.01
    draw = radio.next_draw(trained, state, fast=QuantizedOutput(trained.model.output_weight()))
    assert len({row for row, _ in draw.sample(torch.Generator().manual_seed(0), 4)}) == 4


def test_two_level_draw_follows_the_distribution_across_blocks() -> None:
    # 3.5 blocks: mass in whole blocks and in the short last one, zeros (masked rows) in between.
    size = BLOCK * 3 + BLOCK // 2
    weights = torch.rand(size, generator=torch.Generator().manual_seed(2)) ** 4
    weights[: BLOCK // 3] = 0.0
    weights[BLOCK : 2 * BLOCK] = 0.0  # a whole block without mass
    weights[-5:] = 0.05  # the very end of the CDF
    probs = weights / weights.sum()
    generator = torch.Generator().manual_seed(3)
    counts = np.zeros(size)
    draw = Draw(probs)
    draws = 30_000
    for _ in range(draws):
        counts[draw.sample(generator)[0][0]] += 1
    assert counts[probs.numpy() == 0].sum() == 0
    assert 0.5 * np.abs(counts / draws - probs.numpy()).sum() < 0.08
    tail = slice(size - 5, size)
    assert counts[tail].sum() / draws == pytest.approx(float(probs[tail].sum()), abs=0.01)


def test_tempered_draw_is_the_masked_softmax_and_refuses_an_empty_choice() -> None:
    scores = torch.randn(2_001, generator=torch.Generator().manual_seed(2)) * 4.0
    excluded = torch.tensor([3, 3, 11, 2_000])
    for temperature in (0.05, 0.6, 1.8, 50.0):
        expected = scores.double() / temperature
        expected[0] = -math.inf
        expected[excluded] = -math.inf
        draw = tempered_draw(scores.clone(), temperature, None, excluded)
        assert draw.probs[0] == 0.0 and not draw.probs[excluded].any()
        torch.testing.assert_close(
            draw.probs.double(), torch.softmax(expected, 0), atol=1e-6, rtol=1e-4
        )
    with pytest.raises(ValueError, match="every track is excluded"):
        tempered_draw(torch.ones(5), 1.0, None, torch.arange(1, 5))


def test_masked_rows_follow_a_retrained_vocabulary_of_the_same_size() -> None:
    """A retrain can give the same tracks other rows; the never-play / missing mask's rows must
    be looked up again, not reused because the vocabulary has as many rows as before."""
    from recommender.radio.int8 import RadioCache
    from recommender.vocab import Vocabulary

    masked = frozenset({10})
    old, new = Vocabulary(), Vocabulary()
    old.add([10, 20, 30])
    new.add([30, 20, 10])
    cache = RadioCache()
    assert cache.rows(old, masked).tolist() == [1]
    assert cache.rows(new, masked).tolist() == [3]
