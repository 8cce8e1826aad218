"""Radio inference: the carried state, skip feedback, and the next-track scores and draw.

Every call into the model for radio is in this module, through the model's one-step path
(``item_vector`` and ``step`` in :func:`advance`; ``step_query``, ``output_weight``,
``item_bias``, ``step_gate`` and ``step_attention`` in :func:`_query` and
:func:`_shifted_scores`), which is tested equal to the batched methods training and evaluation
use; a GRU on the CPU advances through the compiled equivalent of ``item_vector`` + ``step``
(:mod:`recommender.radio.kernels`), tested equal to them. A pick works on vectors, never on
batches: the repeat head's mass goes straight onto the (at most ``HISTORY_LENGTH``) history rows.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from recommender.model import CELL_WEIGHTS, LOG_ZERO, SessionRNN, last_flags
from recommender.radio import kernels as radio_kernels
from recommender.radio.draw import Draw, QuantizedOutput, tempered_draw
from recommender.vocab import Vocabulary

#: Played tracks the repeat head can look back at.
HISTORY_LENGTH = 30
#: Skips remembered; each later play multiplies a skip's strength by SKIP_DECAY.
SKIP_MEMORY = 5
SKIP_DECAY = 0.5
#: Skips weaker than this are forgotten.
SKIP_FLOOR = 0.05
#: Extra push away from a skipped track's direction, as a share of the query's norm.
SKIP_PUSH = 0.5


@dataclass
class RadioState:
    """What radio carries between picks; JSON-serialisable through :meth:`to_dict`.

    Attributes:
        hidden: The flat recurrent state (LSTM: h then c).
        last_track: The last track that advanced the state (``None`` at the start).
        history: Recently played (not skipped) track ids, oldest first, for the repeat head.
        skips: ``[track_id, strength]`` of recent skips, newest first.
    """

    hidden: list[float]
    last_track: int | None = None
    history: list[int] = field(default_factory=list)
    skips: list[list[float]] = field(default_factory=list)
    # ``hidden`` as a tensor, made once (treat a state as immutable: advance returns a new one).
    _tensor: Tensor | None = field(default=None, init=False, repr=False, compare=False)
    # ``last_track``'s item vector, kept by :func:`advance` for the query that follows, with the
    # embedding's (address, version) it was read from: a trained or grown model reads it again.
    _item: tuple[Tensor, tuple[int, int]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def hidden_tensor(self) -> Tensor:
        """The hidden vector as a float32 tensor (cached; do not modify it)."""
        if self._tensor is None:
            self._tensor = torch.tensor(self.hidden, dtype=torch.float32)
        return self._tensor

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly dict."""
        return {
            "hidden": list(self.hidden),
            "last_track": self.last_track,
            "history": list(self.history),
            "skips": [list(s) for s in self.skips],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RadioState:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on a malformed dict."""
        try:
            hidden = [float(x) for x in data["hidden"]]
            last = data.get("last_track")
            history = [int(x) for x in data.get("history", [])]
            skips = [[int(t), float(s)] for t, s in data.get("skips", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed radio state: {exc}") from exc
        if not all(math.isfinite(x) for x in hidden):
            raise ValueError("malformed radio state: hidden vector is not finite")
        return cls(hidden, None if last is None else int(last), history, skips)


@torch.no_grad()
def advance(
    model: SessionRNN,
    vocab: Vocabulary,
    state: RadioState,
    track_id: int,
    *,
    skipped: bool = False,
    played_fraction: float = 1.0,
) -> RadioState:
    """The state after one play.

    A play that was not skipped steps the cell with the track (the seed's h_t = F(W x_t + U h)).
    A skip does NOT step the cell (the unwanted track must not steer what comes next); instead it
    is remembered with strength ``1 - played_fraction`` (at least 0.2) and the query is pushed
    away from that track's direction (:func:`_query`), so the very next distribution moves
    probability away from the track and tracks like it. Skip strengths halve with every later
    play. Unknown ids leave the state unchanged.
    """
    row = vocab.index(track_id)
    if row is None:
        return _copy(state, state.skips)
    if skipped:
        strength = max(0.2, min(1.0, 1.0 - played_fraction))
        return _copy(state, [[float(track_id), strength], *state.skips][:SKIP_MEMORY])
    item, new_hidden = _step(model, row, state.hidden_tensor())
    skips = [[t, s * SKIP_DECAY] for t, s in state.skips if s * SKIP_DECAY >= SKIP_FLOOR]
    history = [*state.history, track_id][-HISTORY_LENGTH:]
    new = RadioState(new_hidden.tolist(), track_id, history, skips)
    new._tensor, new._item = new_hidden, (item, _embedding_key(model))
    return new


def _step(model: SessionRNN, row: int, hidden: Tensor) -> tuple[Tensor, Tensor]:
    """(``row``'s item vector, the state after it): ``model.step``, without dropout.

    A GRU on the CPU steps in one compiled call (:mod:`recommender.radio.kernels`) rather than
    a dozen torch calls; the result is the same up to float32 rounding.
    """
    kernels = radio_kernels.compiled()
    weight = model.embedding.weight
    if kernels is None or model.config.cell != "gru" or weight.device.type != "cpu":
        item = model.item_vector(row).clone()  # a copy: a view would keep an old matrix alive
        return item, model.step(row, hidden, item)
    near: tuple[Tensor, ...] = (_NO_NEIGHBOURS, _NO_COUNTS, weight[0])
    if model.neighbour_gate is not None:
        near = (model.neighbour_rows, model.neighbour_counts, model.neighbour_gate)
    cell: tuple[Tensor, ...] = tuple(getattr(model.cell, name) for name in CELL_WEIGHTS)
    item = torch.empty(weight.shape[1])
    new_hidden = torch.empty(model.config.hidden_dim)
    kernels.gru_step(
        *(t.detach().numpy() for t in (weight, *near)),
        row,
        *(t.detach().numpy() for t in (*cell, hidden, item, new_hidden)),
    )
    return item, new_hidden


_NO_NEIGHBOURS = torch.zeros((1, 0), dtype=torch.long)
_NO_COUNTS = torch.zeros((1, 0))


def _embedding_key(model: SessionRNN) -> tuple[int, int]:
    weight = model.embedding.weight
    return weight.data_ptr(), weight._version


def _copy(state: RadioState, skips: list[list[float]]) -> RadioState:
    new = RadioState(list(state.hidden), state.last_track, list(state.history), skips)
    new._tensor, new._item = state._tensor, state._item
    return new


def _query(model: SessionRNN, vocab: Vocabulary, state: RadioState) -> tuple[Tensor, Tensor]:
    """(cell output (hidden,), query (k,)) with every remembered skip pushed out of the query."""
    output = state.hidden_tensor()[: model.config.hidden_dim]
    last = vocab.index(state.last_track) if state.last_track is not None else None
    kept = state._item  # every training step changes the embedding's version: read it again
    item = kept[0] if kept is not None and last and kept[1] == _embedding_key(model) else None
    query = model.step_query(output, last or 0, item)
    if state.skips:
        weight = model.output_weight()
        for track, strength in state.skips:
            row = vocab.index(int(track))
            if row is None:
                continue
            direction = weight[row] / weight[row].norm().clamp_min(1e-8)
            along = (query @ direction).clamp_min(0.0) + SKIP_PUSH * query.norm()
            query = query - strength * along * direction
    return output, query


def _shifted_scores(
    model: SessionRNN,
    vocab: Vocabulary,
    state: RadioState,
    fast: QuantizedOutput | None,
    excluded: Collection[int] = (),
) -> tuple[Tensor, float]:
    """``(scores, shift)`` with log p(next) = scores - shift over all rows (row 0 not masked).

    The explore part is ``V q + b`` (exact float32, or ``fast``'s int8 pass); ``shift`` is its
    log-sum-exp minus log(1 - g), and the repeat head's mass is mixed into the history rows in
    the same shifted units (as ``SessionRNN.full_log_scores`` does), so a caller that only needs
    a softmax never pays for subtracting the shift from every row.

    When every history row is in ``excluded`` (radio's usual case: the recent window covers the
    history), the repeat head only moves mass onto rows the caller masks, and after the mask and
    renormalisation the distribution is the explore part's alone, whatever g is: the head, the
    gate and the log-sum-exp are skipped and ``shift`` is NaN (valid up to the mask only).
    """
    output, query = _query(model, vocab, state)
    if fast is not None:
        scores = fast.logits(query, model.item_bias)
    else:
        scores = torch.addmv(model.item_bias, model.output_weight(), query)
    rows = vocab.indices(state.history)
    if excluded and all(row in excluded for row in rows):
        return scores, math.nan
    if model.config.explore_new_only and rows:
        scores[torch.tensor(rows)] = LOG_ZERO  # explore proposes new tracks only
    flags = last_flags(rows)
    log_g, log_not_g = model.step_gate(output, flags)
    shift = float(torch.logsumexp(scores, dim=0)) - log_not_g
    if model.config.repeat and rows:
        _mix_history(model, scores, query, rows, flags, log_g + shift)
    return scores, shift


def _mix_history(
    model: SessionRNN,
    scores: Tensor,
    query: Tensor,
    rows: list[int],
    flags: list[float],
    log_g: float,
) -> None:
    """``mix_repeat`` for one query: log((1 - g) p_explore + g p_repeat) at the history rows.

    The attention each history slot gets is summed per row (a track heard twice gets both
    slots' share), then added to that row's score in log space, in place.
    """
    attention = model.step_attention(query, torch.tensor(rows), flags).tolist()
    mass: dict[int, float] = {}
    for row, share in zip(rows, attention, strict=True):
        mass[row] = mass.get(row, 0.0) + share
    unique = torch.tensor(list(mass))
    repeat = torch.tensor(list(mass.values())).log_().add_(log_g)
    scores.index_copy_(0, unique, torch.logaddexp(scores[unique], repeat))


@torch.no_grad()
def state_log_scores(
    model: SessionRNN, vocab: Vocabulary, state: RadioState, fast: QuantizedOutput | None = None
) -> Tensor:
    """log p(next) over all rows (row 0 = -inf) for a radio state, skips applied.

    Args:
        model: The model.
        vocab: Its vocabulary.
        state: The radio state.
        fast: Radio's int8 copy of V (``None``: exact float32, as evaluation uses).
    """
    scores, shift = _shifted_scores(model, vocab, state, fast)
    scores -= shift
    scores[0] = -math.inf
    return scores


@torch.no_grad()
def next_draw(
    model: SessionRNN,
    vocab: Vocabulary,
    state: RadioState,
    *,
    temperature: float = 1.0,
    top_p: float | None = None,
    exclude: Collection[int] = (),
    excluded_rows: Tensor | None = None,
    fast: QuantizedOutput | None = None,
) -> Draw:
    """The next-track distribution as a :class:`Draw` (see :func:`distribution`).

    Args:
        excluded_rows: Row indices excluded besides ``exclude`` (a long-lived set, converted
            once by the caller).

    Raises:
        ValueError: ``temperature`` is not positive, or every track is excluded.
    """
    rows = vocab.indices(exclude)
    scores, _ = _shifted_scores(model, vocab, state, fast, set(rows))
    masked = torch.tensor(rows, dtype=torch.long) if rows else None
    if excluded_rows is not None and excluded_rows.numel():
        masked = excluded_rows if masked is None else torch.cat([masked, excluded_rows])
    return tempered_draw(scores, temperature, top_p, masked)


def distribution(
    model: SessionRNN,
    vocab: Vocabulary,
    state: RadioState,
    *,
    temperature: float = 1.0,
    top_p: float | None = None,
    exclude: Collection[int] = (),
    fast: QuantizedOutput | None = None,
) -> tuple[Tensor, Tensor]:
    """(track_ids, probabilities) over the allowed tracks, in row order; probabilities sum to 1.

    Scores are the model's log-probabilities divided by ``temperature`` (below 1 sharpens, above
    1 flattens); excluded ids get probability 0 and are left out; with ``top_p`` only the smallest
    set of most likely tracks whose mass reaches ``top_p`` is kept (nucleus sampling).
    """
    draw = next_draw(
        model, vocab, state, temperature=temperature, top_p=top_p, exclude=exclude, fast=fast
    )
    rows, probs = draw.row_probs()
    ids = torch.from_numpy(vocab.ids_array())[rows]
    return ids, probs / probs.sum()


def sample(
    model: SessionRNN,
    vocab: Vocabulary,
    state: RadioState,
    generator: torch.Generator,
    *,
    temperature: float = 1.0,
    top_p: float | None = None,
    exclude: Collection[int] = (),
    fast: QuantizedOutput | None = None,
) -> tuple[int, float]:
    """Draw one track from :func:`distribution` with ``generator``: (track_id, probability)."""
    draw = next_draw(
        model, vocab, state, temperature=temperature, top_p=top_p, exclude=exclude, fast=fast
    )
    row, probability = draw.sample(generator)[0]
    return vocab.track_id(row), probability
