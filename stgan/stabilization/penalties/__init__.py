"""Discriminator penalties: terms added to D's loss, and weight clipping; one file each.

Each entry is a class built with its options (``PENALTIES.build("r1", gamma=10)``) and called
as ``penalty(d_fn, real, fake) -> scalar``, already weighted, where ``d_fn(x) -> (B,)`` is the
discriminator as a callable (the trainer closes over masks, packing, ...). Penalties
differentiate D's output with respect to its input with ``create_graph=True``, so they are
differentiable with respect to D's parameters. With ‖·‖ the L2 norm over (C, T, H, W) and E
the batch mean:

====== ======================================================== ==============================
key    value                                                    source
====== ======================================================== ==============================
gp     λ·E[(‖∇D(x̂)‖ − 1)²], x̂ = ε·real + (1−ε)·fake, ε~U[0,1]     Gulrajani et al. 2017, λ = 10
r1     (γ/2)·E[‖∇D(real)‖²]                                     Mescheder et al. 2018, γ = 10
r2     (γ/2)·E[‖∇D(fake)‖²]                                     Mescheder et al. 2018, γ = 10
dragan λ·E[(‖∇D(real + δ)‖ − 1)²], δ = c·std(real)·U[0,1)        Kodali et al. 2017, λ=10, c=½
cr     λ·E[(D(real) − D(aug(real)))²]                           Zhang et al. 2020, λ = 10
clip   0; clamps every D parameter to [−c, c] after each D step  Arjovsky et al. 2017, c = 0.01
====== ======================================================== ==============================

A new penalty is one module in this package that subclasses :class:`Penalty` and registers
itself with ``@PENALTIES.register("key")``; the registry imports every module of the package
(names starting with ``_`` excepted) on first lookup, so no other file needs editing.

Lazy regularisation (Karras et al. 2020, StyleGAN2): with ``every = k`` the trainer adds the
penalty only on D steps where ``due(step)`` (step % k == 0), and the value is multiplied by
k so that its average strength is unchanged. The gradient is taken of ``d_fn(x).sum()``:
exact per sample unless D mixes samples (minibatch-std), as in every reference code.

Mixed precision: the input gradient is computed with autocast switched off, in float32.
Under fp16 autocast the gradient of an unscaled ``D(x).sum()`` underflows to zero in many
cells (the loss scaler only scales the final backward pass), which turns ‖∇D‖ into a wrong
or non-finite number; the penalty's cost is one float32 forward and backward of D.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from stgan.errors import StganError
from stgan.registry import Registry

PENALTIES = Registry("penalty", package="stgan.stabilization.penalties")

DiscriminatorFn = Callable[[torch.Tensor], torch.Tensor]  # (B, C, T, H, W) -> (B,)


class Penalty:
    """Interface: ``weight · every · penalty(...)`` on due steps, and a post-step hook.

    Parameters
    ----------
    weight : float
        Multiplies the penalty; >= 0.
    every : int
        Lazy regularisation interval k: applied on every k-th D step, scaled by k.
    """

    key = "?"

    def __init__(self, weight: float, every: int = 1) -> None:
        if weight < 0:
            raise StganError(f"penalty {self.key!r}: weight must be >= 0, got {weight}")
        if int(every) != every or every < 1:
            raise StganError(f"penalty {self.key!r}: every must be an integer >= 1, got {every}")
        self.weight, self.every = float(weight), int(every)

    def due(self, step: int) -> bool:
        """Whether the penalty is applied on discriminator step ``step`` (0-based)."""
        return step % self.every == 0

    def __call__(
        self,
        d_fn: DiscriminatorFn,
        real: torch.Tensor,
        fake: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        # × every: lazy regularisation keeps the average strength (StyleGAN2).
        return (self.weight * self.every) * self.penalty(d_fn, real, fake, generator=generator)

    def penalty(
        self,
        d_fn: DiscriminatorFn,
        real: torch.Tensor,
        fake: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """The unweighted penalty, a scalar; each entry implements its formula here."""
        raise NotImplementedError

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        """Called after every D optimiser step; a no-op except for weight clipping."""


def input_gradient(d_fn: DiscriminatorFn, x: torch.Tensor) -> torch.Tensor:
    """∇_x D(x), flattened to (B, C·T·H·W), differentiable w.r.t. D's parameters.

    Computed in float32 with autocast off (see the module docstring).
    """
    x = x.detach()
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    x.requires_grad_(True)
    with torch.autocast(device_type=x.device.type, enabled=False):
        (grad,) = torch.autograd.grad(d_fn(x).to(x.dtype).sum(), x, create_graph=True)
    return grad.flatten(1)


def uniform(
    x: torch.Tensor, shape: tuple[int, ...], generator: torch.Generator | None
) -> torch.Tensor:
    """U[0, 1) draws of ``shape`` in ``x``'s dtype on ``x``'s device, from ``generator``.

    Drawn on the generator's device (a CPU generator serves a GPU batch), then moved.
    """
    device = generator.device if generator is not None else x.device
    return torch.rand(shape, generator=generator, device=device, dtype=x.dtype).to(x.device)
