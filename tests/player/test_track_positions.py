"""Track id -> position: the same answers as a dict, dense ids or scattered."""

from __future__ import annotations

import random

import pytest

from player.track_positions import TrackPositions


@pytest.mark.parametrize("spread", [1, 3, 10**9])  # dense ids, gaps, ids far apart
def test_answers_as_a_dict_would(spread: int) -> None:
    rng = random.Random(spread)
    ids = rng.sample(range(1, 5000 * spread), 3000)
    positions, expected = TrackPositions(ids), {t: j for j, t in enumerate(ids)}
    for track_id in rng.sample(range(5000 * spread), 2000):  # new ones, moved ones
        position = rng.randrange(10**6)
        positions.set(track_id, position)
        expected[track_id] = position
    assert len(positions) == len(expected)
    assert dict(positions.items()) == expected
    for track_id in [*expected, -7, 0, 5000 * spread + 1]:
        assert positions.get(track_id) == expected.get(track_id)
        assert (track_id in positions) == (track_id in expected)
    with pytest.raises(KeyError):
        positions[5000 * spread + 1]
    assert (positions._sparse is None) == (spread == 1)  # dense ids: the array


def test_a_negative_id_is_kept_too() -> None:
    positions = TrackPositions([1, 2])
    positions.set(-4, 7)
    assert (positions.get(-4), positions.get(2), len(positions)) == (7, 1, 3)
