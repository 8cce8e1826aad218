"""Training batches: bucketed by length for full training, dealt evenly for updates."""

from __future__ import annotations

import numpy as np
import torch

from recommender.training import EncodedSession, make_batches


def _sessions(lengths: list[int]) -> list[EncodedSession]:
    # the first row of each session is its index + 1, so a batch row says which session it holds
    return [
        EncodedSession(
            np.array([i + 1] + [1] * (n - 1), dtype=np.int64),
            np.ones(n, dtype=np.float32),
        )
        for i, n in enumerate(lengths)
    ]


def _update_like() -> list[EncodedSession]:
    # an update's data: 250 short sessions and 50 long ones, shuffled together
    lengths = [2 + i % 3 for i in range(250)] + [40 + i % 10 for i in range(50)]
    order = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(3)).tolist()
    return _sessions([lengths[i] for i in order])


def test_full_training_batches_hold_sessions_of_similar_length() -> None:
    sessions = _update_like()
    batches = make_batches(sessions, 256, torch.Generator().manual_seed(0))
    sizes = sorted(len(b.inputs) for b in batches)
    assert sizes == [44, 256]
    small = next(b for b in batches if len(b.inputs) == 44)
    assert int(((small.weights > 0).sum(1) + 1).min()) >= 40  # the 44 longest sessions alone


def test_update_batches_are_even_and_mixed() -> None:
    sessions = _update_like()
    batches = make_batches(sessions, 256, torch.Generator().manual_seed(0), by_length=False)
    assert [len(b.inputs) for b in batches] == [150, 150]
    rows = [int(r) for b in batches for r in b.inputs[:, 0]]
    assert sorted(rows) == sorted(int(s.rows[0]) for s in sessions)  # each session once
    for batch in batches:  # long sessions are spread over both batches, not left to one
        lengths = (batch.weights > 0).sum(1) + 1
        assert 10 <= int((lengths >= 40).sum()) <= 40
    assert len(make_batches(sessions[:10], 256, torch.Generator(), by_length=False)) == 1
