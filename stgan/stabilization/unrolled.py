"""Unrolled GAN: the generator plays against a discriminator that has looked ahead.

Metz et al. 2017: G minimises f(θ_G, θ_D^K), where θ_D^K is D after K simulated updates
θ_D^{k+1} = θ_D^k − lr·∇_θ L_D(θ_D^k) on the current batch. The updates are kept in the
autograd graph (``create_graph=True``), so G's gradient includes how D would react to it,
which discourages G from collapsing onto the mode D currently likes. The simulated steps
use plain SGD (Metz et al. used Adam in the unrolling; SGD keeps it stateless) on a copy of
D's parameters and buffers through ``torch.func.functional_call``: the real D, its gradients,
buffers and optimiser are left untouched. Cost: K + 1 forward-backward passes of D, with
second-order terms, per G step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.func import functional_call

from stgan.errors import StganError

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def unrolled_generator_loss(
    discriminator: nn.Module,
    d_loss_fn: LossFn,
    g_loss_fn: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    steps: int,
    lr: float,
    d_fn_kwargs: dict[str, Any] | None = None,
) -> torch.Tensor:
    """G's loss against D unrolled ``steps`` differentiable SGD steps ahead.

    Parameters
    ----------
    discriminator : nn.Module
        D, called as ``discriminator(x, **d_fn_kwargs) -> (B,)`` logits.
    d_loss_fn : callable
        ``d_loss_fn(D(real), D(fake)) -> scalar``, the D loss to unroll (e.g.
        ``LOSSES.get(key).discriminator``).
    g_loss_fn : callable
        ``g_loss_fn(D(fake)) -> scalar``, G's loss.
    real, fake : torch.Tensor
        (B, C, T, H, W) batches; ``fake`` must carry G's graph (not detached).
    steps : int
        K ≥ 0; 0 is the ordinary G loss, ``g_loss_fn(D(fake))``.
    lr : float
        Learning rate of the simulated SGD steps.
    d_fn_kwargs : dict | None
        Extra keyword arguments of D's forward (a mask, ...).
    """
    if int(steps) != steps or steps < 0:
        raise StganError(f"unrolled steps must be an integer >= 0, got {steps}")
    if lr <= 0:
        raise StganError(f"unrolled lr must be > 0, got {lr}")
    kwargs = d_fn_kwargs or {}
    if steps == 0:
        return g_loss_fn(discriminator(fake, **kwargs))

    # Fresh leaves: D's own parameters may have requires_grad off (Lightning's toggle_optimizer
    # in the G step), and gradients must not reach D's .grad. Buffers are cloned because
    # batch-norm and spectral-norm forwards update them in place.
    params = {
        n: p.detach().clone().requires_grad_(True) for n, p in discriminator.named_parameters()
    }
    buffers = {n: b.clone() for n, b in discriminator.named_buffers()}

    def d(x: torch.Tensor, state: dict[str, torch.Tensor]) -> torch.Tensor:
        return functional_call(discriminator, {**state, **buffers}, (x,), kwargs)

    real = real.detach()
    for _ in range(int(steps)):
        loss_d = d_loss_fn(d(real, params), d(fake, params))
        grads = torch.autograd.grad(
            loss_d, list(params.values()), create_graph=True, allow_unused=True
        )
        params = {n: p if g is None else p - lr * g for (n, p), g in zip(params.items(), grads)}
    return g_loss_fn(d(fake, params))
