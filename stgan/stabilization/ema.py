"""Exponential moving average of the generator's weights.

Sampling from an average of G's recent weights instead of the last iterate smooths out the
oscillation of adversarial training (Karras et al. 2018, ProGAN; Yazıcı et al. 2019). After
each G step, p_ema ← β·p_ema + (1 − β)·p for every parameter, and buffers (batch-norm
statistics, spectral-norm vectors) are copied. After n updates from p_0 this is
β^n·p_0 + Σ_{k=1..n} (1 − β)·β^(n−k)·p_k.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from stgan.errors import StganError


def check_decay(decay: float) -> None:
    """Refuse an EMA decay β outside [0, 1) (NaN included)."""
    if not 0.0 <= decay < 1.0:
        raise StganError(f"ema decay must be in [0, 1), got {decay}")


class EMA(nn.Module):
    """A frozen deep copy of ``model`` tracking its weights' moving average.

    An ``nn.Module`` so that, assigned to the LightningModule, it moves between devices and
    travels in checkpoints. Call it like the wrapped model (for sampling).

    Parameters
    ----------
    model : nn.Module
        The module to average (the generator); copied at construction.
    decay : float
        β in [0, 1); 0.999 (ProGAN used 0.999).
    warmup : bool
        If true, β_n = min(β, (1 + n)/(10 + n)) at the n-th update (TensorFlow's
        ExponentialMovingAverage ``num_updates`` rule), so early, poor weights are forgotten
        fast. Off by default.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, warmup: bool = False) -> None:
        super().__init__()
        check_decay(decay)
        self.module = copy.deepcopy(model).requires_grad_(False)
        self.decay, self.warmup = float(decay), bool(warmup)
        self.register_buffer("num_updates", torch.zeros((), dtype=torch.long))

    def decay_at(self, n: int) -> float:
        """β used for the update that follows ``n`` earlier updates."""
        return min(self.decay, (1 + n) / (10 + n)) if self.warmup else self.decay

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold ``model``'s current parameters into the average; copy its buffers."""
        beta = self.decay_at(int(self.num_updates))
        for p_ema, p in zip(self.module.parameters(), model.parameters(), strict=True):
            p_ema.mul_(beta).add_(p.detach(), alpha=1 - beta)
        for b_ema, b in zip(self.module.buffers(), model.buffers(), strict=True):
            b_ema.copy_(b)
        self.num_updates += 1

    def forward(self, *args, **kwargs):
        """Call the averaged copy of the model with the same arguments as the model."""
        return self.module(*args, **kwargs)
