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
import torch
from torch import Tensor

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
        probs: The probability of every row (summing to 1; 0 for rows left out).
    """

    probs: Tensor
    _cumulative: tuple[np.ndarray, np.ndarray] | None = None  # (probs as numpy, block CDF)

    def row_probs(self) -> tuple[Tensor, Tensor]:
        """``(rows, probabilities)`` of the tracks with a chance, in row order."""
        rows = torch.nonzero(self.probs > 0).squeeze(1)
        return rows, self.probs[rows]

    def sample(self, generator: torch.Generator, count: int = 1) -> list[tuple[int, float]]:
        """Up to ``count`` distinct ``(row, probability)`` draws, without replacement.

        The first is a plain draw; each later one is redrawn until it differs from the earlier
        ones, which is exactly a draw from the distribution with them removed (after
        ``REDRAWS`` failures, the earlier draws are zeroed out and the rest renormalised).
        """
        probs = self.probs
        out: list[tuple[int, float]] = []
        taken: set[int] = set()
        while len(out) < count:
            index = self._draw_index(probs, generator)
            tries = 1
            while index in taken and tries < REDRAWS:
                index, tries = self._draw_index(probs, generator), tries + 1
            if index in taken:
                probs = probs.clone()
                probs[torch.tensor(sorted(taken))] = 0.0
                self._cumulative = None
                if not bool(probs.gt(0).any()):
                    break
                continue
            taken.add(index)
            out.append((index, float(self.probs[index])))
        if probs is not self.probs:
            self._cumulative = None  # it described the copy without the draws
        return out

    # The small steps run in numpy (a fraction of torch's per-call cost); the one pass over all
    # tracks (the block sums) runs in torch.
    def _draw_index(self, probs: Tensor, generator: torch.Generator) -> int:
        # Inverse-CDF draw in two levels: the cumulative mass of blocks of BLOCK tracks (kept for
        # later draws) picks a block, the cumulative sum inside it the track. Far cheaper than
        # torch.multinomial over 100k categories, and than one cumsum over all of them.
        if self._cumulative is None:
            values = probs.detach().numpy()
            self._cumulative = (values, _block_cumulative(probs, values))
        values, blocks = self._cumulative
        point = float(torch.rand(1, generator=generator)) * float(blocks[-1])
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


def _block_cumulative(probs: Tensor, values: np.ndarray) -> np.ndarray:
    """Cumulative mass (float64) of consecutive blocks of ``BLOCK`` entries (the last shorter).

    ``values`` is ``probs`` as numpy (the same memory): torch sums the whole blocks in one
    vectorised pass, numpy does the few small steps.
    """
    size = len(values)
    whole = size - size % BLOCK
    sums = probs[:whole].detach().reshape(-1, BLOCK).sum(dim=1).numpy()
    if whole < size:
        sums = np.append(sums, values[whole:].sum())
    return np.cumsum(sums, dtype=np.float64)


def tempered_draw(
    log_scores: Tensor, temperature: float, top_p: float | None, excluded: Tensor | None
) -> Draw:
    """``softmax(log_scores / temperature)`` with ``excluded`` rows (and row 0) left out.

    Args:
        log_scores: log p(next) over all rows up to one constant; modified in place.
        temperature: Divides the log-scores (below 1 sharpens, above 1 flattens).
        top_p: Keep only the smallest set of most likely tracks whose mass reaches it.
        excluded: Row indices that must not be drawn.

    Raises:
        ValueError: ``temperature`` is not positive, or every track is excluded.
    """
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    scores = log_scores.mul_(1.0 / temperature) if temperature != 1.0 else log_scores
    scores[0] = -math.inf
    if excluded is not None and excluded.numel():
        scores.index_fill_(0, excluded, -math.inf)
    probs = torch.softmax(scores, dim=0)
    if math.isnan(float(probs[0])):  # row 0 is 0 unless every score was -inf (all NaN)
        raise ValueError("every track is excluded: nothing left to choose")
    if top_p is not None and 0.0 < top_p < 1.0:
        return _nucleus(probs, top_p)
    return Draw(probs)


def _nucleus(probs: Tensor, top_p: float) -> Draw:
    """The smallest set of most likely rows whose mass reaches ``top_p``, renormalised.

    Without sorting the library (a sort costs ~6 ms at 100,000 tracks): a positive float32
    orders as its bits do, so one pass sums the mass per bin of the top 17 bits, the bins from
    the most likely down find the bin the cut-off falls in, and only that bin's rows (usually a
    few hundred) are sorted. Rows tied with the last one kept are taken in row order.
    """
    bins = probs.view(torch.int32) >> BIN_SHIFT
    size = 1 << (31 - BIN_SHIFT)
    from_top = torch.bincount(bins, weights=probs.double(), minlength=size).flip(0).cumsum(0)
    k = int(torch.searchsorted(from_top, torch.tensor([top_p], dtype=torch.float64)))
    if k >= size:  # rounding left the total short of top_p: every row with a chance
        return Draw(probs / probs.sum())
    cut = size - 1 - k
    above = float(from_top[k - 1]) if k > 0 else 0.0
    values = torch.sort(torch.masked_select(probs, bins == cut), descending=True).values
    before = torch.cumsum(values.double(), 0) - values.double()
    take = max(1, int((before < top_p - above).sum()))
    last = values[take - 1]
    keep = probs > last
    ties = torch.nonzero(probs == last).squeeze(1)
    keep[ties[: int((values[:take] == last).sum())]] = True
    kept = torch.where(keep, probs, 0.0)
    return Draw(kept / kept.sum())
