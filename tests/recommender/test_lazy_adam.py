"""LazyAdam is SparseAdam's algorithm: same rows updated, same values."""

from __future__ import annotations

import pytest
import torch

from recommender.lazy_adam import LazyAdam


def _train(optimizer_type: type[torch.optim.Optimizer]) -> torch.Tensor:
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(200, 8, sparse=True)
    optimizer = optimizer_type([embedding.weight], lr=0.05)
    generator = torch.Generator().manual_seed(1)
    for _ in range(30):
        rows = torch.randint(0, 150, (64,), generator=generator)  # rows 150+ never touched
        optimizer.zero_grad()
        (embedding(rows) ** 2).sum().backward()
        optimizer.step()
    return embedding.weight.detach()


def test_lazy_adam_matches_sparse_adam() -> None:
    lazy, reference = _train(LazyAdam), _train(torch.optim.SparseAdam)
    assert torch.allclose(lazy, reference, atol=1e-6)
    torch.manual_seed(0)
    initial = torch.nn.Embedding(200, 8, sparse=True).weight.detach()
    assert torch.equal(lazy[150:], initial[150:])  # rows no gradient touched are left alone
    assert not torch.allclose(lazy[:150], initial[:150], atol=1e-3)


def test_lazy_adam_refuses_dense_gradients() -> None:
    weight = torch.nn.Parameter(torch.zeros(4, 2))
    weight.grad = torch.ones(4, 2)
    with pytest.raises(RuntimeError, match="sparse"):
        LazyAdam([weight]).step()
