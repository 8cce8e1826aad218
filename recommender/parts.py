"""Simple next-track distributions from the listener's own history and the tracks' tags.

Beside the RNN, a few cheap views of one listener's history predict a lot at this scale (a few
thousand plays): what followed the last tracks before (sequence rules), what past sessions
like this one held (session neighbours), what is played these days, the artists of this
session, the album of the last track and its next track. :class:`HistoryParts` gives each as
a probability distribution over the model's rows; :mod:`recommender.blend` mixes them with
the model. numpy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from recommender.sessions import TrainingSession
from recommender.tags import Tagged
from recommender.vocab import Vocabulary

#: The parts, in the order of :meth:`HistoryParts.distributions`' rows.
PART_NAMES = (
    "rules",
    "neighbours",
    "recent",
    "popularity",
    "artist",
    "album",
    "successor",
    "sequence",
)
#: What the blend mixes: the model, then each part.
COMPONENTS = ("model", *PART_NAMES)
#: Where a session stands, each with its own weights: its first track, an album going on,
#: an artist going on (another album), a track heard again, anything else, and the last two
#: tracks in an order the history has heard before.
#: Histories of fewer sessions than this get the blend; larger ones the RNN alone (at crowd
#: scale the parts add little and cost a pass over every session per pick).
BLEND_LIMIT = 10_000
CONTEXTS = ("first", "album", "artist", "again", "other", "known")
#: Sequence rules: a track counts for the ones up to this many steps after it, by 1 / distance.
RULE_STEPS = 10
#: Session neighbours: the most recent sessions sharing a track with this one, and how many
#: of the most similar vote.
NEIGHBOUR_SAMPLE = 500
NEIGHBOUR_K = 100
#: Recent plays: a session's weight halves every this many sessions back.
RECENT_HALF_LIFE = 30.0
#: Artists of this session: an earlier track's weight decays by this factor per track since.
ARTIST_DECAY = 0.7


def use_blend(n_sessions: int) -> bool:
    """Whether a history of ``n_sessions`` is served by the blend (else the RNN alone)."""
    return n_sessions < BLEND_LIMIT


def tempered(p: np.ndarray, temperature: float) -> np.ndarray:
    """Each distribution (along the last axis) raised to 1 / ``temperature`` and renormalised,
    as radio tempers every part of its mix before weighing them; an all-zero one stays zero."""
    powered = np.power(np.maximum(p, 0.0), 1.0 / temperature)
    total = powered.sum(axis=-1, keepdims=True)
    out: np.ndarray = np.divide(powered, total, out=np.zeros_like(powered), where=total > 0)
    return out


@dataclass
class RadioParts:
    """The blend's parts as radio draws from them beside the model (the live model's rows).

    Attributes:
        parts: The history parts over the live model's rows.
        weights: (CONTEXTS, COMPONENTS) weights of the last full fit.
    """

    parts: HistoryParts
    weights: np.ndarray

    def model_share(self, prefix: Sequence[int]) -> float:
        """The model's weight after ``prefix`` (rows); the parts share the rest."""
        return float(self.weights[self.parts.context(prefix), 0])

    def distribution(self, prefix: Sequence[int], temperature: float) -> np.ndarray:
        """The parts' mix over rows after ``prefix``, each part tempered first."""
        weights = self.weights[self.parts.context(prefix), 1:]
        mix: np.ndarray = weights @ tempered(self.parts.distributions(prefix), temperature)
        mix /= mix.sum()
        return mix


class HistoryParts:
    """The parts' distributions after any prefix, over the rows of a vocabulary.

    Args:
        sessions: Training sessions as row indices (oldest first; 0 = unknown, ignored).
        n_rows: Rows of the vocabulary (row 0 reserved).
        tags: Tags by row (``None`` or missing rows: unknown).
    """

    def __init__(
        self,
        sessions: Sequence[np.ndarray],
        n_rows: int,
        tags: Mapping[int, Tagged] | None = None,
    ) -> None:
        self.n_rows = n_rows
        rows = [s[s > 0] for s in sessions]
        self.counts = np.zeros(n_rows)
        self.recent = np.zeros(n_rows)
        for age, session in enumerate(reversed(rows)):
            np.add.at(self.counts, session, 1.0)
            np.add.at(self.recent, session, 0.5 ** (age / RECENT_HALF_LIFE))
        self._popularity = _normalised(self.counts)
        self._recent = _normalised(self.recent)
        self._rules = _rules(rows, n_rows)
        self._pairs = _second_order(rows)
        self._neighbours = SessionNeighbours(rows, n_rows, NEIGHBOUR_K, NEIGHBOUR_SAMPLE)
        self._tags(tags or {})

    def _tags(self, tags: Mapping[int, Tagged]) -> None:
        n = self.n_rows
        self.artist = np.full(n, -1, dtype=np.int64)
        self.album = np.full(n, -1, dtype=np.int64)
        self.successor = np.full(n, -1, dtype=np.int64)
        artists: dict[str, int] = {}
        albums: dict[tuple[str, str], int] = {}
        numbered: dict[int, list[tuple[int, int, int]]] = {}
        for row, tag in tags.items():
            if not 0 < row < n:
                continue
            artist = tag.artist.casefold().strip()
            if artist:
                self.artist[row] = artists.setdefault(artist, len(artists))
            if tag.album.strip():
                key = ((tag.album_artist or tag.artist).casefold(), tag.album.casefold().strip())
                code = albums.setdefault(key, len(albums))
                self.album[row] = code
                if tag.track_number is not None:
                    disc = tag.disc_number or 1
                    numbered.setdefault(code, []).append((disc, tag.track_number, row))
        for tracks in numbered.values():  # the next track only where the album is numbered
            tracks.sort()
            for (_, _, row), (_, _, following) in itertools.pairwise(tracks):
                self.successor[row] = following
        self._liked = self.recent + 0.1 * (self.counts > 0) + 1e-3

    def context(self, prefix: Sequence[int]) -> int:
        """Which of :data:`CONTEXTS` the end of ``prefix`` (rows) is in."""
        rows = [r for r in prefix if 0 < r < self.n_rows]
        if len(rows) < 2:
            return CONTEXTS.index("first")
        last, before = rows[-1], rows[-2]
        if last in rows[:-1]:
            return CONTEXTS.index("again")
        if (before, last) in self._pairs:
            return CONTEXTS.index("known")
        if self.album[last] >= 0 and self.album[last] == self.album[before]:
            return CONTEXTS.index("album")
        if self.artist[last] >= 0 and self.artist[last] == self.artist[before]:
            return CONTEXTS.index("artist")
        return CONTEXTS.index("other")

    def distributions(self, prefix: Sequence[int]) -> np.ndarray:
        """(len(PART_NAMES), n_rows) probabilities of the next row after ``prefix`` (rows).

        A part with nothing to say here (no rule from the last track, no tag) falls back to
        popularity, so every row of the result is a distribution (column 0 is 0).
        """
        rows = [r for r in prefix if 0 < r < self.n_rows]
        out = np.empty((len(PART_NAMES), self.n_rows))
        last = rows[-1] if rows else 0
        out[0] = self._or_popularity(self._rules.row(last))
        out[1] = self._or_popularity(self._neighbours.votes(rows))
        out[2] = self._recent
        out[3] = self._popularity
        out[4] = self._or_popularity(self._artist_part(rows))
        album = self.album[last] if last else -1
        out[5] = self._or_popularity(
            np.where(self.album == album, self._liked, 0.0) if album >= 0 else None
        )
        successor = np.zeros(self.n_rows)
        if last and self.successor[last] > 0:
            successor[self.successor[last]] = 1.0
        out[6] = self._or_popularity(successor)
        following = self._pairs.get((rows[-2], last)) if len(rows) >= 2 else None
        sequence = None
        if following:
            sequence = np.zeros(self.n_rows)
            sequence[list(following)] = list(following.values())
        out[7] = self._or_popularity(sequence)
        return out

    def _artist_part(self, rows: Sequence[int]) -> np.ndarray | None:
        weight: dict[int, float] = {}
        for age, row in enumerate(reversed(rows)):
            code = int(self.artist[row])
            if code >= 0:
                weight[code] = weight.get(code, 0.0) + ARTIST_DECAY**age
        if not weight:
            return None
        by_code = np.zeros(int(self.artist.max()) + 2)
        for code, w in weight.items():
            by_code[code] = w
        return by_code[self.artist] * self._liked  # artist -1 reads the last slot: 0

    def _or_popularity(self, values: np.ndarray | None) -> np.ndarray:
        if values is None:
            return self._popularity
        values = values.copy()
        values[0] = 0.0
        total = values.sum()
        return values / total if total > 0 else self._popularity


def _normalised(values: np.ndarray) -> np.ndarray:
    out = values.astype(np.float64).copy()
    if len(out):
        out[0] = 0.0
    total = out.sum()
    if total <= 0:
        out[1:] = 1.0
        total = out.sum()
    return out / total if total > 0 else out


class _Sparse:
    """Rows of a sparse (n, n) matrix: ``row(a)`` is a dense vector (zeros where unset)."""

    def __init__(self, keys: np.ndarray, values: np.ndarray, n: int) -> None:
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        unique, start = np.unique(keys, return_index=True)
        sums = np.add.reduceat(values, start) if len(values) else values
        self.n = n
        self.sources = unique // n
        self.targets = unique % n
        self.values = sums
        self.indptr = np.searchsorted(self.sources, np.arange(n + 1))

    def row(self, source: int) -> np.ndarray | None:
        lo, hi = self.indptr[source], self.indptr[source + 1]
        if hi <= lo:
            return None
        out = np.zeros(self.n)
        out[self.targets[lo:hi]] = self.values[lo:hi]
        return out


def _rules(rows: Sequence[np.ndarray], n: int) -> _Sparse:
    keys, values = [], []
    for session in rows:
        for step in range(1, RULE_STEPS + 1):
            if len(session) <= step:
                break
            keys.append(session[:-step] * n + session[step:])
            values.append(np.full(len(session) - step, 1.0 / step))
    if not keys:
        return _Sparse(np.zeros(0, dtype=np.int64), np.zeros(0), n)
    return _Sparse(np.concatenate(keys), np.concatenate(values), n)


def _second_order(rows: Sequence[np.ndarray]) -> dict[tuple[int, int], dict[int, float]]:
    """What followed each pair of consecutive tracks, with counts."""
    pairs: dict[tuple[int, int], dict[int, float]] = {}
    for session in rows:
        items = session.tolist()
        for a, b, c in zip(items, items[1:], items[2:], strict=False):
            following = pairs.setdefault((a, b), {})
            following[c] = following.get(c, 0.0) + 1.0
    return pairs


class SessionNeighbours:
    """Session kNN (as in session-rec): the most recent training sessions sharing a track with
    the current one, the ``k`` most similar (cosine on track sets) voting with their similarity.

    Args:
        rows: Training sessions as row indices, oldest first (postings stay in that order).
        n: Rows of the vocabulary.
        k: Neighbours that vote.
        sample: Most recent matching sessions considered.
    """

    def __init__(self, rows: Sequence[np.ndarray], n: int, k: int, sample: int) -> None:
        self.n, self.k, self.sample = n, k, sample
        self.items = [np.unique(r) for r in rows]
        lengths = [len(r) for r in self.items]
        self.size = np.array(lengths, dtype=np.float64)
        flat = np.concatenate(self.items) if self.items else np.zeros(0, dtype=np.int64)
        owner = np.repeat(np.arange(len(self.items)), lengths)
        order = np.argsort(flat, kind="stable")  # postings stay in session (time) order
        self.postings = owner[order]
        self.ptr = np.searchsorted(flat[order], np.arange(n + 1))
        self.items_flat = flat
        self.items_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def sessions_with(self, row: int) -> np.ndarray:
        """The training sessions holding ``row``, oldest first."""
        return self.postings[self.ptr[row] : self.ptr[row + 1]]

    def votes(self, rows: Sequence[int]) -> np.ndarray | None:
        """Votes after a session holding ``rows`` (None: no session shares a track)."""
        current = sorted(set(rows))
        if not current or not self.items:
            return None
        hits = np.concatenate([self.sessions_with(r) for r in current])
        if not len(hits):
            return None
        sessions, overlap = np.unique(hits, return_counts=True)
        return self.vote(sessions, overlap.astype(np.float64), len(current))

    def vote(self, candidates: np.ndarray, overlap: np.ndarray, size: int) -> np.ndarray:
        """Votes of the most similar of ``candidates`` (sessions sorted oldest first, each
        sharing ``overlap`` tracks with a session of ``size`` distinct tracks)."""
        scores = np.zeros(self.n, dtype=np.float64)
        candidates, overlap = candidates[-self.sample :], overlap[-self.sample :]
        if size == 0 or len(candidates) == 0:
            return scores
        sims = overlap / np.sqrt(size * self.size[candidates])
        if len(candidates) > self.k:
            top = np.argpartition(-sims, self.k - 1)[: self.k]
            candidates, sims = candidates[top], sims[top]
        starts, ends = self.items_ptr[candidates], self.items_ptr[candidates + 1]
        lengths = ends - starts
        idx = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        np.add.at(scores, self.items_flat[idx], np.repeat(sims, lengths))
        return scores


def history_parts(
    vocab: Vocabulary, sessions: Sequence[TrainingSession], tags: Mapping[int, Tagged] | None
) -> HistoryParts:
    """The parts of ``sessions`` over ``vocab``'s rows (unknown tracks as row 0)."""
    index = vocab.index
    rows = [np.array([index(i) or 0 for i in s.items], dtype=np.int64) for s in sessions]
    by_row = {}
    for track_id, tag in (tags or {}).items():
        row = index(track_id)
        if row is not None:
            by_row[row] = tag
    return HistoryParts(rows, len(vocab), by_row)
