"""The next-item evaluation protocol (PROTOCOL.md): every prefix, all items, ties against."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TextIO

import torch

from recommender.metrics import RankMetrics, ranks
from recommender.scoring import SessionScorer

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
    1 + #{other items scoring >= it}. A target the scorer does not know is a miss.

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
        scores = scorer.session_scores(chunk)[:, 1:]
        targets = torch.tensor([(index(t) or 0) - 1 for s in chunk for t in s[1:]])
        if scores.shape[0] != targets.shape[0]:
            raise RuntimeError("scorer returned the wrong number of positions")
        metrics.add(ranks(scores, targets))
        if predictions is not None:
            top = torch.topk(scores, min(TOP_N, scores.shape[1]), dim=1).indices + 1
            for row in ids[top].tolist():
                predictions.write(" ".join(map(str, row)) + "\n")
        if progress is not None:
            progress(min(start + CHUNK_SESSIONS, len(sessions)), len(sessions))
    return metrics
