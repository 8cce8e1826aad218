"""Lazy Adam for embedding matrices: the rows a step touched are updated, the others untouched.

The same algorithm as ``torch.optim.SparseAdam`` (tests hold the two equal), written with two
row gathers and three row writes instead of SparseAdam's chain of sparse-tensor operations, which
profiled at about a sixth of a training step on the nowplaying data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import Tensor


class LazyAdam(torch.optim.Optimizer):
    """Adam over the rows present in each (sparse) gradient; state keys as SparseAdam's.

    Args:
        params: Parameters whose gradients are sparse (``nn.Embedding(sparse=True)``).
        lr: Learning rate.
        betas: Adam's moment decay rates.
        eps: Added to the denominator.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> None:  # type: ignore[override]
        """Apply one update to the rows each parameter's gradient touches.

        ``closure`` is part of the optimizer interface; training never passes one and it is not
        called.
        """
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if not p.grad.is_sparse:
                    raise RuntimeError("LazyAdam needs sparse gradients")
                grad = p.grad.coalesce()  # free when already coalesced
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                rows = grad._indices()[0]
                values = grad._values()
                exp_avg = state["exp_avg"].index_select(0, rows).lerp_(values, 1.0 - beta1)
                exp_avg_sq = state["exp_avg_sq"].index_select(0, rows).mul_(beta2)
                exp_avg_sq.addcmul_(values, values, value=1.0 - beta2)
                state["exp_avg"].index_copy_(0, rows, exp_avg)
                state["exp_avg_sq"].index_copy_(0, rows, exp_avg_sq)
                step = state["step"]
                step_size = group["lr"] * math.sqrt(1.0 - beta2**step) / (1.0 - beta1**step)
                update = exp_avg.div_(exp_avg_sq.sqrt_().add_(group["eps"]))
                p.index_add_(0, rows, update, alpha=-step_size)
