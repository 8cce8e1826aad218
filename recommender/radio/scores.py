"""Radio's next-track scores: the model's own output for one position, skips applied.

A pick is :meth:`SessionRNN.full_log_scores` at the carried state, the repeat head attending
over the state's history: the computation evaluation makes, one position long. Two things are
radio's own: every remembered skip pushes the query away from the skipped track (a love pulls
it toward the loved one), and the
explore logits ``V q + b`` may come from the int8 copy of V (:class:`QuantizedOutput`), whose
pass over every track is most of a pick's cost.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from recommender.model import N_FLAGS, repeat_flags
from recommender.radio.draw import Draw, tempered_draw
from recommender.radio.int8 import QuantizedOutput
from recommender.radio.state import RadioState

if TYPE_CHECKING:
    from recommender.recommender import Recommender

#: Extra push away from a skipped track's direction, as a share of the query's norm.
SKIP_PUSH = 0.5


def _query(rec: Recommender, state: RadioState) -> tuple[Tensor, Tensor]:
    """(cell output (1, hidden), query (1, k)) at the state, every remembered skip pushed out
    and every remembered love (a negative strength) pulled in."""
    model = rec.model
    output = state.hidden_tensor()[: model.config.hidden_dim].unsqueeze(0)
    last = rec.vocab.index(state.last_track) if state.last_track is not None else None
    query = model.query(output, torch.tensor([last or 0]), dropout=False)[0]
    weight = model.output_weight()
    for track, strength in state.skips:
        row = rec.vocab.index(int(track))
        if row is None:
            continue
        direction = weight[row] / weight[row].norm().clamp_min(1e-8)
        if strength < 0:  # a love, the mirror of a skip: pulled toward the track
            along = (-(query @ direction)).clamp_min(0.0) + SKIP_PUSH * query.norm()
        else:
            along = (query @ direction).clamp_min(0.0) + SKIP_PUSH * query.norm()
        query = query - strength * along * direction
    return output, query.unsqueeze(0)


def _scores(
    rec: Recommender,
    state: RadioState,
    fast: QuantizedOutput | None,
    excluded: Collection[int] = (),
    *,
    normalized: bool,
) -> Tensor:
    """log p(next) over all rows (row 0 = -inf), up to one constant unless ``normalized``.

    When every history row is in ``excluded`` (radio's usual case: the recent window covers the
    history), the repeat head only moves mass onto rows the caller masks, so after the mask the
    distribution is the explore part's alone: the head is skipped (valid up to the mask only).
    """
    model = rec.model
    output, query = _query(rec, state)
    if fast is not None:
        logits = fast.logits(query[0], model.item_bias).unsqueeze(0)
    else:
        logits = model.explore_logits(query)
    rows = rec.vocab.indices(state.history)
    if not normalized and excluded and all(row in excluded for row in rows):
        logits[0, 0] = -torch.inf
        return logits[0]
    history = torch.tensor([rows], dtype=torch.long) if rows else None
    flags = repeat_flags(history)[:, -1] if history is not None else torch.zeros((1, N_FLAGS))
    attention = None
    if history is not None:
        attention = model.repeat_attention(query.unsqueeze(0), history, False, flags.unsqueeze(0))
        attention = attention[0]
    return model.full_log_scores(
        output, query, attention, history, flags, normalized=normalized, logits=logits
    )[0]


@torch.no_grad()
def log_scores(rec: Recommender, state: RadioState, fast: QuantizedOutput | None = None) -> Tensor:
    """log p(next) over all rows (row 0 = -inf) at ``state``, skips applied.

    Args:
        rec: The model.
        state: The radio state.
        fast: Radio's int8 copy of V (``None``: exact float32, as evaluation scores).
    """
    return _scores(rec, state, fast, normalized=True)


@torch.no_grad()
def next_draw(
    rec: Recommender,
    state: RadioState,
    *,
    temperature: float = 1.0,
    top_p: float | None = None,
    exclude: Collection[int] = (),
    excluded_rows: Tensor | None = None,
    fast: QuantizedOutput | None = None,
) -> Draw:
    """The next-track distribution, tempered and masked, ready to draw from.

    Args:
        excluded_rows: Row indices excluded besides ``exclude`` (a long-lived set, converted
            once by the caller).

    Raises:
        ValueError: ``temperature`` is not positive, or every track is excluded.
    """
    rows = rec.vocab.indices(exclude)
    scores = _scores(rec, state, fast, set(rows), normalized=False)
    masked = torch.tensor(rows, dtype=torch.long) if rows else None
    if excluded_rows is not None and excluded_rows.numel():
        masked = excluded_rows if masked is None else torch.cat([masked, excluded_rows])
    return tempered_draw(scores, temperature, top_p, masked)


def distribution(
    rec: Recommender,
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
    draw = next_draw(rec, state, temperature=temperature, top_p=top_p, exclude=exclude, fast=fast)
    rows, probs = draw.row_probs()
    ids = torch.from_numpy(rec.vocab.ids_array())[rows]
    return ids, probs / probs.sum()


@torch.no_grad()
def nearest(rec: Recommender, track_id: int, candidates: Sequence[int]) -> int | None:
    """The candidate whose output embedding is most alike ``track_id``'s (cosine), or None
    when the model knows neither."""
    row = rec.vocab.index(track_id)
    known = [(t, r) for t in candidates if t != track_id and (r := rec.vocab.index(t))]
    if row is None or not known:
        return None
    weight = rec.model.output_weight().detach().numpy()  # numpy: a few small ops, cheaper
    rows, target = weight[[r for _, r in known]], weight[row]
    norms = np.maximum(np.linalg.norm(rows, axis=1) * np.linalg.norm(target), 1e-8)
    return known[int(np.argmax(rows @ target / norms))][0]
