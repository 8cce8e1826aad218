"""Radio's per-pick passes compiled with numba, and the check that they can be used.

A pick's one pass over every track (``V q + b``, 100,000 x 128) is bound by memory bandwidth on
these machines, so radio reads V as int8 codes. torch's own int8 kernel
(``torch._weight_int8pack_mm``) is fast only with AVX-512 and bfloat16; on AVX2 it runs below
the memory bandwidth. :attr:`Kernels.scores` (one dot product per row, the codes widened to
float32, the row's scale and bias applied on the way out) is vectorised by LLVM for the machine
it runs on, keeps the query in float32 and reads the codes at the speed the memory allows
(measured here: 1.8 ms against torch's 2.4 ms at 100,000 x 128).

The rest of a pick is many small steps, each a torch call with its dispatch cost once the pass
has evicted the caches: compiled, the tempered,
masked softmax (:attr:`Kernels.tempered_probs`), the nucleus (:attr:`Kernels.nucleus_rows`)
and the two-level draw (block sums, two searches) each take one call.

numba is imported only when radio first scores (it takes a fraction of a second) and compiled
functions are cached on disk. When numba is missing or cannot compile here, :func:`compiled`
returns ``None`` and radio falls back to torch and numpy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

import numpy as np

log = logging.getLogger(__name__)


#: The nucleus search sorts the rows left once there are this few.
NUCLEUS_SORT = 256


class Kernels(NamedTuple):
    """The compiled functions (plain numpy arrays in, results out)."""

    #: (codes (rows x k) int8, query (k,) f32, scales (rows,) f32, bias (rows,) f32,
    #: out (rows,) f32): out = (codes @ query) * scales + bias.
    scores: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]
    #: (scores (n,) f32, 1 / temperature, excluded rows (int64)) -> (probabilities (n,) f32,
    #: total before normalising): softmax(scores / temperature) with row 0 and the excluded
    #: rows at exactly 0; ``scores`` is overwritten. A total of 0: every row was excluded.
    tempered_probs: Callable[[np.ndarray, float, np.ndarray], tuple[np.ndarray, float]]
    #: (probs (n,) f32, top_p) -> rows (int64, ascending) of the smallest set of most likely
    #: rows whose mass reaches top_p (every row with p > 0 when the total falls short).
    nucleus_rows: Callable[[np.ndarray, float], np.ndarray]
    #: (values (n,) f32, block) -> cumulative sums (float64) of consecutive blocks of values.
    block_cumulative: Callable[[np.ndarray, int], np.ndarray]
    #: (values, block cumulative sums, block, point in [0, total)) -> index of the draw.
    draw_index: Callable[[np.ndarray, np.ndarray, int, float], int]


@cache
def compiled() -> Kernels | None:
    """The compiled kernels, or ``None`` when numba is unavailable or fails here."""
    try:
        import numba
    except ImportError as exc:
        log.info("numba unavailable (%s); radio scores with torch's int8 kernel", exc)
        return None
    try:
        kernels = _compile(numba)
        _check(kernels)
    except Exception as exc:  # any failure to compile means: use the fallback
        log.warning("radio's compiled kernels failed (%s); using torch and numpy", exc)
        return None
    return kernels


def _compile(numba: object) -> Kernels:
    # Compiled once, then loaded from numba's disk cache; no bounds checks, no GIL held.
    plain = numba.njit(cache=True, nogil=True, boundscheck=False)  # type: ignore[attr-defined]
    # reassoc + contract let LLVM vectorise the sums (float32 additions regrouped); no
    # assumption about infinities or NaN is made.
    vectorised = numba.njit(  # type: ignore[attr-defined]
        cache=True, nogil=True, boundscheck=False, fastmath={"reassoc", "contract", "nsz"}
    )

    @vectorised
    def scores(codes, query, scales, bias, out):  # type: ignore[no-untyped-def]
        rows, width = codes.shape
        for row in range(rows):
            total = np.float32(0.0)
            for j in range(width):
                total += np.float32(codes[row, j]) * query[j]
            out[row] = total * scales[row] + bias[row]

    # The softmax in three vectorised passes (max; exponent and mantissa; scale and sum) and a
    # normalising one. LLVM cannot vectorise a call to exp, so 2^y is built from its parts:
    # 2^round(y) as float32 exponent bits, 2^f (|f| <= 1/2) as a degree-6 Taylor polynomial of
    # e^(f ln 2) (relative error below 2e-7, as float32's own rounding). Below 2^-125 of the
    # largest, a probability is taken as 2^-125 of it (no track could be drawn at that odds).
    @vectorised
    def tempered_probs(scores, inv_t, excluded):  # type: ignore[no-untyped-def]
        size = len(scores)
        probs = np.empty(size, np.float32)
        powers = np.empty(size, np.int32)
        scores[0] = -np.inf
        for row in excluded:
            scores[row] = -np.inf
        top = np.float32(-np.inf)
        for i in range(size):
            top = max(top, scores[i])
        if top == -np.inf:
            probs[:] = 0.0
            return probs, 0.0
        factor = np.float32(inv_t * 1.4426950408889634)  # log2(e) / temperature
        ln2 = np.float32(0.6931471805599453)
        for i in range(size):
            y = max((scores[i] - top) * factor, np.float32(-125.0))
            whole = np.floor(y + np.float32(0.5))
            r = (y - whole) * ln2
            poly = np.float32(1.0 / 120.0) + r * np.float32(1.0 / 720.0)
            poly = np.float32(1.0 / 24.0) + r * poly
            poly = np.float32(1.0 / 6.0) + r * poly
            poly = np.float32(0.5) + r * poly
            poly = np.float32(1.0) + r * poly
            probs[i] = np.float32(1.0) + r * poly
            powers[i] = (np.int32(whole) + 127) << 23
        scale = powers.view(np.float32)
        total = 0.0
        for i in range(size):
            value = probs[i] * scale[i]
            probs[i] = value
            total += value
        total -= probs[0]
        probs[0] = 0.0
        for row in excluded:
            total -= probs[row]
            probs[row] = 0.0
        inverse = np.float32(1.0 / total)
        for i in range(size):
            probs[i] *= inverse
        return probs, total

    # The nucleus without sorting the library: a positive float32 orders as its bit pattern
    # does, so a radix select over the bits (the top 11, then 10, then 10: a histogram of mass
    # per digit, most likely first) finds the rows above the cut-off in one pass over the
    # library and a few over the rows that share the cut-off's digits; only a last handful of
    # rows is sorted.
    @plain
    def nucleus_rows(probs, top_p):  # type: ignore[no-untyped-def]
        bits = probs.view(np.int32)
        keep = np.zeros(len(probs), np.bool_)
        rows = np.flatnonzero(bits > 0)  # rows still undecided, compacted in place
        count = len(rows)
        mass = 0.0  # of the rows kept so far
        unsorted = False  # after every digit the rows left are equal: row order will do
        for shift, width in ((20, 2048), (10, 1024), (0, 1024)):
            if count <= NUCLEUS_SORT:
                unsorted = True
                break
            digit_mass = np.zeros(width, np.float64)
            for k in range(count):
                row = rows[k]
                digit_mass[(bits[row] >> shift) & (width - 1)] += probs[row]
            cut = 0
            for d in range(width - 1, -1, -1):  # most likely digits first
                if mass + digit_mass[d] >= top_p:
                    cut = d
                    break
                mass += digit_mass[d]
            left = 0
            for k in range(count):
                row = rows[k]
                digit = (bits[row] >> shift) & (width - 1)
                if digit > cut:
                    keep[row] = True
                elif digit == cut:  # shares the cut-off's digits: decided further down
                    rows[left] = row
                    left += 1
            count = left
        rest = rows[:count]
        # the rest, most likely first, until the mass is there
        if unsorted:
            rest = rest[np.argsort(-probs[rest], kind="mergesort")]
        for row in rest:
            if mass >= top_p:
                break
            keep[row] = True
            mass += probs[row]
        return np.flatnonzero(keep)

    @vectorised
    def block_cumulative(values, block):  # type: ignore[no-untyped-def]
        count = (len(values) + block - 1) // block
        out = np.empty(count, np.float64)
        running = 0.0
        for b in range(count):
            part = np.float32(0.0)
            for i in range(b * block, min(len(values), (b + 1) * block)):
                part += values[i]
            running += float(part)
            out[b] = running
        return out

    @plain
    def draw_index(values, cumulative, block, point):  # type: ignore[no-untyped-def]
        b = min(np.searchsorted(cumulative, point, side="right"), len(cumulative) - 1)
        if b > 0:
            point -= cumulative[b - 1]
        start = b * block
        end = min(len(values), start + block)
        running = 0.0
        index = end - 1
        for i in range(start, end):
            running += values[i]
            if running > point:
                index = i
                break
        while values[index] <= 0 and index > 0:  # float rounding at the very end of the CDF
            index -= 1
        return index

    return Kernels(scores, tempered_probs, nucleus_rows, block_cumulative, draw_index)


def _check(kernels: Kernels) -> None:
    """Compile (or load from the cache) on tiny inputs, so a failure shows here."""
    out = np.empty(2, np.float32)
    ones = np.ones(2, np.float32)
    kernels.scores(np.ones((2, 4), np.int8), np.ones(4, np.float32), ones, ones, out)
    values = np.array([0.25, 0.0, 0.75], np.float32)
    cumulative = kernels.block_cumulative(values, 2)
    picks = [kernels.draw_index(values, cumulative, 2, p) for p in (0.1, 0.5, 0.99)]
    if out.tolist() != [5.0, 5.0] or cumulative.tolist() != [0.25, 1.0] or picks != [0, 2, 2]:
        raise RuntimeError(f"wrong results: {out}, {cumulative}, {picks}")
    probs, total = kernels.tempered_probs(np.zeros(4, np.float32), 1.0, np.array([2]))
    rows = kernels.nucleus_rows(np.array([0.0, 0.6, 0.3, 0.1], np.float32), 0.8)
    if probs.tolist() != [0.0, 0.5, 0.0, 0.5] or total != 2.0 or rows.tolist() != [1, 2]:
        raise RuntimeError(f"wrong softmax or nucleus: {probs}, {total}, {rows}")
