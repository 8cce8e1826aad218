"""Radio inference: the carried state, skip feedback, and tempered / nucleus / masked sampling."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from recommender.model import SessionRNN, mix_repeat
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
    is remembered with strength ``1 - played_fraction`` (at least 0.2) and
    :func:`state_log_scores` pushes the query away from that track's direction, so the very next
    distribution moves probability away from the track and tracks like it. Skip strengths halve
    with every later play. Unknown ids leave the state unchanged.
    """
    row = vocab.index(track_id)
    if row is None:
        return RadioState(
            list(state.hidden),
            state.last_track,
            list(state.history),
            [list(s) for s in state.skips],
        )
    if skipped:
        strength = max(0.2, min(1.0, 1.0 - played_fraction))
        skips = [[float(track_id), strength], *state.skips][:SKIP_MEMORY]
        return RadioState(list(state.hidden), state.last_track, list(state.history), skips)
    hidden = torch.tensor(state.hidden, dtype=torch.float32).unsqueeze(0)
    was_training = model.training
    model.eval()
    _, new_hidden = model.run(torch.tensor([[row]]), hidden)
    model.train(was_training)
    skips = [[t, s * SKIP_DECAY] for t, s in state.skips if s * SKIP_DECAY >= SKIP_FLOOR]
    history = [*state.history, track_id][-HISTORY_LENGTH:]
    return RadioState(new_hidden[0].tolist(), track_id, history, skips)


@torch.no_grad()
def state_log_scores(
    model: SessionRNN, vocab: Vocabulary, state: RadioState, output_half: Tensor | None = None
) -> Tensor:
    """log p(next) over all rows (row 0 = -inf) for a radio state, skips applied.

    Args:
        model: The model.
        vocab: Its vocabulary.
        state: The radio state.
        output_half: Optional float16 copy of V: the scoring pass over every track is bound by
            memory bandwidth, and half the bytes is nearly half the time (the precision lost is
            far below what sampling can notice).
    """
    hidden = torch.tensor(state.hidden, dtype=torch.float32)
    output = hidden[: model.config.hidden_dim].unsqueeze(0)
    query = model.projection(output)
    weight = model.output_weight()
    for track, strength in state.skips:
        row = vocab.index(int(track))
        if row is None:
            continue
        direction = weight[row] / weight[row].norm().clamp_min(1e-8)
        along = (query[0] @ direction).clamp_min(0.0) + SKIP_PUSH * query[0].norm()
        query = query - strength * along * direction
    if output_half is not None:
        logits = torch.mv(output_half, query[0].half()).float().add_(model.item_bias)
    else:
        logits = torch.addmv(model.item_bias, model.output_weight(), query[0])
    scores = torch.log_softmax(logits, dim=0)
    log_g, log_not_g = model.gate(output)
    scores += log_not_g[0]
    rows = vocab.indices(state.history)
    if model.config.repeat and rows:
        history = torch.tensor([rows])
        attention = model.repeat_attention(query.unsqueeze(1), history, causal=False)[:, 0]
        mix_repeat(scores.unsqueeze(0), log_g, attention, history)
    scores[0] = -math.inf
    return scores


def _masked_probs(
    model: SessionRNN,
    vocab: Vocabulary,
    state: RadioState,
    temperature: float,
    top_p: float | None,
    exclude: Collection[int],
    output_half: Tensor | None,
) -> Tensor:
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    logits = state_log_scores(model, vocab, state, output_half).div_(temperature)
    rows = vocab.indices(exclude)
    if rows:
        logits[torch.tensor(rows)] = -math.inf
    probs = torch.softmax(logits, dim=-1)
    if not bool(torch.isfinite(probs[1:]).all()):  # all masked: softmax of all -inf is NaN
        raise ValueError("every track is excluded: nothing left to choose")
    if top_p is not None and 0.0 < top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        cumulative = torch.cumsum(sorted_probs, dim=0)
        keep = int(torch.searchsorted(cumulative, torch.tensor([top_p])).item()) + 1
        kept = torch.zeros_like(probs)
        kept[order[:keep]] = sorted_probs[:keep]
        probs = kept / kept.sum()
    return probs


def distribution(
    model: SessionRNN,
    vocab: Vocabulary,
    state: RadioState,
    *,
    temperature: float = 1.0,
    top_p: float | None = None,
    exclude: Collection[int] = (),
    output_half: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """(track_ids, probabilities) over the allowed tracks; probabilities sum to 1.

    Scores are the model's log-probabilities divided by ``temperature`` (below 1 sharpens, above
    1 flattens); excluded ids get probability 0 and are left out; with ``top_p`` only the smallest
    set of most likely tracks whose mass reaches ``top_p`` is kept (nucleus sampling).
    """
    probs = _masked_probs(model, vocab, state, temperature, top_p, exclude, output_half)
    rows = torch.nonzero(probs > 0).squeeze(1)
    ids = torch.from_numpy(vocab.ids_array())[rows]
    kept = probs[rows]
    return ids, kept / kept.sum()


def sample(
    model: SessionRNN,
    vocab: Vocabulary,
    state: RadioState,
    generator: torch.Generator,
    *,
    temperature: float = 1.0,
    top_p: float | None = None,
    exclude: Collection[int] = (),
    output_half: Tensor | None = None,
) -> tuple[int, float]:
    """Draw one track from :func:`distribution` with ``generator``: (track_id, probability)."""
    probs = _masked_probs(model, vocab, state, temperature, top_p, exclude, output_half)
    # Inverse-CDF draw: one cumsum + binary search, much cheaper than torch.multinomial over
    # 100k categories.
    cumulative = torch.cumsum(probs, dim=0)
    point = torch.rand(1, generator=generator) * cumulative[-1]
    row = int(torch.searchsorted(cumulative, point, right=True).clamp_max(len(probs) - 1))
    while probs[row] <= 0 and row > 0:  # float rounding at the very end of the CDF
        row -= 1
    return vocab.track_id(row), float(probs[row])
