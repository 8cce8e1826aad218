"""The prior's draws without replacement (radio's spares for one slot)."""

from __future__ import annotations

import numpy as np

from recommender.radio.mixture import Mixture, distinct_draws
from recommender.radio.prior import ColdStartPrior, TrackInfo


def test_draws_are_distinct_and_never_a_track_without_mass() -> None:
    probs = np.array([0.0, 0.5, 0.0, 0.3, 0.2, 0.0])
    rng = np.random.default_rng(0)
    for _ in range(200):
        picks = distinct_draws(probs, 3, rng)
        assert sorted(picks) == [1, 3, 4]
    assert len(distinct_draws(probs, 10, rng)) == 3  # only three tracks have mass


def test_one_dominant_track_still_yields_the_spares_asked_for() -> None:
    probs = np.array([1e-9, 1.0 - 2e-9, 1e-9])
    picks = distinct_draws(probs, 3, np.random.default_rng(1))
    assert picks[0] == 1 and sorted(picks) == [0, 1, 2]


def test_first_and_second_draws_follow_sampling_without_replacement() -> None:
    probs = np.array([0.5, 0.3, 0.2])
    rng = np.random.default_rng(2)
    n = 20_000
    firsts = np.zeros(3)
    second_after_0 = np.zeros(3)
    for _ in range(n):
        a, b = distinct_draws(probs, 2, rng)
        firsts[a] += 1
        if a == 0:
            second_after_0[b] += 1
    assert np.allclose(firsts / n, probs, atol=0.015)
    # With track 0 taken, the second draw is from 0.3 : 0.2, i.e. 0.6 / 0.4.
    assert np.allclose(second_after_0[1:] / second_after_0.sum(), [0.6, 0.4], atol=0.02)


def test_the_tempered_prior_is_its_scores_to_the_power_one_over_t() -> None:
    tracks = [
        TrackInfo(
            i, f"/m/{i}.ogg", f"t{i}", f"artist {i % 3}", album=f"album {i % 5}", year=1990 + i
        )
        for i in range(1, 41)
    ]
    mixture = Mixture(seed=0)
    mixture.prior = ColdStartPrior(tracks)
    scores = mixture.prior.scores(7)
    for temperature in (0.5, 1.0, 2.0):
        mixture.temperature = temperature
        ids, probs = mixture.prior_distribution(7, {3, 4}, [])
        expected = scores ** (1.0 / temperature)
        expected[[2, 3]] = 0.0  # rows of ids 3 and 4, excluded
        expected /= expected.sum()
        assert ids.tolist() == [i for i in range(1, 41) if i not in (3, 4)]
        assert np.allclose(probs, expected[expected > 0], rtol=1e-6, atol=0)
