"""The training optimizer: Adam for the dense weights, lazy Adam for the embedding rows."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from recommender.lazy_adam import LazyAdam
from recommender.model import SessionRNN


class Optimizer:
    """Adam for dense parameters + lazy Adam (rows touched only) for the embedding matrices."""

    def __init__(self, model: SessionRNN, lr: float, dense_scale: float = 1.0) -> None:
        """Split ``model``'s parameters by gradient kind."""
        self.dense_scale = dense_scale
        sparse_ids = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
        # (name, parameter) pairs, not an id-keyed dict: ids change under copy.deepcopy (the
        # plugin fine-tunes a copy of the live model) while these references follow the copy.
        self.named = list(model.named_parameters())
        self.sparse = [p for _, p in self.named if id(p) in sparse_ids]
        self.dense = [p for _, p in self.named if id(p) not in sparse_ids]
        self.optimizers: list[torch.optim.Optimizer] = [
            torch.optim.Adam(self.dense, lr=lr * dense_scale, fused=True),
            LazyAdam(self.sparse, lr=lr),
        ]

    def follows(self, model: SessionRNN) -> bool:
        """True if this optimizer holds exactly ``model``'s current parameters."""
        return {id(p) for p in model.parameters()} == {id(p) for _, p in self.named}

    def rebuilt_for(self, model: SessionRNN) -> Optimizer:
        """A new optimizer for ``model`` (whose vocabulary grew) that keeps this one's moments.

        Growth replaces the embedding and bias tensors with longer ones: their Adam moments are
        carried over row by row (new rows start at zero), and the recurrent weights, which are
        the same tensors, keep theirs as they are.
        """
        lr = float(self.optimizers[1].param_groups[0]["lr"])
        fresh = Optimizer(model, lr, self.dense_scale)
        old_by_name = dict(self.named)
        new_names = {id(p): name for name, p in fresh.named}
        for new_opt, old_opt in zip(fresh.optimizers, self.optimizers, strict=True):
            for p in new_opt.param_groups[0]["params"]:
                old = old_by_name.get(new_names[id(p)])
                state = old_opt.state.get(old) if old is not None else None
                if state:
                    new_opt.state[p] = {
                        key: _padded(value, p.shape) if torch.is_tensor(value) else value
                        for key, value in state.items()
                    }
        return fresh

    def moments(self) -> dict[str, Tensor]:
        """Every parameter's Adam state as tensors named ``<parameter>/<key>`` (a lazy row
        step count as an int64 scalar), for :meth:`restore`."""
        names = {id(p): name for name, p in self.named}
        out: dict[str, Tensor] = {}
        for optimizer in self.optimizers:
            for p in optimizer.param_groups[0]["params"]:
                for key, value in optimizer.state.get(p, {}).items():
                    tensor = value if torch.is_tensor(value) else torch.tensor(value)
                    out[f"{names[id(p)]}/{key}"] = tensor
        return out

    def restore(self, moments: Mapping[str, Tensor]) -> None:
        """Take the state :meth:`moments` gave, for this optimizer's parameters.

        Raises:
            ValueError: ``moments`` do not fit these parameters (names or shapes); nothing was
                taken.
        """
        names = {id(p): name for name, p in self.named}
        states: list[tuple[torch.optim.Optimizer, Tensor, dict[str, Tensor | int]]] = []
        expected: set[str] = set()
        for optimizer in self.optimizers:
            for p in optimizer.param_groups[0]["params"]:
                prefix = f"{names[id(p)]}/"
                state = {k[len(prefix) :]: v for k, v in moments.items() if k.startswith(prefix)}
                for key, value in state.items():
                    if value.dim() and tuple(value.shape) != tuple(p.shape):
                        raise ValueError(
                            f"{prefix}{key}: shape {tuple(value.shape)}, not {tuple(p.shape)}"
                        )
                expected |= {prefix + key for key in state}
                states.append((optimizer, p, {k: _value(v) for k, v in state.items()}))
        if unknown := set(moments) - expected:
            raise ValueError(f"moments of unknown parameters: {sorted(unknown)[:3]}")
        for optimizer, p, values in states:
            if values:
                optimizer.state[p] = values

    def set_lr(self, lr: float) -> None:
        """Set the learning rate of every group."""
        for optimizer, scale in zip(self.optimizers, (self.dense_scale, 1.0), strict=True):
            for group in optimizer.param_groups:
                group["lr"] = lr * scale

    def zero_grad(self) -> None:
        """Drop all gradients."""
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=True)

    def clip_and_check(self, max_norm: float) -> bool:
        """Clip the dense gradients' norm; False if any gradient holds NaN / infinity."""
        norm = torch.nn.utils.clip_grad_norm_(
            [p for p in self.dense if p.grad is not None], max_norm
        )
        if not torch.isfinite(norm):
            return False
        for p in self.sparse:
            if p.grad is not None:
                p.grad = p.grad.coalesce()  # once, here; LazyAdam reuses it
                if not torch.isfinite(p.grad.values()).all():
                    return False
        return True

    def step(self) -> None:
        """Apply one update."""
        for optimizer in self.optimizers:
            optimizer.step()


def _value(tensor: Tensor) -> Tensor | int:
    """A saved state value as the optimizer keeps it (lazy Adam counts steps in a Python int)."""
    if tensor.dim() == 0 and tensor.dtype == torch.int64:
        return int(tensor)
    return tensor.clone()


def _padded(value: Tensor, shape: torch.Size) -> Tensor:
    """An optimizer moment zero-padded along dim 0 to ``shape`` (scalars kept as they are)."""
    if value.dim() == 0 or tuple(value.shape) == tuple(shape):
        return value
    out = value.new_zeros(shape)
    out[: value.shape[0]] = value
    return out
