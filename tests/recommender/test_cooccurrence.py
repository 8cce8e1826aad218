"""The co-occurrence start: tracks heard together start close, strangers far apart."""

from __future__ import annotations

import numpy as np
import torch

from recommender.cooccurrence import cooccurrence_embedding
from recommender.training import EncodedSession


def _session(rows: list[int]) -> EncodedSession:
    return EncodedSession(np.array(rows, dtype=np.int64), np.ones(len(rows), dtype=np.float32))


def test_tracks_heard_together_start_close() -> None:
    rng = np.random.default_rng(0)
    # Two scenes of 20 tracks (rows 1-20 and 21-40) that never share a session.
    sessions = [
        _session(list(rng.choice(np.arange(1, 21) + 20 * (k % 2), size=6, replace=False)))
        for k in range(400)
    ]
    torch.manual_seed(0)
    start = cooccurrence_embedding(sessions, 41, 8, std=0.1)
    assert start is not None
    assert start.shape == (41, 8)
    assert torch.equal(start[0], torch.zeros(8))
    assert abs(float(start[1:].std()) - 0.1) < 1e-4
    unit = torch.nn.functional.normalize(start[1:], dim=1)
    cosine = unit @ unit.t()
    same = torch.block_diag(torch.ones(20, 20), torch.ones(20, 20)).bool()
    assert float(cosine[same].mean()) > float(cosine[~same].mean()) + 0.5


def test_too_little_data_gives_no_start() -> None:
    assert cooccurrence_embedding([], 10, 4, std=0.1) is None
    assert cooccurrence_embedding([_session([1, 2])], 10, 4, std=0.1) is None


def test_full_training_starts_from_cooccurrence() -> None:
    from recommender.recommender import Recommender
    from recommender.sessions import TrainingSession
    from tests.recommender.conftest import small_config

    rng = np.random.default_rng(1)
    scenes = [np.arange(1, 13), np.arange(13, 25)]
    sessions = [
        TrainingSession(tuple(int(i) for i in rng.choice(scenes[k % 2], size=5, replace=False)))
        for k in range(300)
    ]

    def scene_gap(trained: bool) -> float:
        config = small_config(epochs=0)
        if trained:  # no epochs: W as the co-occurrence start left it
            rec = Recommender.train_full(sessions, config)
        else:
            rec = Recommender.untrained(range(1, 25), config)
        rows = [rec.vocab.index(t) for t in range(1, 25)]
        unit = torch.nn.functional.normalize(rec.model.embedding.weight[rows].detach(), dim=1)
        cosine = unit @ unit.t()
        same = torch.block_diag(torch.ones(12, 12), torch.ones(12, 12)).bool()
        return float(cosine[same].mean() - cosine[~same].mean())

    assert scene_gap(True) > 0.5
    assert abs(scene_gap(False)) < 0.2  # noise: no structure before training
