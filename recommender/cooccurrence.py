"""A starting point for the item embeddings: the SVD of the tracks' co-occurrence (PPMI) matrix.

Full training normally starts W from noise, and a track heard a handful of times gets only a
handful of gradient steps. Tracks that share sessions with the same other tracks are alike,
and the positive pointwise mutual information (PPMI) of "heard within ``window`` tracks of each
other", factored by a truncated SVD, says so for every track before the first step (as
word2vec-style embeddings do for words; Levy & Goldberg 2014 showed the two are close).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Collection, Sequence

import numpy as np
import torch
from torch import Tensor

from recommender.model import SessionRNN
from recommender.neighbours import window_pairs
from recommender.training import EncodedSession

log = logging.getLogger(__name__)

#: Tracks within this distance of each other in a session count as co-occurring.
WINDOW = 5
#: Context counts are raised to this power (smooths PMI's bias towards rare contexts).
CONTEXT_POWER = 0.75
#: Power iterations of the randomized SVD.
SVD_ITERATIONS = 3
#: The start's spread as a share of the noise start's. Chosen on the validation tail (last 5,000
#: train sessions, 4 epochs): 1.0 gave HR@20 / MRR@20 0.234 / 0.085, 0.3 gave 0.230 / 0.090
#: (noise: 0.218 / 0.094); at 8 epochs 0.3 gave 0.236 / 0.093 against noise's 0.225 / 0.092.
START_SCALE = 0.3


def cooccurrence_embedding(
    sessions: Sequence[EncodedSession], n_rows: int, dim: int, std: float
) -> Tensor | None:
    """(n_rows, dim) embeddings from the PPMI matrix's SVD (U sqrt(S)), scaled to ``std``.

    Row 0 and rows that co-occur with nothing are zero. Returns ``None`` when the data has too
    few co-occurrences to factor (the caller keeps its random start). Draws from torch's global
    generator (the randomized SVD): seed it for a reproducible result.
    """
    started = time.perf_counter()
    a, b = window_pairs(sessions, WINDOW)
    if not len(a):
        return None
    keys = np.concatenate([a * n_rows + b, b * n_rows + a])  # symmetric
    keys, counts = np.unique(keys, return_counts=True)
    i, j = keys // n_rows, keys % n_rows
    weight = counts.astype(np.float64)
    row_total = np.bincount(i, weights=weight, minlength=n_rows)
    context = np.bincount(j, weights=weight, minlength=n_rows) ** CONTEXT_POWER
    pmi = np.log(weight * context.sum() / (row_total[i] * context[j]))
    keep = pmi > 0
    rank = min(dim, n_rows - 1)
    if int(keep.sum()) < rank or rank < 1:
        return None
    matrix = torch.sparse_coo_tensor(
        torch.from_numpy(np.stack([i[keep], j[keep]])),
        torch.from_numpy(pmi[keep]).float(),
        (n_rows, n_rows),
        check_invariants=False,
    ).coalesce()
    with warnings.catch_warnings():  # "sparse CSR support is in beta": the product is plain
        warnings.simplefilter("ignore", UserWarning)
        # CSR: the SVD's products over the full 60k-track matrix take 27 s instead of 63 s in
        # COO form, with the same singular values to 4e-7
        matrix = matrix.to_sparse_csr()
    u, singular, _ = torch.svd_lowrank(matrix, q=rank, niter=SVD_ITERATIONS)
    embedding = torch.zeros(n_rows, dim)
    embedding[:, :rank] = u * singular.sqrt()
    embedding[0] = 0.0
    spread = float(embedding[1:].std())
    if not math.isfinite(spread) or spread <= 0:
        return None
    embedding *= std / spread
    log.info(
        "co-occurrence start: %d PPMI pairs over %d rows in %.1f s",
        int(keep.sum()),
        n_rows,
        time.perf_counter() - started,
    )
    return embedding


def start_from_cooccurrence(model: SessionRNN, sessions: Sequence[EncodedSession]) -> bool:
    """Overwrite ``model``'s W with :func:`cooccurrence_embedding` at ``START_SCALE`` times W's
    current spread (the noise it was initialised with).

    Returns False (W left as it was) when the data is too sparse to factor.
    """
    weight = model.embedding.weight
    std = float(weight.detach()[1:].std()) * START_SCALE
    start = cooccurrence_embedding(sessions, model.n_items, model.config.embedding_dim, std)
    if start is None:
        log.info("too few co-occurrences to factor: W starts from noise")
        return False
    with torch.no_grad():
        weight.copy_(start)
    return True


def start_new_rows(
    model: SessionRNN, sessions: Sequence[EncodedSession], rows: Collection[int]
) -> int:
    """Start each of ``rows`` (tracks never trained on) at the mean embedding of its neighbours.

    A neighbour is a track within ``WINDOW`` places of it in ``sessions`` that is not itself in
    ``rows``: the one thing known about a track heard for the first time is what it was heard
    with, and tracks heard together lie close in W. Rows without such a neighbour keep their
    small random start.

    Returns:
        How many rows were set.
    """
    fresh = set(rows)
    if not fresh:
        return 0
    neighbours: dict[int, list[int]] = {}
    for session in sessions:
        session_rows = session.rows.tolist()
        for position, row in enumerate(session_rows):
            if row not in fresh:
                continue
            near = session_rows[max(0, position - WINDOW) : position + WINDOW + 1]
            neighbours.setdefault(row, []).extend(r for r in near if r not in fresh)
    targets = [row for row, near in neighbours.items() if near]
    if not targets:
        return 0
    weight = model.embedding.weight
    with torch.no_grad():
        for row in targets:
            weight[row] = weight[torch.tensor(neighbours[row])].mean(dim=0)
    return len(targets)
