"""The Recommender: a session RNN with its vocabulary and counts, trained fully or by updates."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from recommender.config import ModelConfig
from recommender.cooccurrence import start_from_cooccurrence, start_new_rows
from recommender.model import SessionRNN
from recommender.neighbours import merge_neighbours, neighbour_table
from recommender.optimizer import Optimizer
from recommender.scoring import score_blocks
from recommender.sessions import TrainingSession, item_ids
from recommender.training import (
    EncodedSession,
    Phase,
    Progress,
    ShouldStop,
    split_long,
    train_epochs,
    train_phases,
)
from recommender.vocab import Vocabulary

log = logging.getLogger(__name__)

#: Passes of full training's last phase over the most recent sessions (``recent_share``) ...
RECENT_EPOCHS = 3
#: ... at this share of ``lr`` (a fresh Adam, linear decay).
RECENT_LR = 0.2


class Recommender:
    """A session RNN with its vocabulary, item counts and training cursor.

    Attributes:
        config: Hyperparameters.
        vocab: External track id <-> row index.
        model: The torch module (eval mode between calls).
        counts: Per-row occurrence counts in the training data (float64, row 0 unused).
        cursor: Training bookkeeping saved in checkpoints (``sessions_seen``, ``updates``).
    """

    def __init__(
        self,
        model: SessionRNN,
        vocab: Vocabulary,
        config: ModelConfig,
        counts: np.ndarray,
        cursor: dict[str, Any] | None = None,
    ) -> None:
        """Wrap an existing model (use :meth:`train_full` or :meth:`load` to make one)."""
        self.model = model
        self.vocab = vocab
        self.config = config
        self.counts = counts
        self.cursor: dict[str, Any] = dict(cursor or {"sessions_seen": 0, "updates": 0})
        self._generator = torch.Generator().manual_seed(config.seed + 7919)
        self._optimizer: Optimizer | None = None  # lives across update() calls

    # --- construction / training -------------------------------------------------------------
    @classmethod
    def untrained(cls, track_ids: Iterable[int], config: ModelConfig) -> Recommender:
        """A model with random weights over ``track_ids`` (a starting point for :meth:`update`)."""
        vocab = Vocabulary()
        vocab.add(track_ids)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            model = SessionRNN(len(vocab), config)
        model.eval()
        return cls(model, vocab, config, np.zeros(len(vocab)))

    @classmethod
    def train_full(
        cls,
        sessions: Sequence[TrainingSession],
        config: ModelConfig | None = None,
        *,
        generator: torch.Generator | None = None,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Recommender:
        """Train from scratch on ``sessions`` (vocabulary = every id they contain).

        Args:
            sessions: Training sessions, oldest first.
            config: Hyperparameters; ``None`` means ``ModelConfig.for_data`` for this data.
            generator: Source of randomness (default: seeded from ``config.seed``).
            progress: ``progress(done, total, message)`` callback.
            should_stop: Polled every step; when true, training stops and the partly trained
                model is returned.

        Returns:
            The trained recommender.
        """
        ids = item_ids(sessions)
        if config is None:
            config = ModelConfig.for_data(len(sessions), len(ids))
        generator = generator or torch.Generator().manual_seed(config.seed)
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        rec = cls.untrained(ids, config)
        rec.counts = rec._count(sessions, np.zeros(len(rec.vocab)))
        data = split_long(rec.encode(sessions))
        phases = [
            Phase(data, config.epochs, config.lr, "train_full"),
            rec.recent_phase(sessions),
        ]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            start_from_cooccurrence(rec.model, data)
            if config.neighbours > 0:
                rec.model.set_neighbours(
                    *neighbour_table(data, rec.model.n_items, config.neighbours)
                )
            train_phases(
                rec.model,
                phases,
                rec.counts,
                generator=generator,
                progress=progress,
                should_stop=should_stop,
            )
        rec.cursor = {"sessions_seen": len(sessions), "updates": 0}
        return rec

    def update(
        self,
        new_sessions: Sequence[TrainingSession],
        *,
        replay: Sequence[TrainingSession] = (),
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> None:
        """Fine-tune on sessions that just closed, mixed with replayed older sessions.

        New ids grow the vocabulary first (old rows kept). ``config.update_epochs`` passes are
        made over ``new_sessions + replay`` at ``config.update_lr``; the replayed sessions keep
        old knowledge from being forgotten (pass a few times as many as there are new ones).
        """
        self.add_tracks(item_ids(new_sessions))
        self.add_tracks(item_ids(replay))
        encoded_new = self.encode(new_sessions)
        heard_first = {int(r) for s in encoded_new for r in s.rows if self.counts[r] == 0}
        start_new_rows(self.model, encoded_new, heard_first)
        self.counts = self._count(new_sessions, self.counts)
        if self.config.neighbours > 0:
            self.model.set_neighbours(
                *merge_neighbours(
                    self.model.neighbour_rows, self.model.neighbour_counts, encoded_new
                )
            )
        data = split_long([*encoded_new, *self.encode(replay)])
        if data:
            optimizer = self.update_optimizer()
            seed = int(torch.randint(0, 2**31 - 1, (1,), generator=self._generator))
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                train_epochs(
                    self.model,
                    data,
                    self.counts,
                    epochs=self.config.update_epochs,
                    lr=self.config.update_lr,
                    generator=self._generator,
                    progress=progress,
                    should_stop=should_stop,
                    label="update",
                    optimizer=optimizer,
                    by_length=False,
                )
        self.cursor["sessions_seen"] = int(self.cursor.get("sessions_seen", 0)) + len(new_sessions)
        self.cursor["updates"] = int(self.cursor.get("updates", 0)) + 1

    def update_optimizer(self) -> Optimizer:
        """The optimizer :meth:`update` steps with, made on first use and grown with the model.

        One optimizer lives across updates: a fresh Adam's first steps move every weight by
        about the full learning rate whatever the gradient's size, and a few hundred such
        restarts add up to noise in the weights (a learning process carries its moments over
        in a file, :func:`recommender.checkpoint.save_moments`).
        """
        if self._optimizer is None:
            dense_scale = self.config.update_dense_lr_scale
            if dense_scale is None:
                dense_scale = self.config.dense_lr_scale
            self._optimizer = Optimizer(self.model, self.config.update_lr, dense_scale)
        elif not self._optimizer.follows(self.model):
            self._optimizer = self._optimizer.rebuilt_for(self.model)
        return self._optimizer

    def seed_updates(self, seed: int) -> None:
        """Seed the randomness of later :meth:`update` calls (batch order, negatives, dropout)."""
        self._generator.manual_seed(seed)

    def recent_phase(self, sessions: Sequence[TrainingSession]) -> Phase:
        """Full training's last pass: the most recent ``recent_share`` of ``sessions``.

        ``sessions`` are oldest first; the phase is empty when the share is 0.
        """
        cfg = self.config
        recent = sessions[len(sessions) - int(len(sessions) * cfg.recent_share) :]
        return Phase(
            split_long(self.encode(recent)) if recent else [],
            RECENT_EPOCHS,
            cfg.lr * RECENT_LR,
            "train_full: recent sessions",
        )

    def add_tracks(self, track_ids: Iterable[int]) -> None:
        """Grow the vocabulary (and the model's matrices) for unknown ids, without training."""
        new = self.vocab.add(track_ids)
        if new:
            self.model.grow(len(self.vocab))
            self.counts = np.concatenate([self.counts, np.zeros(len(new))])
            log.info("vocabulary grew by %d to %d tracks", len(new), len(self.vocab) - 1)

    def encode(self, sessions: Sequence[TrainingSession]) -> list[EncodedSession]:
        """Sessions as row indices (unknown ids left out) with their target weights."""
        out: list[EncodedSession] = []
        index = self.vocab.index
        for s in sessions:
            weights = s.weights if s.weights is not None else (1.0,) * len(s.items)
            pairs = [(index(i), w) for i, w in zip(s.items, weights, strict=True)]
            kept = [(r, w) for r, w in pairs if r is not None]
            if len(kept) >= 2:
                out.append(
                    EncodedSession(
                        np.array([r for r, _ in kept], dtype=np.int64),
                        np.array([w for _, w in kept], dtype=np.float32),
                    )
                )
        return out

    def _count(self, sessions: Sequence[TrainingSession], counts: np.ndarray) -> np.ndarray:
        counts = counts.copy()
        rows = [r for s in sessions for r in self.vocab.indices(s.items)]
        np.add.at(counts, np.asarray(rows, dtype=np.int64), 1.0)
        return counts

    # --- scoring (evaluation) ------------------------------------------------------------------
    def session_scores(self, sessions: Sequence[Sequence[int]]) -> Tensor:
        """Scores over all rows after every prefix of each session (protocol order).

        :meth:`score_blocks` joined into one (positions x rows) matrix: for short sessions; a
        long one is better read a block at a time.
        """
        parts = list(self.score_blocks(sessions))
        if not parts:
            return torch.empty((0, len(self.vocab)))
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def score_blocks(self, sessions: Sequence[Sequence[int]]) -> Iterator[Tensor]:
        """:meth:`session_scores`' rows in order, a block at a time (see
        :func:`recommender.scoring.score_blocks`)."""
        return score_blocks(self.model, self.vocab, sessions)

    def scores(self, prefix: Sequence[int]) -> np.ndarray:
        """Log-probability of every row (index = row, row 0 = -inf) after ``prefix`` (not empty)."""
        if not prefix:
            raise ValueError("scores needs at least one track heard")
        *_, last = self.score_blocks([[*prefix, 0]])
        return torch.log_softmax(last[-1], dim=0).numpy()
