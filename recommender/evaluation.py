"""The next-item evaluation protocol (PROTOCOL.md): every prefix, all items, ties against."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

import torch
from torch import Tensor

from recommender.metrics import RankMetrics, ranks
from recommender.scoring import BlockScorer, SessionScorer

log = logging.getLogger(__name__)

#: Test sessions handed to a scorer at once.
CHUNK_SESSIONS = 48
TOP_N = 20


def evaluate(
    scorer: SessionScorer,
    sessions: Sequence[Sequence[int]],
    *,
    predictions: TextIO | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RankMetrics:
    """Evaluate ``scorer`` on every prefix of every session, in file order.

    For session (i1..in) and t = 1..n-1 the scorer sees i1..it only and scores every vocabulary
    row except the reserved row 0 (= every training item); the target is i(t+1) and its rank is
    1 + #{other items scoring >= it}. A target the scorer does not know is a miss. A
    :class:`BlockScorer` hands its scores over a block of positions at a time, so a long
    session never needs its whole (positions x items) matrix at once.

    Args:
        scorer: The model or baseline.
        sessions: Test sessions as external ids.
        predictions: If given, receives one line per position: the top 20 ids, best first.
        progress: ``progress(done_sessions, total_sessions)``.

    Returns:
        The accumulated metrics (HR / MRR at 20 and 10, number of positions).
    """
    metrics = RankMetrics()
    ids = torch.from_numpy(scorer.vocab.ids_array())
    index = scorer.vocab.index
    for start in range(0, len(sessions), CHUNK_SESSIONS):
        chunk = [s for s in sessions[start : start + CHUNK_SESSIONS] if len(s) >= 2]
        if not chunk:
            continue
        targets = torch.tensor([(index(t) or 0) - 1 for s in chunk for t in s[1:]])
        chunk_ranks: list[Tensor] = []
        done = 0
        for block in _score_blocks(scorer, chunk):
            scores = block[:, 1:]
            if done + scores.shape[0] > targets.shape[0]:
                raise RuntimeError("scorer returned the wrong number of positions")
            chunk_ranks.append(ranks(scores, targets[done : done + scores.shape[0]]))
            done += scores.shape[0]
            if predictions is not None:
                top = torch.topk(scores, min(TOP_N, scores.shape[1]), dim=1).indices + 1
                for row in ids[top].tolist():
                    predictions.write(" ".join(map(str, row)) + "\n")
        if done != targets.shape[0]:
            raise RuntimeError("scorer returned the wrong number of positions")
        metrics.add(torch.cat(chunk_ranks))
        if progress is not None:
            progress(min(start + CHUNK_SESSIONS, len(sessions)), len(sessions))
    return metrics


def _score_blocks(scorer: SessionScorer, sessions: Sequence[Sequence[int]]) -> Iterator[Tensor]:
    """The scorer's rows for ``sessions`` in blocks if it can (so memory stays bounded)."""
    if isinstance(scorer, BlockScorer):
        yield from scorer.score_blocks(sessions)
    else:
        yield scorer.session_scores(sessions)
