"""Radio's draw: the tempered, masked softmax, the nucleus cut-off, and sampling from it.

Everything after the scoring pass works on one vector: the tempered softmax with excluded rows
at 0, then the nucleus cut-off, which never sorts the library (a radix select over the
probabilities' bits), then the draw, which inverts the CDF in two levels (block sums, then one
block): the same draw as one cumulative sum over every track, for a fraction of its cost."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

#: The nucleus's histogram bins a positive float32 by its top 17 bits (sign, exponent and 8
#: mantissa bits): each bin a 256th of a power of two wide.
BIN_SHIFT = 15
#: Redraws from the same distribution before a repeated candidate is zeroed out instead.
REDRAWS = 32
#: Tracks per block of the two-level inverse-CDF draw.
BLOCK = 256


@dataclass
class Draw:
    """A prepared next-track distribution to draw from (several times if needed).

    Attributes:
        probs: The probability of every row, float32 (summing to 1; 0 for rows left out).
    """

    probs: np.ndarray
    _cumulative: tuple[np.ndarray, np.ndarray] | None = None  # (probs drawn from, block CDF)

    def row_probs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, probabilities)`` of the tracks with a chance, in row order."""
        rows = np.flatnonzero(self.probs > 0)
        return rows, self.probs[rows]

    def sample(self, rng: np.random.Generator, count: int = 1) -> list[tuple[int, float]]:
        """Up to ``count`` distinct ``(row, probability)`` draws, without replacement.

        The first is a plain draw; each later one is redrawn until it differs from the earlier
        ones, which is exactly a draw from the distribution with them removed (after
        ``REDRAWS`` failures, the earlier draws are zeroed out and the rest renormalised).
        """
        probs = self.probs
        out: list[tuple[int, float]] = []
        taken: set[int] = set()
        while len(out) < count:
            index = self._draw_index(probs, rng)
            tries = 1
            while index in taken and tries < REDRAWS:
                index, tries = self._draw_index(probs, rng), tries + 1
            if index in taken:
                probs = probs.copy()
                probs[sorted(taken)] = 0.0
                self._cumulative = None
                if not (probs > 0).any():
                    break
                continue
            taken.add(index)
            out.append((index, float(self.probs[index])))
        if probs is not self.probs:
            self._cumulative = None  # it described the copy without the draws
        return out

    def _draw_index(self, probs: np.ndarray, rng: np.random.Generator) -> int:
        # Inverse-CDF draw in two levels: the cumulative mass of blocks of BLOCK tracks (kept for
        # later draws) picks a block, the cumulative sum inside it the track. Far cheaper than
        # one cumulative sum over 100k categories.
        if self._cumulative is None or self._cumulative[0] is not probs:
            self._cumulative = (probs, _block_cumulative(probs))
        values, blocks = self._cumulative
        point = float(rng.random()) * float(blocks[-1])
        block = min(int(np.searchsorted(blocks, point, side="right")), len(blocks) - 1)
        start = block * BLOCK
        inside = np.cumsum(values[start : start + BLOCK], dtype=np.float64)
        if block:
            point -= float(blocks[block - 1])
        offset = min(int(np.searchsorted(inside, point, side="right")), len(inside) - 1)
        index = start + offset
        while values[index] <= 0 and index > 0:  # float rounding at the very end of the CDF
            index -= 1
        return index


def _block_cumulative(values: np.ndarray) -> np.ndarray:
    """Cumulative mass (float64) of consecutive blocks of ``BLOCK`` entries (the last shorter)."""
    size = len(values)
    whole = size - size % BLOCK
    sums = values[:whole].reshape(-1, BLOCK).sum(axis=1, dtype=np.float64)
    if whole < size:
        sums = np.append(sums, values[whole:].sum(dtype=np.float64))
    return np.cumsum(sums)


def tempered_draw(
    log_scores: np.ndarray, temperature: float, top_p: float | None, excluded: np.ndarray | None
) -> Draw:
    """``softmax(log_scores / temperature)`` with ``excluded`` rows (and row 0) left out.

    Args:
        log_scores: log p(next) over all rows up to one constant (float32); modified in place.
        temperature: Divides the log-scores (below 1 sharpens, above 1 flattens).
        top_p: Keep only the smallest set of most likely tracks whose mass reaches it.
        excluded: Row indices that must not be drawn.

    Raises:
        ValueError: ``temperature`` is not positive, or every track is excluded.
    """
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    scores = log_scores
    if temperature != 1.0:
        scores *= np.float32(1.0 / temperature)
    scores[0] = -math.inf
    if excluded is not None and len(excluded):
        scores[excluded] = -math.inf
    top = float(scores.max())
    if not math.isfinite(top):
        raise ValueError("every track is excluded: nothing left to choose")
    scores -= np.float32(top)
    probs = np.exp(scores, out=scores)
    probs /= float(probs.sum(dtype=np.float64))
    if top_p is not None and 0.0 < top_p < 1.0:
        return _nucleus(probs, top_p)
    return Draw(probs)


def _nucleus(probs: np.ndarray, top_p: float) -> Draw:
    """The smallest set of most likely rows whose mass reaches ``top_p``, renormalised.

    Without sorting the library (a sort costs ~6 ms at 100,000 tracks): a positive float32
    orders as its bits do, so one pass sums the mass per bin of the top 17 bits, the bins from
    the most likely down find the bin the cut-off falls in, and only that bin's rows (usually a
    few hundred) are sorted. Rows tied with the last one kept are taken in row order.
    """
    bins = probs.view(np.int32) >> BIN_SHIFT
    size = 1 << (31 - BIN_SHIFT)
    from_top = np.cumsum(np.bincount(bins, weights=probs, minlength=size)[::-1])
    k = int(np.searchsorted(from_top, top_p))
    if k >= size:  # rounding left the total short of top_p: every row with a chance
        return Draw(probs / float(probs.sum(dtype=np.float64)))
    cut = size - 1 - k
    above = float(from_top[k - 1]) if k > 0 else 0.0
    values = -np.sort(-probs[bins == cut])
    wide = values.astype(np.float64)
    before = np.cumsum(wide) - wide
    take = max(1, int((before < top_p - above).sum()))
    last = values[take - 1]
    keep = probs > last
    ties = np.flatnonzero(probs == last)
    keep[ties[: int((values[:take] == last).sum())]] = True
    kept = np.where(keep, probs, np.float32(0.0))
    return Draw(kept / float(kept.sum(dtype=np.float64)))
