"""Model and training hyperparameters (a frozen dataclass) and their size-adaptive defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

CELLS = ("gru", "rnn", "lstm")


@dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters of :class:`recommender.model.SessionRNN` and its training.

    Attributes:
        cell: Recurrent cell: ``"gru"`` (default), ``"rnn"`` (the seed's ReLU RNN) or ``"lstm"``.
        embedding_dim: Size k of the item embedding W (and of V when tied).
        hidden_dim: Size of the recurrent state.
        tied: Output matrix V is the input embedding W (through a linear projection of the state).
        repeat: Add the learned repeat (copy) head: a gated attention over the session so far.
        explore_new: With the repeat head, the explore part proposes only tracks not yet heard in
            the session (as in RepeatNet) and a repeat comes from the repeat head alone, so the
            tracks just heard no longer take the top places from new ones. HR@20 / MRR@20 on
            the validation tail (default settings otherwise) 0.2426 / 0.1017 -> 0.2492 / 0.1081:
            positions whose next track is new (93%) 0.198 / 0.072 -> 0.208 / 0.085, the same
            track again 0.972 / 0.680 -> 0.944 / 0.585. Slices (the sessions just before the
            train file's last 2,000, scored on those): 20,000 sessions 0.2360 / 0.0954 ->
            0.2484 / 0.1038; 3,000 sessions 0.2664 / 0.1217 -> 0.2849 / 0.1325.
        repeat_flags: The repeat head also reads three flags of the session so far
            (:func:`recommender.model.repeat_flags`: the last track is the one before it again,
            it was heard earlier, some track was repeated): each pushes the gate and biases the
            attention over distances. Validation tail (default settings): HR@20 / MRR@20 0.241 /
            0.100 -> 0.243 / 0.102, most of it where the target is the same track again (MRR
            0.652 -> 0.680) or an earlier one (HR 0.722 -> 0.762); test file 0.2127 / 0.0843
            -> 0.2145 / 0.0859.
        skip_last: The output layer also reads the last track's embedding beside the state: a
            direct path for track-to-track transitions, which the state alone learns slowly.
        neighbours: Each track enters the model as its row of W plus a learned share of the mean
            of its most frequent neighbours' rows (this many; :mod:`recommender.neighbours`).
            0 turns it off. On for large data (:meth:`for_data`): validation tail, with
            ``explore_new``, 0.2492 / 0.1081 -> 0.2536 / 0.1098 for 9% more training time
            (without ``explore_new`` 0.2516 / 0.0919: the last track, blurred with its
            neighbours, took the top explore place). Off for small data: 3,000 sessions 0.2849 /
            0.1325 -> 0.2851 / 0.1288.
        cooccurrence_start: Full training starts W from the SVD of the tracks' co-occurrence
            (PPMI) matrix instead of noise (:mod:`recommender.cooccurrence`): on every data
            size measured it helps recall most, and rank precision a little.
        dropout_embedding: Dropout on the input embeddings.
        dropout_hidden: Dropout on the recurrent output before scoring.
        epochs: Passes over the data in :meth:`Recommender.train_full`.
        batch_size: Sessions per mini-batch (each row carries one session from a zero state).
        negatives: Popularity-sampled negatives shared by a batch (sampled softmax); 0 trains
            with the exact softmax over every track instead (far slower; ``bench/quality.py
            softmax`` compares the two).
        negative_alpha: Negatives are drawn with probability proportional to count**alpha.
        logq: Weight of the log-Q correction (1.0: negatives' logits get -log(K q); 0.0: none).
        lr: Adam learning rate for full training (decays linearly to ``lr * lr_final``).
        lr_final: Final learning rate as a share of ``lr``.
        dense_lr_scale: The recurrent / dense parameters learn at ``lr * dense_lr_scale``; the
            embedding rows (each touched rarely, by lazy Adam) at ``lr``.
        recent_share: After the main epochs, :meth:`Recommender.train_full` makes a short pass
            over the most recent sessions (this share of them, oldest first in the input), so the
            model ends nearest to the listener's current taste. 0 turns it off. Chosen on the
            validation tail from the 8-epoch model (0.238 / 0.097): the last 10,000 sessions
            (8%), 3 passes at 0.002 gave HR@20 / MRR@20 0.241 / 0.100; 10,000 random older
            sessions instead 0.236 / 0.096 (so it is recency, not more training); the last
            40,000 0.239 / 0.097. Slices: 20,000 sessions 0.238 / 0.095 -> 0.240 / 0.096;
            3,000 sessions unchanged (0.263 / 0.122).
        recent_epochs: Passes over those recent sessions (a fresh Adam, linear decay).
        recent_lr: Learning rate of the recent pass, as a share of ``lr``.
        grad_clip: Gradient norm clip.
        max_length: Longer sessions are cut into pieces of this length for training.
        update_epochs: Passes over new + replayed sessions in :meth:`Recommender.update`.
        update_replay: Older sessions replayed with an update, per new session
            (:func:`recommender.incremental.pick_replay`). Chosen on the validation tail (updates
            of 50 from a model of the first 80%, 3 passes each): 3 / 5 replayed per new session
            gave HR@20 / MRR@20 0.225 / 0.091 and 0.228 / 0.095, against 0.241 / 0.100 for
            full training on all of it; 4 passes instead of 3 added nothing (0.229 / 0.095). On
            the test file ``--incremental`` went from 0.2021 / 0.0791 to 0.2037 / 0.0796.
        update_lr: Adam learning rate for updates. Chosen on the validation tail (updates of 50
            from a model of the first 80%): 0.002 / 0.004 / 0.008 gave MRR@20 0.087 / 0.091 /
            0.086, against 0.092 for full training on all of it (noise start, 2,048 negatives;
            with the later defaults the test file's ratio stayed at 95%). Large data takes
            0.0025: with the 5-epoch defaults, from one model of the first 80% of the tail's
            training part, 0.0015 / 0.0025 / 0.004 gave HR@20 / MRR@20 0.2458 / 0.1063, 0.2477 /
            0.1076 and 0.2433 / 0.1064 (full training 0.2543 / 0.1106). At 0.004 the updates
            overfit the newest sessions and forget the older ones: on 2,500 sessions of the
            first 80% the updated model scored MRR@20 0.200 (full training 0.243), on 2,500 of
            the last 20% 0.304 (full 0.293); at 0.0025 0.226 and 0.267.
        update_dense_lr_scale: ``dense_lr_scale`` for updates (``None``: the same as full
            training's). The recurrent / dense weights serve every track's transitions, so on
            large data they move slowly while the new sessions' rows learn. Chosen on the
            validation tail (updates of 50 from a model of the first 80%, 5 replayed per new
            session): 1.0 / 0.3 / 0.1 gave HR@20 / MRR@20 0.221 / 0.091, 0.228 / 0.095 and
            0.231 / 0.096. With the repeat flags, ``--incremental`` on the test file reached
            0.2066 / 0.0840 (97.9% of full training's MRR@20; 94.4% before the two changes).
        seed: Seed used when no generator is given.
        device: Torch device name (CPU by default).
    """

    cell: str = "gru"
    embedding_dim: int = 128
    hidden_dim: int = 128
    tied: bool = True
    repeat: bool = True
    repeat_flags: bool = True
    explore_new: bool = True
    skip_last: bool = True
    neighbours: int = 0
    cooccurrence_start: bool = True
    dropout_embedding: float = 0.25
    dropout_hidden: float = 0.1
    epochs: int = 6
    batch_size: int = 256
    negatives: int = 1024
    negative_alpha: float = 0.75
    logq: float = 1.0
    lr: float = 0.02
    lr_final: float = 0.1
    dense_lr_scale: float = 0.3
    recent_share: float = 0.08
    recent_epochs: int = 3
    recent_lr: float = 0.2
    grad_clip: float = 5.0
    max_length: int = 50
    update_epochs: int = 3
    update_replay: int = 5
    update_lr: float = 0.004
    update_dense_lr_scale: float | None = None
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.embedding_dim <= 0 or self.hidden_dim <= 0:
            raise ValueError("embedding_dim and hidden_dim must be positive")
        if self.neighbours < 0:
            raise ValueError("neighbours must not be negative")
        if self.negatives < 0:
            raise ValueError("negatives must be positive, or 0 for the exact softmax")
        if not 0.0 <= self.recent_share < 1.0 or self.recent_epochs < 0:
            raise ValueError("recent_share must be in [0, 1) and recent_epochs not negative")

    @classmethod
    def for_data(cls, n_sessions: int, n_items: int, **overrides: Any) -> ModelConfig:
        """Defaults adapted to the data's size (capacity, regularisation, epochs).

        Small histories (a user's few thousand sessions, most tracks heard once or twice) get a
        smaller model, more dropout and more epochs; large ones a wider model and fewer epochs.
        Large data: chosen on a validation tail, the last 5,000 sessions of the nowplaying train
        file, training on the rest (``bench/quality.py validate``; 4-epoch runs): many small
        batches, 2,048 negatives drawn by count**0.5 and strong dropout took HR@20 / MRR@20 from
        0.191 / 0.076 to 0.218 / 0.094. Small data: 3,000 train sessions just before the last
        2,000, evaluated on those (``bench/quality.py slice``): dropout 0.5 and 40 epochs took the
        GRU from 0.204 / 0.112 to 0.225 / 0.114 (Markov 0.145 / 0.099, SKNN 0.313 / 0.095).
        The co-occurrence start (``cooccurrence_start``) was then checked at each size, against
        a noise start: 3,000 sessions 0.233 / 0.115 -> 0.265 / 0.120; 20,000 sessions (the
        middle tier, the 20,000 just before the last 2,000) 0.206 / 0.091 -> 0.238 / 0.094;
        the validation tail (8 epochs) 0.225 / 0.092 -> 0.236 / 0.093. With that start, 4,096
        negatives instead of 2,048 took the validation tail from 0.236 / 0.093 to 0.238 / 0.097
        (8 epochs; the sampled softmax nearer the full one it estimates). Once ``explore_new``
        and ``neighbours`` were on, fewer epochs lost nothing on the validation tail: 8 / 6 / 5
        epochs gave 0.2536 / 0.1098, 0.2534 / 0.1098 and 0.2543 / 0.1106 (one thread beside
        another run: 1,988 / 1,350 / 1,014 s), so large data trains 5.

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

    @property
    def explore_new_only(self) -> bool:
        """The explore part leaves out the session's tracks (``explore_new``, repeat head on)."""
        return self.repeat and self.explore_new

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`; unknown keys are ignored (newer checkpoints)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        # checkpoints from before these fields existed were trained without them
        values.setdefault("skip_last", False)
        values.setdefault("repeat_flags", False)
        values.setdefault("cooccurrence_start", False)
        values.setdefault("neighbours", 0)
        values.setdefault("explore_new", False)
        values.setdefault("recent_share", 0.0)
        return cls(**values)
