"""Radio's compiled kernels agree with plain numpy, and radio still works without them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recommender.radio import draw as radio_scoring
from recommender.radio import kernels as radio_kernels
from recommender.radio.draw import BLOCK, Draw
from recommender.radio.int8 import QuantizedOutput
from recommender.radio.kernels import Kernels, compiled


@pytest.fixture(scope="module")
def kernels() -> Kernels:
    found = compiled()
    assert found is not None, "numba is a dependency: the compiled kernels must load here"
    return found


def test_scores_are_the_scaled_int8_product_plus_bias(kernels: Kernels) -> None:
    rng = np.random.default_rng(0)
    codes = rng.integers(-127, 128, size=(3001, 96)).astype(np.int8)  # not a multiple of 8
    query = rng.normal(size=96).astype(np.float32)
    scales = rng.uniform(0.001, 0.05, size=3001).astype(np.float32)
    bias = rng.normal(size=3001).astype(np.float32)
    out = np.empty(3001, np.float32)
    kernels.scores(codes, query, scales, bias, out)
    exact = (codes.astype(np.float64) @ query.astype(np.float64)) * scales + bias
    np.testing.assert_allclose(out, exact, rtol=1e-5, atol=1e-4)


def test_block_sums_and_draws_match_numpy(kernels: Kernels) -> None:
    rng = np.random.default_rng(1)
    values = (rng.random(BLOCK * 5 + 17) ** 3).astype(np.float32)
    values[: BLOCK // 2] = 0.0  # masked rows at the start,
    values[2 * BLOCK : 3 * BLOCK] = 0.0  # a whole empty block,
    values[-3:] = 0.0  # and at the very end
    cumulative = kernels.block_cumulative(values, BLOCK)
    sums = np.add.reduceat(values.astype(np.float64), np.arange(0, len(values), BLOCK))
    np.testing.assert_allclose(cumulative, np.cumsum(sums), rtol=1e-6)
    reference = np.cumsum(values.astype(np.float64))
    for point in rng.random(2000) * cumulative[-1]:
        index = kernels.draw_index(values, cumulative, BLOCK, point)
        assert values[index] > 0
        expected = int(np.searchsorted(reference, point, side="right"))
        # the same draw up to float rounding at a boundary between two tracks
        assert abs(index - expected) <= 1 or reference[expected] - point < 1e-5
    top = kernels.draw_index(values, cumulative, BLOCK, float(cumulative[-1]))
    assert top == int(np.flatnonzero(values)[-1])  # the end of the CDF is the last real row


def test_without_numba_radio_scores_and_draws_the_same_way(
    kernels: Kernels, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = torch.Generator().manual_seed(4)
    weight = torch.randn(5000, 64, generator=generator)
    bias = torch.randn(5000, generator=generator)
    query = torch.randn(64, generator=generator)
    fast = QuantizedOutput(weight)
    monkeypatch.setattr(radio_kernels, "compiled", lambda: None)  # as without numba
    fallback = QuantizedOutput(weight)
    assert fallback._kernels is None
    assert torch.equal(fallback.codes, fast.codes)  # the same int8 copy of V either way
    decoded = fast.codes.double() * fast.scales.double().unsqueeze(1)
    exact = (decoded @ query.double() + bias.double()).float()
    compiled_logits = fast.logits(query, bias)
    torch.testing.assert_close(compiled_logits, exact, atol=1e-4, rtol=1e-5)
    # torch's kernel rounds the query and the product to bfloat16 (8 bits of mantissa each)
    torch.testing.assert_close(fallback.logits(query, bias), exact, atol=0.1, rtol=2**-7)

    probs = torch.softmax(compiled_logits, dim=0)
    draws = {}
    for name, source in (("numpy", lambda: None), ("compiled", lambda: kernels)):
        monkeypatch.setattr(radio_kernels, "compiled", source)
        draw, seeded = Draw(probs), torch.Generator().manual_seed(9)
        draws[name] = [draw.sample(seeded)[0][0] for _ in range(300)]
    assert draws["numpy"] == draws["compiled"]


@pytest.mark.parametrize("temperature", [0.05, 0.6, 1.0, 1.8, 50.0])
def test_tempered_probabilities_are_the_softmax(kernels: Kernels, temperature: float) -> None:
    rng = np.random.default_rng(2)
    scores = (rng.normal(size=20_001) * 4.0).astype(np.float32)
    scores[7] = -1e30  # as LOG_ZERO does: far below everything, not excluded
    excluded = np.array([3, 3, 11, 20_000], np.int64)
    reference = torch.from_numpy(scores / temperature)
    reference[0] = -np.inf
    reference[torch.from_numpy(excluded)] = -np.inf
    expected = torch.softmax(reference.double(), dim=0).numpy()
    probs, total = kernels.tempered_probs(scores.copy(), 1.0 / temperature, excluded)
    assert total > 0
    assert probs[0] == 0.0 and not probs[excluded].any()
    assert float(probs.sum(dtype=np.float64)) == pytest.approx(1.0, abs=1e-5)
    likely = expected > 1e-30
    # float32 rounds each score before the temperature divides it: a relative error of p up
    # to about 2^-23 of |score| + |max| over the temperature, beside the polynomial's 2e-7
    inputs = (np.abs(scores) + np.abs(scores[1:]).max()) / temperature
    error = np.abs(probs - expected) / np.maximum(expected, 1e-300)
    assert (error[likely] <= 1e-6 + inputs[likely] * 2.0**-22).all()
    assert probs[~likely].max() <= 1e-30  # vanishing odds stay vanishing


def test_tempered_probabilities_with_every_row_excluded(kernels: Kernels) -> None:
    _, total = kernels.tempered_probs(np.ones(5, np.float32), 1.0, np.arange(1, 5))
    assert total == 0.0
    with pytest.raises(ValueError, match="every track is excluded"):
        radio_scoring.tempered_draw(torch.ones(5), 1.0, None, torch.arange(1, 5))
