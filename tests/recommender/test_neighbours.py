"""The neighbour table: what it holds, how it merges new sessions, and how the model uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from recommender.checkpoint import load_recommender, save_recommender
from recommender.neighbours import merge_neighbours, neighbour_table
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession
from recommender.training import EncodedSession

from .conftest import N_ITEMS, planted_sessions, small_config


def _encoded(*rows: int) -> EncodedSession:
    return EncodedSession(np.array(rows, dtype=np.int64), np.ones(len(rows), dtype=np.float32))


def test_table_holds_the_most_frequent_tracks_within_two_places() -> None:
    sessions = [_encoded(1, 2, 3, 1), _encoded(2, 3, 4), _encoded(5, 5, 6)]
    rows, counts = neighbour_table(sessions, 8, 3)
    table = {r: dict(zip(rows[r].tolist(), counts[r].tolist(), strict=True)) for r in range(8)}
    # 1-2 and 1-3 are heard within two places twice each (1 2 3 1); 4 is three places from 1
    assert table[1] == {2: 2.0, 3: 2.0, 0: 0.0}
    assert table[2] == {1: 2.0, 3: 2.0, 4: 1.0}
    assert table[5] == {6: 2.0, 0: 0.0}  # never its own neighbour, though heard twice in a row
    assert table[7] == {0: 0.0}


def test_merge_adds_new_sessions_and_keeps_the_top() -> None:
    old = [_encoded(1, 2, 3, 1), _encoded(2, 3, 4)]
    new = [_encoded(4, 5, 1, 2), _encoded(5, 5, 6), _encoded(1, 4, 1, 4)]
    for width in (2, 8):
        merged = merge_neighbours(*neighbour_table(old, 8, width), new)
        rebuilt = neighbour_table(old + new, 8, width)
        torch.testing.assert_close(merged, rebuilt, rtol=0, atol=0)
    table = neighbour_table(old, 8, 3)
    torch.testing.assert_close(merge_neighbours(*table, []), table, rtol=0, atol=0)


def test_update_gives_a_new_track_neighbours_and_keeps_the_model_working() -> None:
    config = small_config(neighbours=4)
    rec = Recommender.train_full(
        planted_sessions(120), config, generator=torch.Generator().manual_seed(1)
    )
    rows = rec.model.neighbour_rows
    cycle = {rec.vocab.index(2), rec.vocab.index(N_ITEMS)}
    assert set(rows[rec.vocab.index(1)].tolist()[:2]) == cycle  # 1 follows 24 and precedes 2
    before = rec.scores([5, 6]).copy()
    rec.add_tracks([900])
    np.testing.assert_allclose(rec.scores([5, 6])[: len(before)], before, rtol=0, atol=1e-5)
    rec.update([TrainingSession((900, 7, 8)), TrainingSession((6, 900))])
    new_row = rec.vocab.index(900)
    assert new_row is not None
    model = rec.model
    near = dict(
        zip(
            model.neighbour_rows[new_row].tolist(),
            model.neighbour_counts[new_row].tolist(),
            strict=True,
        )
    )
    assert near[rec.vocab.index(7)] == 1.0 and near[rec.vocab.index(6)] == 1.0
    assert np.isfinite(rec.scores([900, 7])[1:]).all()
    with pytest.raises(ValueError, match="neighbours"):
        small_config(neighbours=-1)


def test_checkpoint_keeps_the_table(tmp_path: Path) -> None:
    rec = Recommender.train_full(planted_sessions(60), small_config(neighbours=3, epochs=2))
    save_recommender(rec, tmp_path / "model")
    loaded = load_recommender(tmp_path / "model")
    assert loaded.config == rec.config and loaded.config.neighbours == 3
    torch.testing.assert_close(loaded.model.neighbour_rows, rec.model.neighbour_rows)
    torch.testing.assert_close(loaded.model.neighbour_counts, rec.model.neighbour_counts)
    np.testing.assert_allclose(loaded.scores([4, 5, 4]), rec.scores([4, 5, 4]), rtol=0, atol=1e-6)
