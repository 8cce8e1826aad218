"""Incremental training as the app runs it: full train on the older sessions, then updates."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from recommender.incremental import pick_replay, train_incremental
from recommender.sessions import TrainingSession
from tests.recommender.conftest import N_ITEMS, planted_sessions, small_config


def test_train_incremental_updates_in_chunks_and_grows() -> None:
    sessions = planted_sessions(160)
    # the newest sessions bring tracks the first part never saw
    sessions += [TrainingSession((201, 202, 203, 204)) for _ in range(40)]
    config = dataclasses.replace(small_config(), update_lr=0.02, update_epochs=5)
    run = train_incremental(
        sessions, config, first_share=0.8, chunk=10, generator=torch.Generator().manual_seed(3)
    )
    rec = run.recommender
    assert len(run.update_seconds) == 4
    assert rec.cursor == {"sessions_seen": 200, "updates": 4}
    assert rec.vocab.index(204) is not None
    assert rec.vocab.track_id(int(np.argmax(rec.scores([201, 202])))) == 203
    assert rec.vocab.track_id(int(np.argmax(rec.scores([3, 4])))) == 5 % N_ITEMS


def test_pick_replay_is_seeded_and_bounded() -> None:
    history = planted_sessions(30)
    a = pick_replay(history, 10, torch.Generator().manual_seed(0))
    b = pick_replay(history, 10, torch.Generator().manual_seed(0))
    assert a == b and len(a) == 10 and all(s in history for s in a)
    assert pick_replay(history, 0, torch.Generator()) == []
