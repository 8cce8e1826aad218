"""Each track's neighbours: the tracks most often heard within a few places of it.

The table gives the model a second view of a track beside its own row of W: the mean of its
neighbours' rows, weighted by how often they were heard together (as GCE-GNN's global graph
does for session graphs). A track heard a handful of times gets few gradient steps of its own;
its neighbours were trained by every session they were in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from recommender.training import EncodedSession

#: Tracks within this many places of each other in a session are neighbours.
WINDOW = 2


def window_pairs(sessions: Sequence[EncodedSession], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows (a, b) for each pair heard ``1..window`` places apart, a first (one direction)."""
    left, right = [], []
    for session in sessions:
        rows = session.rows
        for offset in range(1, min(window, len(rows) - 1) + 1):
            left.append(rows[:-offset])
            right.append(rows[offset:])
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(left), np.concatenate(right)


def neighbour_table(
    sessions: Sequence[EncodedSession], n_rows: int, width: int
) -> tuple[Tensor, Tensor]:
    """The ``width`` most frequent neighbours of every row and their counts.

    Returns:
        ``(rows, counts)``, both (n_rows, width): neighbour row indices (0 where a row has fewer
        neighbours) and how often each pair was heard within :data:`WINDOW` places, either
        order; a row is never its own neighbour. Ties keep the lower row index.
    """
    keys, counts = np.unique(_pair_keys(sessions, n_rows), return_counts=True)
    return _top(keys, counts.astype(np.float32), n_rows, width)


def merge_neighbours(
    rows: Tensor, counts: Tensor, sessions: Sequence[EncodedSession]
) -> tuple[Tensor, Tensor]:
    """The table after ``sessions`` were heard too: their pairs counted in, top rows re-chosen.

    Counts of pairs that had fallen out of a row's top are not kept, so a new pair competes
    with the ones that are; a row's list is exact while it has fewer neighbours than the width.
    """
    n_rows, width = rows.shape
    new = _pair_keys(sessions, n_rows)
    touched = torch.from_numpy(np.unique(new // n_rows))  # only these rows can change
    held_rows, held_counts = rows[touched], counts[touched]
    present = held_counts > 0
    held = (touched.unsqueeze(1) * n_rows + held_rows)[present].numpy()
    keys, inverse = np.unique(np.concatenate([held, new]), return_inverse=True)
    weights = np.concatenate([held_counts[present].numpy(), np.ones(len(new), dtype=np.float32)])
    summed = np.bincount(inverse, weights=weights, minlength=len(keys)).astype(np.float32)
    top_rows, top_counts = _top(keys, summed, n_rows, width)
    merged_rows, merged_counts = rows.clone(), counts.clone()
    merged_rows[touched] = top_rows[touched]
    merged_counts[touched] = top_counts[touched]
    return merged_rows, merged_counts


def _pair_keys(sessions: Sequence[EncodedSession], n_rows: int) -> np.ndarray:
    """``i * n_rows + j`` for each pair of different rows within WINDOW places, both orders."""
    a, b = window_pairs(sessions, WINDOW)
    keep = a != b
    a, b = a[keep], b[keep]
    return np.concatenate([a * n_rows + b, b * n_rows + a])


def _top(keys: np.ndarray, counts: np.ndarray, n_rows: int, width: int) -> tuple[Tensor, Tensor]:
    i, j = keys // n_rows, keys % n_rows
    order = np.lexsort((j, -counts, i))  # by row, then most frequent first, then lower index
    i, j, counts = i[order], j[order], counts[order]
    rank = np.arange(len(i)) - np.searchsorted(i, i)
    keep = rank < width
    rows = np.zeros((n_rows, width), dtype=np.int64)
    weights = np.zeros((n_rows, width), dtype=np.float32)
    rows[i[keep], rank[keep]] = j[keep]
    weights[i[keep], rank[keep]] = counts[keep]
    return torch.from_numpy(rows), torch.from_numpy(weights)
