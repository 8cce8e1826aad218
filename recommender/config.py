"""Model and training hyperparameters (a frozen dataclass) and their size-adaptive defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

CELLS = ("gru", "rnn", "lstm")
#: Options older Segues could turn off and this one always has: V tied to W, the repeat head, its
#: flags, the explore part proposing new tracks only, the last track beside the state.
ALWAYS_ON = ("tied", "repeat", "repeat_flags", "explore_new", "skip_last")


@dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters of :class:`recommender.model.SessionRNN` and its training.

    Only what a default or a size tier (:meth:`for_data`) sets is here; the rest of the design
    (V tied to W, the repeat head with its flags, the explore part proposing new tracks only, the
    last track beside the state, the co-occurrence start) is always on. ``bench/NOTES.md`` ("Where
    each default came from") keeps the measurements behind each value.

    Attributes:
        cell: Recurrent cell: ``"gru"`` (default), ``"rnn"`` (the seed's ReLU RNN) or ``"lstm"``.
        embedding_dim: Size k of the item embedding W (which is also the output matrix V).
        hidden_dim: Size of the recurrent state.
        neighbours: Each track enters the model as its row of W plus a learned share of the mean
            of its this many most frequent neighbours' rows (:mod:`recommender.neighbours`); 0: off.
        dropout_embedding: Dropout on the input embeddings.
        dropout_hidden: Dropout on the recurrent output before scoring.
        epochs: Passes over the data in :meth:`Recommender.train_full`.
        batch_size: Sessions per mini-batch (each row carries one session from a zero state).
        negatives: Popularity-sampled negatives shared by a batch (sampled softmax); 0 trains
            with the exact softmax over every track (far slower: a reference for tests / bench).
        negative_alpha: Negatives are drawn with probability proportional to count**alpha.
        lr: Adam learning rate of full training (decays linearly to a tenth of it).
        dense_lr_scale: The recurrent / dense parameters learn at ``lr * dense_lr_scale``; the
            embedding rows (each touched rarely, by lazy Adam) at ``lr``.
        recent_share: Full training ends with a short pass over this most recent share of the
            sessions, so the model ends nearest the listener's current taste; 0: off.
        update_epochs: Passes over new + replayed sessions in :meth:`Recommender.update`.
        update_replay: Older sessions replayed with an update, per new session
            (:func:`recommender.incremental.pick_replay`).
        update_lr: Adam learning rate of updates.
        update_dense_lr_scale: ``dense_lr_scale`` for updates (``None``: full training's).
        seed: Seed used when no generator is given.
    """

    cell: str = "gru"
    embedding_dim: int = 128
    hidden_dim: int = 128
    neighbours: int = 0
    dropout_embedding: float = 0.25
    dropout_hidden: float = 0.1
    epochs: int = 6
    batch_size: int = 256
    negatives: int = 1024
    negative_alpha: float = 0.75
    lr: float = 0.02
    dense_lr_scale: float = 0.3
    recent_share: float = 0.08
    update_epochs: int = 3
    update_replay: int = 5
    update_lr: float = 0.004
    update_dense_lr_scale: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.embedding_dim <= 0 or self.hidden_dim <= 0:
            raise ValueError("embedding_dim and hidden_dim must be positive")
        if self.neighbours < 0:
            raise ValueError("neighbours must not be negative")
        if self.negatives < 0:
            raise ValueError("negatives must be positive, or 0 for the exact softmax")
        if not 0.0 <= self.recent_share < 1.0:
            raise ValueError("recent_share must be in [0, 1)")

    @classmethod
    def for_data(cls, n_sessions: int, n_items: int, **overrides: Any) -> ModelConfig:
        """Defaults adapted to the data's size (capacity, regularisation, epochs).

        Small histories (a user's few thousand sessions, most tracks heard once or twice) get a
        smaller model, more dropout and more epochs; large ones a wider model, neighbours and
        fewer epochs. How each tier's values were chosen: ``bench/NOTES.md``.

        Args:
            n_sessions: Number of training sessions.
            n_items: Number of distinct items.
            **overrides: Any field to set explicitly (wins over the adapted value).

        Returns:
            The configuration.
        """
        values: dict[str, Any]
        if n_sessions >= 50_000:
            values = {
                "epochs": 5,
                "batch_size": 64,
                "lr": 0.01,
                "negatives": 4096,
                "negative_alpha": 0.5,
                "dropout_embedding": 0.4,
                "dropout_hidden": 0.5,
                "update_lr": 0.0025,
                "update_dense_lr_scale": 0.1,
                "neighbours": 10,
            }
        elif n_sessions >= 10_000:
            values = {
                "embedding_dim": 96,
                "hidden_dim": 128,
                "epochs": 16,
                "batch_size": 64,
                "lr": 0.01,
                "negative_alpha": 0.5,
                "dropout_embedding": 0.4,
                "dropout_hidden": 0.5,
                "dense_lr_scale": 1.0,
            }
        else:
            values = {
                "embedding_dim": 64,
                "hidden_dim": 96,
                "epochs": 40,
                "batch_size": 64,
                "negative_alpha": 0.5,
                "dropout_embedding": 0.4,
                "dropout_hidden": 0.5,
                "dense_lr_scale": 1.0,
            }
        values["negatives"] = max(64, min(values.get("negatives", 1024), n_items // 2))
        values.update(overrides)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`; unknown keys (other Segues' fields) are ignored.

        Raises:
            ValueError: The checkpoint was trained with an option this Segue always has turned
                off (:data:`ALWAYS_ON`): its weights would be read wrongly, so it retrains.
        """
        if any(name in data for name in ALWAYS_ON):  # written before these left the config
            for name in ALWAYS_ON:
                # a flag missing from such a checkpoint predates the flag: it was trained without
                if not data.get(name, False):
                    raise ValueError(
                        f"trained with {name}=False, which this Segue no longer supports; "
                        "it will retrain"
                    )
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        # checkpoints from before these fields existed were trained without them
        values.setdefault("neighbours", 0)
        values.setdefault("recent_share", 0.0)
        return cls(**values)
