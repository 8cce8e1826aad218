"""Incremental training as the app runs it: full train on the older sessions, then updates."""

from __future__ import annotations

import copy
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


def test_updates_share_one_optimizer_and_growth_keeps_its_moments() -> None:
    config = dataclasses.replace(small_config(), update_lr=0.01, update_epochs=1)
    rec = train_incremental(
        planted_sessions(60), config, first_share=1.0, generator=torch.Generator().manual_seed(1)
    ).recommender
    rec.update(planted_sessions(20, seed=2))
    optimizer = rec._optimizer
    rec.update(planted_sessions(20, seed=3))
    assert optimizer is not None and rec._optimizer is optimizer  # no fresh Adam per update

    copied = copy.deepcopy(rec)  # the plugin fine-tunes a copy of the live model
    copied.update([TrainingSession((401, 402, 403)) for _ in range(3)])
    assert copied._optimizer is not None and copied._optimizer.follows(copied.model)

    old_rows = rec.model.n_items
    sparse_before = dict(optimizer.optimizers[1].state[rec.model.embedding.weight])
    bias_before = dict(optimizer.optimizers[0].state[rec.model.item_bias])
    gru_weight = rec.model.cell.weight_hh_l0
    gru_before = optimizer.optimizers[0].state[gru_weight]["exp_avg"].clone()
    rec.add_tracks([301, 302, 303])
    grown = optimizer.rebuilt_for(rec.model)

    assert grown.follows(rec.model) and not optimizer.follows(rec.model)
    sparse = grown.optimizers[1].state[rec.model.embedding.weight]
    assert sparse["exp_avg_sq"].shape[0] == old_rows + 3
    assert torch.equal(sparse["exp_avg_sq"][:old_rows], sparse_before["exp_avg_sq"])
    assert not sparse["exp_avg_sq"][old_rows:].any()
    assert int(sparse["step"]) == int(sparse_before["step"])
    bias = grown.optimizers[0].state[rec.model.item_bias]
    assert torch.equal(bias["exp_avg"][:old_rows], bias_before["exp_avg"])
    assert torch.equal(grown.optimizers[0].state[gru_weight]["exp_avg"], gru_before)


def test_pick_replay_favours_recent_sessions_and_reaches_back() -> None:
    history = [TrainingSession((i, i + 1)) for i in range(1, 5001)]
    picks = pick_replay(history, 40, torch.Generator().manual_seed(3), window=100)
    positions = [s.items[0] - 1 for s in picks]
    assert len(set(positions)) == 40
    assert sum(p >= 4900 for p in positions) >= 20  # half from the last 100 sessions
    assert sum(p < 4900 for p in positions) >= 10  # the uniform half reaches back
    assert len(pick_replay(history[:30], 100, torch.Generator())) == 30


def test_updates_from_one_start_depend_on_the_update_seed_alone() -> None:
    sessions = planted_sessions(100)
    config = dataclasses.replace(small_config(), update_lr=0.02, update_epochs=2)
    start = train_incremental(sessions[:80], config, first_share=1.0).recommender

    def updated(seed: int) -> torch.Tensor:
        run = train_incremental(
            sessions, config, chunk=10, start_from=copy.deepcopy(start), update_seed=seed
        )
        assert run.recommender.cursor["updates"] == 2
        return run.recommender.model.embedding.weight.detach()

    first, again, other = updated(1), updated(1), updated(2)
    assert torch.equal(first, again)
    assert not torch.allclose(first, other)
    assert not torch.allclose(first, start.model.embedding.weight)
