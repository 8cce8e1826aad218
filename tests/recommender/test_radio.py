"""Radio inference: carried state, skips, exclusion, temperature, top-p, seeded sampling."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from recommender.radio import scores as radio
from recommender.radio.engine import RadioModel
from recommender.radio.state import RadioState, advance, initial_state

from .conftest import radio_distribution, radio_sample


def _state(rec: RadioModel, tracks: list[int]) -> RadioState:
    state = initial_state(rec)
    for track in tracks:
        state = advance(rec, state, track)
    return state


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x.astype(np.float64) - x.max())
    return e / e.sum()


def _as_dict(ids: np.ndarray, probs: np.ndarray) -> dict[int, float]:
    return dict(zip(ids.tolist(), probs.tolist(), strict=True))


def test_distribution_follows_the_carried_state(engine: RadioModel) -> None:
    state = _state(engine, [7, 8])
    ids, probs = radio_distribution(engine, state)
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert int(ids[np.argmax(probs)]) == 9
    assert state.last_track == 8


def test_state_is_json_serialisable(engine: RadioModel) -> None:
    state = advance(engine, _state(engine, [3, 4]), 5, skipped=True, played_fraction=0.1)
    restored = RadioState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    a = _as_dict(*radio_distribution(engine, state))
    b = _as_dict(*radio_distribution(engine, restored))
    assert a == pytest.approx(b)
    with pytest.raises(ValueError, match="malformed"):
        RadioState.from_dict({"hidden": "x"})


def test_skip_changes_the_next_distribution(engine: RadioModel) -> None:
    state = _state(engine, [7, 8])
    before = _as_dict(*radio_distribution(engine, state))
    skipped = advance(engine, state, 9, skipped=True, played_fraction=0.05)
    after = _as_dict(*radio_distribution(engine, skipped))
    assert skipped.hidden == state.hidden  # the skipped track did not steer the state
    assert after[9] < before[9] * 0.5  # probability moves away from the skipped track


def test_unknown_track_is_ignored(engine: RadioModel) -> None:
    state = _state(engine, [7, 8])
    assert advance(engine, state, 123456) == state


def test_exclusion_mask_is_respected(engine: RadioModel) -> None:
    state = _state(engine, [7, 8])
    excluded = {9, 10, 11}
    ids, probs = radio_distribution(engine, state, exclude=excluded)
    assert not excluded & set(ids.tolist())
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    generator = np.random.default_rng(0)
    picks = {radio_sample(engine, state, generator, exclude=excluded)[0] for _ in range(50)}
    assert not excluded & picks
    with pytest.raises(ValueError, match="excluded"):
        radio_distribution(engine, state, exclude=set(engine.vocab.to_list()))


def test_temperature_sharpens_and_flattens(engine: RadioModel) -> None:
    state = _state(engine, [7, 8])
    cold = _as_dict(*radio_distribution(engine, state, temperature=0.5))
    base = _as_dict(*radio_distribution(engine, state))
    hot = _as_dict(*radio_distribution(engine, state, temperature=3.0))
    assert cold[9] > base[9] > hot[9]
    entropy = [-sum(p * np.log(p) for p in d.values() if p > 0) for d in (cold, base, hot)]
    assert entropy[0] < entropy[1] < entropy[2]


def test_top_p_keeps_the_smallest_nucleus(engine: RadioModel) -> None:
    state = _state(engine, [7, 8])
    ids, probs = radio_distribution(engine, state, temperature=4.0)
    ids_p, probs_p = radio_distribution(engine, state, temperature=4.0, top_p=0.5)
    assert 1 <= len(ids_p) < len(ids)
    assert probs_p.sum() == pytest.approx(1.0, abs=1e-5)
    order = np.argsort(-probs)
    kept_mass = probs[order[: len(ids_p)]].sum()
    assert kept_mass >= 0.5 and probs[order[: len(ids_p) - 1]].sum() < 0.5
    assert set(ids_p.tolist()) == set(ids[order[: len(ids_p)]].tolist())


def test_sampling_is_seeded(engine: RadioModel) -> None:
    state = _state(engine, [2, 3])
    draws = [
        [radio_sample(engine, state, g, temperature=2.0)[0] for _ in range(20)]
        for g in (np.random.default_rng(4), np.random.default_rng(4))
    ]
    assert draws[0] == draws[1]
    track, prob = radio_sample(engine, state, np.random.default_rng(1))
    assert 0.0 < prob <= 1.0 and track in engine.vocab


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_a_masked_history_leaves_the_full_models_masked_distribution(
    engine: RadioModel, temperature: float
) -> None:
    # Radio's window usually covers the whole history: the repeat head is skipped then, which
    # must leave exactly the distribution of the full model (repeat head and all), masked.
    vocab = engine.vocab
    state = _state(engine, [3, 4, 5, 3])
    exclude = {3, 4, 5, 11}
    full = radio.log_scores(engine, state)
    full[vocab.indices(exclude)] = -math.inf
    expected = _softmax(full / temperature)
    draw = radio.next_draw(engine, state, temperature=temperature, exclude=exclude)
    np.testing.assert_allclose(draw.probs, expected, atol=1e-6, rtol=0)
    # With a history row allowed, the repeat head's mass on it is kept.
    partial = radio.next_draw(engine, state, temperature=temperature, exclude={4, 5})
    full = radio.log_scores(engine, state)
    full[vocab.indices({4, 5})] = -math.inf
    np.testing.assert_allclose(partial.probs, _softmax(full / temperature), atol=1e-6, rtol=0)
