"""Radio's draw: the tempered, masked softmax, the nucleus cut-off, and sampling from it.

Everything after the scoring pass works on one vector: the tempered softmax with excluded rows
at 0, then the nucleus cut-off, which never sorts the library (compiled: a radix select over
the probabilities' bits; without numba: ``topk`` of a few hundred tracks first, more only when
the mass is spread wider). A draw inverts the CDF in two levels (block sums, then one block),
which is the same draw as one cumulative sum over every track, for a fraction of its cost."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from recommender.radio import kernels as radio_kernels

log = logging.getLogger(__name__)

#: Tracks looked at first for the nucleus; multiplied by NUCLEUS_GROWTH until the mass is there.
NUCLEUS_START = 256
NUCLEUS_GROWTH = 8
#: Redraws from the same distribution before a repeated candidate is zeroed out instead.
REDRAWS = 32
#: Tracks per block of the two-level inverse-CDF draw.
BLOCK = 256


@dataclass
class Draw:
    """A prepared next-track distribution to draw from (several times if needed).

    Attributes:
        probs: Probabilities, summing to 1, aligned with ``rows``.
        rows: Row index of each entry of ``probs`` (``None``: entry i is row i).
    """

    probs: Tensor
    rows: Tensor | None = None
    _cumulative: tuple[np.ndarray, np.ndarray] | None = None  # (probs as numpy, block CDF)

    def row_probs(self) -> tuple[Tensor, Tensor]:
        """``(rows, probabilities)`` of the tracks with a chance, in row order."""
        if self.rows is None:
            rows = torch.nonzero(self.probs > 0).squeeze(1)
            return rows, self.probs[rows]
        order = torch.argsort(self.rows)
        return self.rows[order], self.probs[order]

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
            row = index if self.rows is None else int(self.rows[index])
            out.append((row, float(self.probs[index])))
        if probs is not self.probs:
            self._cumulative = None  # it described the copy without the draws
        return out

    # The small steps run in numpy (a fraction of torch's per-call cost); the one pass over all
    # tracks (the block sums) runs in torch.
    def _draw_index(self, probs: Tensor, generator: torch.Generator) -> int:
        # Inverse-CDF draw in two levels: the cumulative mass of blocks of BLOCK tracks (kept for
        # later draws) picks a block, the cumulative sum inside it the track. Far cheaper than
        # torch.multinomial over 100k categories, and than one cumsum over all of them.
        kernels = radio_kernels.compiled()
        if self._cumulative is None:
            values = probs.detach().numpy()
            if kernels is not None:
                self._cumulative = (values, kernels.block_cumulative(values, BLOCK))
            else:
                self._cumulative = (values, _block_cumulative(probs, values))
        values, blocks = self._cumulative
        point = float(torch.rand(1, generator=generator)) * float(blocks[-1])
        if kernels is not None:
            return int(kernels.draw_index(values, blocks, BLOCK, point))
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


_NO_ROWS = np.zeros(0, np.int64)


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
    kernels = radio_kernels.compiled()
    if kernels is not None and log_scores.device.type == "cpu":
        rows = _NO_ROWS if excluded is None else excluded.numpy()
        values, total = kernels.tempered_probs(log_scores.numpy(), 1.0 / temperature, rows)
        if not total > 0.0:
            raise ValueError("every track is excluded: nothing left to choose")
        probs = torch.from_numpy(values)
    else:
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

    Compiled: a radix select over the probabilities' bits (:mod:`recommender.radio.kernels`).
    Otherwise ``topk`` of a few hundred first (the nucleus is usually small), more only when the
    mass is spread over more tracks than that.
    """
    kernels = radio_kernels.compiled()
    if kernels is not None:
        rows = torch.from_numpy(kernels.nucleus_rows(probs.detach().numpy(), top_p))
        kept = probs[rows]
        return Draw(kept / kept.sum(), rows)
    size = min(NUCLEUS_START, len(probs))
    threshold = torch.tensor([top_p], dtype=probs.dtype)
    while True:
        values, rows = torch.topk(probs, size)
        cumulative = torch.cumsum(values, dim=0)
        if size == len(probs) or bool(cumulative[-1] >= threshold[0]):
            break
        size = min(size * NUCLEUS_GROWTH, len(probs))
    keep = min(int(torch.searchsorted(cumulative, threshold).item()) + 1, size)
    kept = values[:keep]
    kept_rows = rows[:keep]
    positive = kept > 0
    kept, kept_rows = kept[positive], kept_rows[positive]
    return Draw(kept / kept.sum(), kept_rows)
