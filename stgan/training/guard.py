"""Divergence guard: never take an optimiser step on a non-finite loss or gradient.

Before each optimiser step the trainer asks :func:`is_finite` about the loss and the total
gradient norm. On a failure it skips the step and calls :meth:`DivergenceGuard.rollback`,
which restores the last good snapshot of every weight (G, D and the EMA copy) and both
optimisers' states, multiplies the learning rates by ``lr_factor``, and after
``max_rollbacks`` rollbacks stops training with a :class:`~stgan.errors.StganError`. Snapshots
are taken in memory every ``snapshot_every`` good iterations, and only of finite weights, so a
rollback never restores a NaN.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from stgan.errors import StganError
from stgan.registry import call_checked


def is_finite(*values: torch.Tensor | float) -> bool:
    """True when every value (tensor or number) is finite."""
    return all(bool(torch.isfinite(torch.as_tensor(v)).all()) for v in values)


def weights_finite(module: nn.Module) -> bool:
    """True when every floating-point parameter and buffer of ``module`` is finite."""
    return all(
        bool(torch.isfinite(t).all())
        for t in module.state_dict().values()
        if torch.is_tensor(t) and t.is_floating_point()
    )


class DivergenceGuard:
    """Skip non-finite updates, roll back to the last good state, give up after a few tries.

    Parameters
    ----------
    max_rollbacks : int
        Rollbacks allowed; the next non-finite value ends training with a clear error.
    lr_factor : float
        Every learning rate is multiplied by this at each rollback (1.0 keeps them).
    snapshot_every : int
        Good iterations between in-memory snapshots of weights and optimiser states.
    enabled : bool
        False turns the guard off (non-finite steps are then taken as they come).
    """

    def __init__(
        self,
        max_rollbacks: int = 3,
        lr_factor: float = 0.5,
        snapshot_every: int = 10,
        enabled: bool = True,
    ) -> None:
        problems = [
            f"max_rollbacks >= 0 (got {max_rollbacks})"
            * (int(max_rollbacks) != max_rollbacks or max_rollbacks < 0),
            f"lr_factor in (0, 1] (got {lr_factor})" * (not 0.0 < lr_factor <= 1.0),
            f"snapshot_every >= 1 (got {snapshot_every})"
            * (int(snapshot_every) != snapshot_every or snapshot_every < 1),
        ]
        if any(problems):
            raise StganError(f"model.guard needs {'; '.join(p for p in problems if p)}")
        self.max_rollbacks, self.lr_factor = int(max_rollbacks), float(lr_factor)
        self.snapshot_every, self.enabled = int(snapshot_every), bool(enabled)
        self.rollbacks = 0
        self.events: list[dict[str, Any]] = []  # one per rollback: step and reason
        self._good = 0
        self._snapshot: tuple[dict[str, torch.Tensor], list[dict[str, Any]]] | None = None
        self.snapshot_step: int | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> DivergenceGuard:
        """Build from a ``model.guard`` mapping (None: the defaults)."""
        if options is None:
            return cls()
        if not isinstance(options, dict):
            raise StganError(
                "model.guard takes a mapping, e.g. {max_rollbacks: 3, "
                f"lr_factor: 0.5}}, got {options!r}"
            )
        return call_checked(cls, "model.guard", options)

    def snapshot(
        self, module: nn.Module, optimizers: list[torch.optim.Optimizer], step: int
    ) -> bool:
        """Keep a copy of ``module``'s weights and the optimisers' states if all are finite."""
        if not weights_finite(module):
            return False
        weights = {k: v.detach().clone() for k, v in module.state_dict().items()}
        self._snapshot = (weights, [copy.deepcopy(o.state_dict()) for o in optimizers])
        self.snapshot_step = step
        return True

    def good_iteration(
        self, module: nn.Module, optimizers: list[torch.optim.Optimizer], step: int
    ) -> None:
        """Count a finite iteration; snapshot every ``snapshot_every`` of them."""
        self._good += 1
        if self._snapshot is None or self._good % self.snapshot_every == 0:
            self.snapshot(module, optimizers, step)

    def rollback(
        self, module: nn.Module, optimizers: list[torch.optim.Optimizer], step: int, reason: str
    ) -> None:
        """Restore the last good state and lower the learning rates, or stop if out of tries."""
        self.rollbacks += 1
        self.events.append({"step": int(step), "reason": reason})
        if self.rollbacks > self.max_rollbacks:
            raise StganError(
                f"training diverged: {reason} at step {step}, after {self.max_rollbacks} "
                "rollbacks to the last good state; lower the learning rates "
                "(model.optimizer.lr_g, lr_d), add a regulariser (r1 or gp) or spectral norm, or use the "
                "hinge-sn-r1 preset. No checkpoint with non-finite weights was written"
            )
        if self._snapshot is None:
            raise StganError(
                f"training diverged: {reason} at step {step}, before any good "
                "state was recorded; lower the learning rates or check the data"
            )
        weights, states = self._snapshot
        module.load_state_dict(weights)
        for opt, state in zip(optimizers, states, strict=True):
            lrs = [group["lr"] for group in opt.param_groups]
            opt.load_state_dict(copy.deepcopy(state))
            for group, lr in zip(opt.param_groups, lrs, strict=True):
                group["lr"] = lr * self.lr_factor
            opt.zero_grad(set_to_none=True)
