"""Shared fixtures for the recommender tests: one thread, small planted data, a trained model."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import torch

from recommender.config import ModelConfig
from recommender.radio.engine import RadioModel
from recommender.radio.scores import distribution, next_draw
from recommender.radio.state import RadioState
from recommender.recommender import Recommender
from recommender.sessions import TrainingSession

torch.set_num_threads(1)

#: Items 1..N_ITEMS; every session walks the cycle i -> i+1 -> ... (planted order).
N_ITEMS = 24


def planted_sessions(n: int = 200, seed: int = 0) -> list[TrainingSession]:
    """Sessions that follow the cycle 1 -> 2 -> ... -> N_ITEMS -> 1 from a random start."""
    rng = random.Random(seed)
    sessions = []
    for _ in range(n):
        start, length = rng.randrange(N_ITEMS), rng.randrange(3, 9)
        sessions.append(TrainingSession(tuple((start + i) % N_ITEMS + 1 for i in range(length))))
    return sessions


def small_config(**overrides: object) -> ModelConfig:
    """A tiny, fast configuration."""
    values: dict[str, object] = {
        "embedding_dim": 16,
        "hidden_dim": 32,
        "epochs": 10,
        "batch_size": 16,
        "negatives": 16,
        "lr": 0.02,
        "dropout_embedding": 0.0,
        "dropout_hidden": 0.0,
        "dense_lr_scale": 1.0,
        "recent_share": 0.0,  # the recent-sessions pass has its own tests
    }
    values.update(overrides)
    return ModelConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def trained() -> Recommender:
    """A small GRU trained on the planted cycle (shared: treat as read-only)."""
    torch.set_num_threads(1)
    return Recommender.train_full(
        planted_sessions(), small_config(), generator=torch.Generator().manual_seed(1)
    )


@pytest.fixture(scope="session")
def engine(trained: Recommender) -> RadioModel:
    """Radio's numpy engine of :func:`trained` (shared: treat as read-only)."""
    return RadioModel.of(trained)


def radio_distribution(
    rec: RadioModel | Recommender, state: RadioState, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Radio's distribution, through the numpy engine as radio draws."""
    model = rec if isinstance(rec, RadioModel) else RadioModel.of(rec)
    return distribution(model, state, **options)


def radio_sample(
    rec: RadioModel, state: RadioState, rng: np.random.Generator, **options: Any
) -> tuple[int, float]:
    """One radio draw at ``state``: (track id, its probability)."""
    row, probability = next_draw(rec, state, **options).sample(rng)[0]
    return rec.vocab.track_id(row), probability
