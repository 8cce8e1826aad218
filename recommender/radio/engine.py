"""Radio's model in numpy: the session RNN's forward pass for one position, without torch.

Picks, the carried state and the mixture's evidence run on a :class:`RadioModel` read straight
from the checkpoint's safetensors file, so the player's process never imports torch (about
200 MB of memory) and keeps one float32 copy of W; learning runs in a child process
(:mod:`recommender.learn_process`). The arithmetic is :class:`recommender.model.SessionRNN`'s
in eval mode, checked against it in ``tests/recommender/test_radio_engine.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.config import ModelConfig
from recommender.vocab import Vocabulary

if TYPE_CHECKING:
    from recommender.recommender import Recommender

#: As :mod:`recommender.model` (kept equal by the engine's tests; that module imports torch).
MAX_DISTANCE = 32
LOG_ZERO = -1e9
N_FLAGS = 3

Array = np.ndarray


def _sigmoid(x: Array) -> Array:
    out: Array = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


class RadioModel:
    """The weights radio reads, as numpy arrays (float32; neighbour rows int32).

    Attributes:
        vocab: External track id <-> row.
        config: The model's hyperparameters.
        cursor: Training bookkeeping from the checkpoint (``sessions_seen``, ``blend_weights``).
    """

    def __init__(
        self,
        weights: Mapping[str, Array],
        vocab: Vocabulary,
        config: ModelConfig,
        cursor: Mapping[str, Any] | None = None,
    ) -> None:
        """Take ``SessionRNN.state_dict()``'s arrays (by their names there)."""
        get = _reader(weights)
        self.vocab = vocab
        self.config = config
        self.cursor: dict[str, Any] = dict(cursor or {})
        embedding = get("embedding.weight")
        self.item_bias = get("item_bias")
        if embedding.ndim != 2 or self.item_bias.shape != (embedding.shape[0],):
            raise ValueError("embedding and item bias do not match")
        if embedding.shape[0] != len(vocab):
            raise ValueError(f"{embedding.shape[0]} rows for {len(vocab)} vocabulary rows")
        #: W (= V) stored transposed, (k x rows): the pass over every track then streams each
        #: of the k rows once (``q @ W^T``), 1.7 times faster than ``W @ q`` (bench/NOTES.md).
        self.columns = np.ascontiguousarray(embedding.T)
        del embedding
        self.cell = [get(f"cell.{n}_l0") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        self.projection = (get("projection.weight"), get("projection.bias"))
        self.repeat_query = get("repeat_query.weight")
        self.repeat_key = get("repeat_key.weight")
        self.repeat_distance = get("repeat_distance")
        self.gate_weight = get("repeat_gate.weight")[0]
        self.gate_bias = float(get("repeat_gate.bias")[0])
        self.flag_gate = get("flag_gate")
        self.flag_distance = get("flag_distance")
        # Each heard track's neighbours and their weights; most of a library was never heard
        # and has none, so only heard tracks keep a line (``_line``: -1 for the others).
        self.neighbour_gate: Array | None = None
        self._line = np.full(len(vocab), -1, dtype=np.int32)
        self._near = np.zeros((0, 0), dtype=np.int32)
        self._near_weights = np.zeros((0, 0), dtype=np.float32)
        if "neighbour_gate" in weights:
            self.neighbour_gate = get("neighbour_gate")
            counts = get("neighbour_counts")
            heard = np.flatnonzero(counts.sum(axis=1) > 0)
            self._line[heard] = np.arange(len(heard), dtype=np.int32)
            self._near = np.asarray(weights["neighbour_rows"][heard], dtype=np.int32)
            totals = np.maximum(counts[heard].sum(axis=1, keepdims=True), 1.0)
            self._near_weights = counts[heard] / totals
        expected = (4 if config.cell == "lstm" else 3 if config.cell == "gru" else 1) * self.hidden
        if self.cell[0].shape[0] != expected:
            raise ValueError(
                f"a {config.cell} cell needs {expected} rows, not {self.cell[0].shape}"
            )

    # --- construction --------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path) -> RadioModel:
        """Read the checkpoint in ``directory`` (no torch).

        Raises:
            CheckpointError: Missing, corrupt, incompatible or newer (see :mod:`checkpoint`).
        """
        from recommender.checkpoint import CheckpointError, read_checkpoint

        arrays, meta = read_checkpoint(directory)
        try:
            config = ModelConfig.from_dict(meta["config"])
            vocab = Vocabulary.from_list(int(i) for i in meta["vocabulary"])
            arrays.pop("_counts", None)
            return cls(arrays, vocab, config, meta.get("cursor") or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{directory}: incompatible checkpoint ({exc})") from exc

    @classmethod
    def of(cls, rec: Recommender) -> RadioModel:
        """The engine of an in-memory model (evaluation, benchmarks, tests)."""
        weights = {k: v.detach().cpu().numpy() for k, v in rec.model.state_dict().items()}
        vocab = Vocabulary.from_list(rec.vocab.to_list())
        return cls(weights, vocab, rec.config, rec.cursor)

    @property
    def hidden(self) -> int:
        """Width of the cell's output."""
        return int(self.cell[1].shape[1])

    @property
    def state_size(self) -> int:
        """Length of the flat state vector (LSTM carries h and c)."""
        return (2 if self.config.cell == "lstm" else 1) * self.hidden

    @property
    def dim(self) -> int:
        """Width of a track's vector (k)."""
        return int(self.columns.shape[0])

    def vectors(self, rows: Sequence[int] | Array) -> Array:
        """The rows of W for ``rows``, (len(rows) x k)."""
        out: Array = self.columns[:, rows].T
        return out

    def add_tracks(self, track_ids: Sequence[int] | Array) -> None:
        """Grow for unknown ids as :meth:`SessionRNN.grow` does: small random vectors, the 25th
        percentile of the biases, no neighbours. Their order among known tracks is unchanged."""
        new = self.vocab.add(int(t) for t in track_ids)
        if not new:
            return
        extra, old = len(new), self.columns.shape[1]
        spread = float(self.columns[:, 1:].std()) if old > 2 else 0.1
        spread = spread if math.isfinite(spread) and spread > 0 else 0.1
        rng = np.random.default_rng(self.config.seed + old)
        rows = rng.normal(0.0, spread * 0.1, (self.dim, extra)).astype(np.float32)
        fill = float(np.quantile(self.item_bias[1:], 0.25)) if old > 1 else 0.0
        self.columns = np.concatenate([self.columns, rows], axis=1)
        self.item_bias = np.concatenate([self.item_bias, np.full(extra, fill, np.float32)])
        self._line = np.concatenate([self._line, np.full(extra, -1, np.int32)])

    # --- the forward pass, one position --------------------------------------------------------
    def item_input(self, row: int) -> Array:
        """The vector a track enters the model as (its row of W plus its neighbours' share)."""
        own: Array = self.columns[:, row]
        line = int(self._line[row])
        if self.neighbour_gate is None or line < 0:
            return own
        mixed = self.columns[:, self._near[line]] @ self._near_weights[line]
        out: Array = own + self.neighbour_gate * mixed
        return out

    def step(self, state: Array, row: int) -> Array:
        """The flat state after hearing ``row``."""
        w_ih, w_hh, b_ih, b_hh = self.cell
        x, h = self.item_input(row), state[: self.hidden]
        gi, gh = w_ih @ x + b_ih, w_hh @ h + b_hh
        n = self.hidden
        if self.config.cell == "gru":
            r = _sigmoid(gi[:n] + gh[:n])
            z = _sigmoid(gi[n : 2 * n] + gh[n : 2 * n])
            candidate = np.tanh(gi[2 * n :] + r * gh[2 * n :])
            out: Array = (1.0 - z) * candidate + z * h
            return out.astype(np.float32)
        if self.config.cell == "lstm":
            gates = gi + gh
            i, f = _sigmoid(gates[:n]), _sigmoid(gates[n : 2 * n])
            g, o = np.tanh(gates[2 * n : 3 * n]), _sigmoid(gates[3 * n :])
            cell = f * state[n:] + i * g
            return np.concatenate([o * np.tanh(cell), cell]).astype(np.float32)
        relu: Array = np.maximum(gi + gh, 0.0)
        return relu.astype(np.float32)

    def query(self, state: Array, last_row: int) -> Array:
        """q = P [h; x_last]: the cell's output and the last track's vector, in item space."""
        weight, bias = self.projection
        features = np.concatenate([state[: self.hidden], self.item_input(last_row)])
        out: Array = weight @ features + bias
        return out

    def explore_logits(self, query: Array) -> Array:
        """V q + b over every row (the pass over the whole library)."""
        out: Array = query @ self.columns
        out += self.item_bias
        return out

    def log_scores(
        self, state: Array, query: Array, history: Sequence[int], logits: Array, *, normalized: bool
    ) -> Array:
        """log p(next) over all rows (row 0 = -inf) from ``logits`` (modified in place): the
        explore part over unheard rows mixed with the repeat head over ``history`` (rows)."""
        flags = repeat_flags(history)
        z = float(self.gate_weight @ state[: self.hidden]) + self.gate_bias
        z += float(flags @ self.flag_gate)
        log_g, log_not_g = _log_sigmoid(z), _log_sigmoid(-z)
        rows = np.asarray(history, dtype=np.int64)
        if len(rows):
            logits[rows] = LOG_ZERO
        logits[0] = LOG_ZERO
        top = float(logits.max())
        shift = top + math.log(float(np.exp(logits - top).sum())) - log_not_g
        if len(rows):
            attention = self.attention(query, rows, flags)
            for row in np.unique(rows[rows > 0]):
                mass = float(attention[rows == row].sum())
                logits[row] = np.logaddexp(LOG_ZERO, log_g + shift + math.log(max(mass, 1e-300)))
        if normalized:
            logits -= shift
        logits[0] = -math.inf
        return logits

    def attention(self, query: Array, rows: Array, flags: Array) -> Array:
        """The repeat head's attention (probabilities) over the slots of ``rows``."""
        keys = self.vectors(rows) @ self.repeat_key.T
        scores = keys @ (self.repeat_query @ query) / math.sqrt(self.dim)
        distance = np.clip(len(rows) - 1 - np.arange(len(rows)), 0, MAX_DISTANCE - 1)
        scores = scores + self.repeat_distance[distance] + (flags @ self.flag_distance)[distance]
        scores = np.where(rows == 0, LOG_ZERO, scores)
        scores = np.exp(scores - scores.max())
        out: Array = scores / scores.sum()
        return out


def repeat_flags(history: Sequence[int]) -> Array:
    """:func:`recommender.model.repeat_flags` after the last of ``history`` (rows): it is the
    one before again; it was heard before that; some track so far was a repeat."""
    flags = np.zeros(N_FLAGS, dtype=np.float32)
    first: dict[int, int] = {}
    so_far = False
    for t, row in enumerate(history):
        again = t > 0 and row > 0 and row == history[t - 1]
        older = row > 0 and first.setdefault(row, t) <= t - 2
        so_far = so_far or again or older
        flags[:] = (again, older, so_far)
    return flags


def _reader(weights: Mapping[str, Array]) -> Any:
    def get(name: str) -> Array:
        if name not in weights:
            raise ValueError(f"no {name!r} in the weights")
        value = np.asarray(weights[name])
        if not np.issubdtype(value.dtype, np.floating):
            raise ValueError(f"{name!r} is not floating point")
        return np.ascontiguousarray(value, dtype=np.float32)

    return get
