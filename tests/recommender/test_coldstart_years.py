"""The cold-start prior's year term: nearer years weigh more, unknown years not at all."""

from __future__ import annotations

import math

import pytest

from recommender.radio.prior import ColdStartPrior, TrackInfo


def test_the_year_term_follows_the_distance_in_years() -> None:
    years = {1: 2000, 2: 2002, 3: 2015, 4: None, 5: 2002}
    tracks = [  # nothing shared but the year: other artist, album and genre each
        TrackInfo(i, f"/m/{i}.ogg", f"t{i}", f"artist {i}", album=f"album {i}", year=year)
        for i, year in years.items()
    ]
    prior = ColdStartPrior(tracks)
    w = prior.weights
    scores = dict(zip(prior.track_ids.tolist(), prior.scores(1).tolist(), strict=True))
    near = w.base + w.year * math.exp(-2 / w.year_scale)
    assert scores[2] == pytest.approx(near) and scores[5] == pytest.approx(near)
    assert scores[3] == pytest.approx(w.base + w.year * math.exp(-15 / w.year_scale))
    assert scores[4] == pytest.approx(w.base)  # unknown year: no year term
    no_year = dict(zip(prior.track_ids.tolist(), prior.scores(4).tolist(), strict=True))
    assert no_year[2] == no_year[3] == pytest.approx(w.base)  # nothing to compare with
