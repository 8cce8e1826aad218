"""Tie-pessimistic ranks and HR / MRR on hand-made rankings."""

from __future__ import annotations

import math

import pytest
import torch

from recommender.metrics import MISS_RANK, RankMetrics, ranks


def test_rank_counts_items_scoring_at_least_the_target() -> None:
    scores = torch.tensor([[0.9, 0.5, 0.1, 0.7]])
    assert ranks(scores, torch.tensor([0])).tolist() == [1]
    assert ranks(scores, torch.tensor([1])).tolist() == [3]
    assert ranks(scores, torch.tensor([2])).tolist() == [4]


def test_ties_count_against_the_model() -> None:
    scores = torch.tensor([[0.5, 0.5, 0.5, 0.1], [1.0, 1.0, 1.0, 1.0]])
    # target 0 ties with two others: rank 3, not 1
    assert ranks(scores, torch.tensor([0, 3])).tolist() == [3, 4]


def test_nan_scores_count_against_and_unknown_target_misses() -> None:
    scores = torch.tensor([[0.2, math.nan, 0.1], [0.3, 0.2, 0.1]])
    assert ranks(scores, torch.tensor([0, -1])).tolist() == [2, MISS_RANK]


def test_hr_and_mrr_by_hand() -> None:
    metrics = RankMetrics()
    metrics.add(torch.tensor([1, 2, 10, 11, 20, 21]))
    assert metrics.positions == 6
    assert metrics.hr(20) == pytest.approx(5 / 6)
    assert metrics.hr(10) == pytest.approx(3 / 6)
    assert metrics.mrr(20) == pytest.approx((1 + 1 / 2 + 1 / 10 + 1 / 11 + 1 / 20) / 6)
    assert metrics.mrr(10) == pytest.approx((1 + 1 / 2 + 1 / 10) / 6)
    assert metrics.to_dict()["positions"] == 6
