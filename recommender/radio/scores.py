"""Radio's next-track scores: the model's own output for one position, skips applied.

A pick is the model's full log-scores at the carried state, the repeat head attending over the
state's history: the computation evaluation makes, one position long, in numpy
(:class:`RadioModel`). One thing is radio's own: every remembered skip pushes the query away
from the skipped track (a love pulls it toward the loved one).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np

from recommender.radio.draw import Draw, tempered_draw
from recommender.radio.engine import RadioModel
from recommender.radio.state import RadioState

#: Extra push away from a skipped track's direction, as a share of the query's norm.
SKIP_PUSH = 0.5


def _query(model: RadioModel, state: RadioState) -> np.ndarray:
    """The query (k,) at the state, every remembered skip pushed out and every remembered love
    (a negative strength) pulled in."""
    last = model.vocab.index(state.last_track) if state.last_track is not None else None
    query = model.query(state.hidden_array(), last or 0)
    for track, strength in state.skips:
        row = model.vocab.index(int(track))
        if row is None:
            continue
        weight = model.columns[:, row]
        direction = weight / max(float(np.linalg.norm(weight)), 1e-8)
        along = float(query @ direction)
        if strength < 0:  # a love, the mirror of a skip: pulled toward the track
            along = -along
        along = max(along, 0.0) + SKIP_PUSH * float(np.linalg.norm(query))
        query = query - np.float32(strength * along) * direction
    return query


def _scores(
    model: RadioModel, state: RadioState, excluded: Collection[int] = (), *, normalized: bool
) -> np.ndarray:
    """log p(next) over all rows (row 0 = -inf), up to one constant unless ``normalized``.

    When every history row is in ``excluded`` (radio's usual case: the recent window covers the
    history), the repeat head only moves mass onto rows the caller masks, so after the mask the
    distribution is the explore part's alone: the head is skipped (valid up to the mask only).
    """
    query = _query(model, state)
    logits = model.explore_logits(query)
    rows = model.vocab.indices(state.history)
    if not normalized and excluded and all(row in excluded for row in rows):
        logits[0] = -math.inf
        return logits
    return model.log_scores(state.hidden_array(), query, rows, logits, normalized=normalized)


def log_scores(model: RadioModel, state: RadioState) -> np.ndarray:
    """log p(next) over all rows (row 0 = -inf) at ``state``, skips applied."""
    return _scores(model, state, normalized=True)


def next_draw(
    model: RadioModel,
    state: RadioState,
    *,
    temperature: float = 1.0,
    top_p: float | None = None,
    exclude: Collection[int] = (),
    excluded_rows: np.ndarray | None = None,
) -> Draw:
    """The next-track distribution, tempered and masked, ready to draw from.

    Args:
        excluded_rows: Row indices excluded besides ``exclude`` (a long-lived set, converted
            once by the caller).

    Raises:
        ValueError: ``temperature`` is not positive, or every track is excluded.
    """
    rows = model.vocab.indices(exclude)
    scores = _scores(model, state, set(rows), normalized=False)
    masked = np.asarray(rows, dtype=np.int64)
    if excluded_rows is not None and len(excluded_rows):
        masked = np.concatenate([masked, excluded_rows])
    return tempered_draw(scores, temperature, top_p, masked)


def distribution(
    model: RadioModel,
    state: RadioState,
    *,
    temperature: float = 1.0,
    top_p: float | None = None,
    exclude: Collection[int] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """(track_ids, probabilities) over the allowed tracks, in row order; probabilities sum to 1.

    Scores are the model's log-probabilities divided by ``temperature`` (below 1 sharpens, above
    1 flattens); excluded ids get probability 0 and are left out; with ``top_p`` only the smallest
    set of most likely tracks whose mass reaches ``top_p`` is kept (nucleus sampling).
    """
    draw = next_draw(model, state, temperature=temperature, top_p=top_p, exclude=exclude)
    rows, probs = draw.row_probs()
    probs = probs.astype(np.float64)
    return model.vocab.ids_array()[rows], probs / probs.sum()


def nearest(model: RadioModel, track_id: int, candidates: Sequence[int]) -> int | None:
    """The candidate whose output embedding is most alike ``track_id``'s (cosine), or None
    when the model knows neither."""
    row = model.vocab.index(track_id)
    known = [(t, r) for t in candidates if t != track_id and (r := model.vocab.index(t))]
    if row is None or not known:
        return None
    rows, target = model.vectors([r for _, r in known]), model.columns[:, row]
    norms = np.maximum(np.linalg.norm(rows, axis=1) * np.linalg.norm(target), 1e-8)
    return known[int(np.argmax(rows @ target / norms))][0]
