"""Baselines behind the same scoring interface as the RNN: popularity, first-order Markov, SKNN."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from recommender.parts import SessionNeighbours
from recommender.sessions import TrainingSession, item_ids
from recommender.vocab import Vocabulary


def _vocab_and_rows(sessions: Sequence[TrainingSession]) -> tuple[Vocabulary, list[np.ndarray]]:
    vocab = Vocabulary()
    vocab.add(item_ids(sessions))
    index = vocab.index
    rows = [np.array([index(i) for i in s.items], dtype=np.int64) for s in sessions]
    return vocab, rows


def _popularity(vocab: Vocabulary, rows: Sequence[np.ndarray]) -> np.ndarray:
    counts = np.zeros(len(vocab), dtype=np.float64)
    if rows:
        np.add.at(counts, np.concatenate(rows), 1.0)
    return counts


class PopularityScorer:
    """Scores every item by its number of plays in training (same list for every prefix)."""

    def __init__(self, sessions: Sequence[TrainingSession]) -> None:
        """Count plays in ``sessions``."""
        self.vocab, rows = _vocab_and_rows(sessions)
        self.counts = torch.from_numpy(_popularity(self.vocab, rows))

    def session_scores(self, sessions: Sequence[Sequence[int]]) -> Tensor:
        """Play counts, one row per prefix."""
        n = sum(max(0, len(s) - 1) for s in sessions)
        return self.counts.unsqueeze(0).expand(n, -1)


class MarkovScorer:
    """First-order Markov chain: count of last-item -> item transitions in training.

    Ties (most items never followed the last one) are broken by training popularity, folded in
    as a fraction below 1 so the order is exactly (transition count, popularity).
    """

    def __init__(self, sessions: Sequence[TrainingSession]) -> None:
        """Count transitions in ``sessions``."""
        self.vocab, rows = _vocab_and_rows(sessions)
        pop = _popularity(self.vocab, rows)
        self.tiebreak = torch.from_numpy(pop / (pop.sum() + 1.0))
        n = len(self.vocab)
        pairs = np.concatenate([r[:-1] * n + r[1:] for r in rows if len(r) >= 2] or [np.zeros(0)])
        keys, counts = np.unique(pairs.astype(np.int64), return_counts=True)
        self.sources = keys // n
        self.targets = torch.from_numpy(keys % n)
        self.counts = torch.from_numpy(counts.astype(np.float64))
        self.indptr = np.searchsorted(self.sources, np.arange(n + 1))

    def session_scores(self, sessions: Sequence[Sequence[int]]) -> Tensor:
        """Transition counts from the prefix's last item (+ popularity tie-break)."""
        lasts = [self.vocab.index(i) or 0 for s in sessions for i in s[:-1]]
        scores = self.tiebreak.unsqueeze(0).repeat(len(lasts), 1)
        for row, last in enumerate(lasts):
            lo, hi = self.indptr[last], self.indptr[last + 1]
            if hi > lo:
                scores[row, self.targets[lo:hi]] += self.counts[lo:hi]
        return scores


class SessionKNNScorer:
    """Session-based kNN (SKNN, as in session-rec): k neighbours among recent matching sessions.

    For the prefix's item set S, candidate neighbours are the ``sample_size`` most recent training
    sessions sharing at least one item with S; similarity is cosine on binary item sets,
    |S ∩ N| / sqrt(|S| |N|); the ``k`` most similar vote for their items with their similarity
    (:class:`recommender.parts.SessionNeighbours`, which the blend uses too). Popularity breaks
    ties (folded in far below the smallest similarity step).
    """

    def __init__(
        self, sessions: Sequence[TrainingSession], k: int = 50, sample_size: int = 500
    ) -> None:
        """Index ``sessions`` (assumed oldest first) by item."""
        self.vocab, rows = _vocab_and_rows(sessions)
        self.neighbours = SessionNeighbours(rows, len(self.vocab), k, sample_size)
        pop = _popularity(self.vocab, rows)
        self.tiebreak = torch.from_numpy(1e-9 * pop / (pop.max() + 1.0 if len(pop) else 1.0))

    def session_scores(self, sessions: Sequence[Sequence[int]]) -> Tensor:
        """Neighbour votes after every prefix."""
        out = []
        for s in sessions:
            out.extend(self._prefix_scores([self.vocab.index(i) or 0 for i in s[:-1]]))
        if not out:
            return torch.empty((0, len(self.vocab)), dtype=torch.float64)
        return torch.from_numpy(np.stack(out)) + self.tiebreak

    def _prefix_scores(self, rows: list[int]) -> list[np.ndarray]:
        """Votes after each prefix, the overlap counted as the prefix grows (not from scratch)."""
        knn = self.neighbours
        overlap = np.zeros(len(knn.items), dtype=np.float64)
        touched = np.zeros(0, dtype=np.int64)
        seen: set[int] = set()
        results = []
        for row in rows:
            if row and row not in seen:
                seen.add(row)
                post = knn.sessions_with(row)
                overlap[post] += 1.0
                touched = np.union1d(touched, post)
            results.append(knn.vote(touched, overlap[touched], len(seen)))
        return results
