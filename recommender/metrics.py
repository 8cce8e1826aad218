"""Tie-pessimistic ranks and HR@K / MRR@K accumulation for next-item evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

#: Rank given to a target the model does not know.
MISS_RANK = 2**31 - 1


def ranks(scores: Tensor, targets: Tensor) -> Tensor:
    """Rank of each target among all candidate columns, ties counted against the model.

    rank = 1 + #{j != target : score_j >= score_target}. NaN scores count as +inf (against the
    model). A target of -1 (unknown to the model) gets :data:`MISS_RANK` (a miss at any K).

    Args:
        scores: (N, C) scores over the candidate items (higher is better).
        targets: (N,) column index of each target, or -1.

    Returns:
        (N,) int64 ranks.
    """
    known = targets >= 0
    safe = targets.clamp_min(0)
    target_scores = scores.gather(1, safe.unsqueeze(1))
    # Count what scores strictly below the target: NaN compares false, so a NaN anywhere (or a
    # NaN target) counts against the model, and no copy of the score matrix is needed.
    below = torch.count_nonzero(scores < target_scores, dim=1)
    rank = scores.shape[1] - below
    return torch.where(known, rank, torch.full_like(rank, MISS_RANK))


@dataclass
class RankMetrics:
    """Accumulates HR@K and MRR@K over evaluated positions."""

    ks: tuple[int, ...] = (20, 10)
    positions: int = 0
    hits: dict[int, int] = field(default_factory=dict)
    reciprocal: dict[int, float] = field(default_factory=dict)

    def add(self, rank: Tensor) -> None:
        """Add a batch of ranks."""
        self.positions += int(rank.numel())
        r = rank.double()
        for k in self.ks:
            inside = rank <= k
            self.hits[k] = self.hits.get(k, 0) + int(inside.sum())
            self.reciprocal[k] = self.reciprocal.get(k, 0.0) + float((1.0 / r)[inside].sum())

    def hr(self, k: int) -> float:
        """Share of positions with rank <= k."""
        return self.hits.get(k, 0) / self.positions if self.positions else 0.0

    def mrr(self, k: int) -> float:
        """Mean of 1/rank over positions (0 where rank > k)."""
        return self.reciprocal.get(k, 0.0) / self.positions if self.positions else 0.0

    def to_dict(self) -> dict[str, float | int]:
        """``{"HR@20": ..., "MRR@20": ..., ..., "positions": n}``."""
        out: dict[str, float | int] = {}
        for k in self.ks:
            out[f"HR@{k}"] = self.hr(k)
            out[f"MRR@{k}"] = self.mrr(k)
        out["positions"] = self.positions
        return out
