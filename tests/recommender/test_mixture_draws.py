"""The prior's draws: spares without replacement, tempered as the model's are."""

from __future__ import annotations

import numpy as np

from recommender.radio.draw import Draw
from recommender.radio.mixture import Mixture
from recommender.radio.prior import ColdStartPrior, TrackInfo


def test_one_dominant_track_still_yields_the_spares_asked_for() -> None:
    probs = np.array([1e-9, 1.0 - 2e-9, 1e-9], dtype=np.float32)
    picks = [row for row, _ in Draw(probs).sample(np.random.default_rng(1), 3)]
    assert picks[0] == 1 and sorted(picks) == [0, 1, 2]


def test_the_prior_draws_spares_without_repeats() -> None:
    mixture = Mixture(seed=0)
    mixture.prior = ColdStartPrior(_tracks())
    for _ in range(50):
        picks = mixture.pick(None, None, 7, {3, 4}, 1.0, [], count=4)
        ids = [p.track_id for p in picks]
        assert len(ids) == 4 and len(set(ids)) == 4 and not {3, 4} & set(ids)


def _tracks() -> list[TrackInfo]:
    return [
        TrackInfo(
            i, f"/m/{i}.ogg", f"t{i}", f"artist {i % 3}", album=f"album {i % 5}", year=1990 + i
        )
        for i in range(1, 41)
    ]


def test_the_tempered_prior_is_its_scores_to_the_power_one_over_t() -> None:
    mixture = Mixture(seed=0)
    mixture.prior = ColdStartPrior(_tracks())
    scores = mixture.prior.scores(7)
    for temperature in (0.5, 1.0, 2.0):
        mixture.temperature = temperature
        ids, probs = mixture.prior_distribution(7, {3, 4}, [])
        expected = scores ** (1.0 / temperature)
        expected[[2, 3]] = 0.0  # rows of ids 3 and 4, excluded
        expected /= expected.sum()
        assert ids.tolist() == [i for i in range(1, 41) if i not in (3, 4)]
        assert np.allclose(probs, expected[expected > 0], rtol=1e-6, atol=0)
