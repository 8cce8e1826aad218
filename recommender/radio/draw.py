"""Radio's fast next-track pass: an int8 copy of V, and the masked, tempered, nucleus draw.

A radio pick scores every track once (``V q``, 100,000 x 128 at most) and that pass is bound by
memory bandwidth, so radio reads V as per-row int8 codes (a quarter of the float32 bytes),
through the compiled loop in :mod:`recommender.radio.kernels` (or, without numba, through
``torch._weight_int8pack_mm``, which rounds the query and the product to bfloat16). The
approximation is measured in ``bench/inference.py``
(``--accuracy``) and held by ``tests/recommender/test_radio_scoring.py``: total-variation
distance to the exact float32 distribution stays far below what listening could notice.
Evaluation (``Recommender.session_scores``) never uses it.

Everything after the scoring pass works on one vector: the repeat head's mass is added to the
few history rows, then the tempered softmax with excluded rows at 0, then the nucleus cut-off,
which never sorts the library (compiled: a radix select over the probabilities' bits; without
numba: ``topk`` of a few hundred tracks first, more only when the mass is spread wider). A draw
inverts the CDF in two levels (block sums, then one block), which is the same draw as one
cumulative sum over every track, for a fraction of its cost. Each step has a compiled form in
:mod:`recommender.radio.kernels` and a torch / numpy one used when numba is not there.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from recommender.radio import kernels as radio_kernels
from recommender.vocab import Vocabulary

log = logging.getLogger(__name__)

#: Tracks looked at first for the nucleus; multiplied by NUCLEUS_GROWTH until the mass is there.
NUCLEUS_START = 256
NUCLEUS_GROWTH = 8
#: Redraws from the same distribution before a repeated candidate is zeroed out instead.
REDRAWS = 32
#: Tracks per block of the two-level inverse-CDF draw.
BLOCK = 256


class QuantizedOutput:
    """V as per-row int8 codes with a bfloat16 scale per row (scores = codes @ q * scale).

    Each row's scale is first rounded to bfloat16 (upwards, so no code overflows) and the codes
    are computed against that rounded scale, so the only error left is the rounding of each code
    (at most half a step, a 254th of the row's largest weight).

    Args:
        weight: V, (rows x k) float32.
    """

    def __init__(self, weight: Tensor) -> None:
        weight = weight.detach().float()
        peak = weight.abs().amax(dim=1).clamp_min(1e-12) / 127.0
        scale = (peak * (1.0 + 2.0**-7)).to(torch.bfloat16)
        codes = torch.round(weight / scale.float().unsqueeze(1)).clamp_(-127, 127)
        self.codes = codes.to(torch.int8).contiguous()
        self.scales = scale.contiguous()
        self._half: Tensor | None = None
        self._kernels = radio_kernels.compiled() if weight.device.type == "cpu" else None
        if self._kernels is not None:
            self._codes_np = self.codes.numpy()
            self._scales_np = self.scales.float().numpy()
            return
        try:
            torch._weight_int8pack_mm(
                torch.zeros((1, weight.shape[1]), dtype=torch.bfloat16), self.codes[:2], scale[:2]
            )
        except (AttributeError, RuntimeError) as exc:  # an older torch or another platform
            log.info("int8 scoring unavailable (%s); radio scores with float16", exc)
            self._half = weight.half()

    def logits(self, query: Tensor, bias: Tensor) -> Tensor:
        """Approximate ``V @ query + bias`` for a (k,) query, as float32 (rows,)."""
        if self._kernels is not None:
            out = np.empty(len(self._scales_np), np.float32)
            self._kernels.scores(
                self._codes_np,
                query.detach().float().contiguous().numpy(),
                self._scales_np,
                bias.detach().float().contiguous().numpy(),
                out,
            )
            return torch.from_numpy(out)
        if self._half is not None:
            return torch.add(bias, torch.mv(self._half, query.half()))
        product = torch._weight_int8pack_mm(
            query.to(torch.bfloat16).unsqueeze(0), self.codes, self.scales
        )
        return torch.add(bias, product[0])  # one pass: bfloat16 + float32 gives float32


class RadioCache:
    """What radio keeps between picks: the int8 copy of V and a long-lived exclusion's rows."""

    def __init__(self) -> None:
        self._output: tuple[tuple[int, int, int], QuantizedOutput] | None = None
        self._rows: tuple[Collection[int], int, Tensor] | None = None

    def output(self, weight: Tensor) -> QuantizedOutput:
        """The int8 copy of ``weight``, rebuilt when it changed (training steps, growth)."""
        key = (weight.data_ptr(), weight.shape[0], weight._version)
        if self._output is None or self._output[0] != key:
            self._output = (key, QuantizedOutput(weight))
        return self._output[1]

    def rows(self, vocab: Vocabulary, ids: Collection[int]) -> Tensor | None:
        """Row indices of ``ids``, looked up again only for another set object or vocabulary."""
        if not ids:
            return None
        cached = self._rows
        if cached is None or cached[0] is not ids or cached[1] != len(vocab):
            rows = torch.tensor(vocab.indices(ids), dtype=torch.long)
            self._rows = cached = (ids, len(vocab), rows)
        return cached[2]


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
