"""Discriminator regularisers: penalties added to D's loss, and weight clipping.

Each entry is a class built with its options (``REGULARIZERS.build("r1", gamma=10)``) and
called as ``reg(d_fn, real, fake) -> scalar``, already weighted, where ``d_fn(x) -> (B,)`` is
the discriminator as a callable (the trainer closes over masks, packing, ...). Penalties
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
from typing import Any

import torch
from torch import nn

from stgan.errors import StganError
from stgan.registry import Registry
from stgan.stabilization.augment import Augment

REGULARIZERS = Registry("regularizer")

DiscriminatorFn = Callable[[torch.Tensor], torch.Tensor]  # (B, C, T, H, W) -> (B,)


class Regularizer:
    """Interface: ``weight · every · penalty(...)`` on due steps, and a post-step hook."""

    key = "?"

    def __init__(self, weight: float, every: int = 1) -> None:
        if weight < 0:
            raise StganError(f"regularizer {self.key!r}: weight must be >= 0, got {weight}")
        if int(every) != every or every < 1:
            raise StganError(
                f"regularizer {self.key!r}: every must be an integer >= 1, got {every}"
            )
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
        raise NotImplementedError

    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        """Called after every D optimiser step; a no-op except for weight clipping."""


def _input_gradient(d_fn: DiscriminatorFn, x: torch.Tensor) -> torch.Tensor:
    """∇_x D(x), flattened to (B, C·T·H·W), differentiable w.r.t. D's parameters."""
    x = x.detach()
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    x.requires_grad_(True)
    with torch.autocast(device_type=x.device.type, enabled=False):
        (grad,) = torch.autograd.grad(d_fn(x).to(x.dtype).sum(), x, create_graph=True)
    return grad.flatten(1)


def _uniform(x: torch.Tensor, shape: tuple[int, ...], generator: torch.Generator | None):
    device = generator.device if generator is not None else x.device
    return torch.rand(shape, generator=generator, device=device, dtype=x.dtype).to(x.device)


@REGULARIZERS.register("gp")
class GradientPenalty(Regularizer):
    """WGAN-GP: λ·E[(‖∇D(x̂)‖ − 1)²] on random interpolates x̂ of real and fake."""

    key = "gp"

    def __init__(self, weight: float = 10.0, every: int = 1) -> None:
        super().__init__(weight, every)

    def penalty(self, d_fn, real, fake, *, generator=None):
        eps = _uniform(real, (real.shape[0],) + (1,) * (real.ndim - 1), generator)  # (B,1,..)
        x_hat = eps * real.detach() + (1 - eps) * fake.detach()
        return ((_input_gradient(d_fn, x_hat).norm(dim=1) - 1) ** 2).mean()


class _GradientNorm(Regularizer):
    """(γ/2)·E[‖∇D(x)‖²]: the ½γ convention of Mescheder et al. and StyleGAN2's r1_gamma."""

    on_real = True

    def __init__(self, gamma: float = 10.0, every: int = 1) -> None:
        if gamma < 0:
            raise StganError(f"regularizer {self.key!r}: gamma must be >= 0, got {gamma}")
        super().__init__(gamma / 2, every)
        self.gamma = float(gamma)

    def penalty(self, d_fn, real, fake, *, generator=None):
        x = real if self.on_real else fake
        return _input_gradient(d_fn, x).pow(2).sum(dim=1).mean()


@REGULARIZERS.register("r1")
class R1(_GradientNorm):
    """R1: (γ/2)·E[‖∇D(real)‖²], γ = 10 by default; weight = γ/2."""

    key, on_real = "r1", True


@REGULARIZERS.register("r2")
class R2(_GradientNorm):
    """R2: (γ/2)·E[‖∇D(fake)‖²], γ = 10 by default; weight = γ/2."""

    key, on_real = "r2", False


@REGULARIZERS.register("dragan")
class Dragan(Regularizer):
    """DRAGAN: λ·E[(‖∇D(real + δ)‖ − 1)²], δ = c·std(real)·U[0,1) per element."""

    key = "dragan"

    def __init__(self, weight: float = 10.0, c: float = 0.5, every: int = 1) -> None:
        super().__init__(weight, every)
        if c < 0:
            raise StganError(f"regularizer 'dragan': c must be >= 0, got {c}")
        self.c = float(c)

    def penalty(self, d_fn, real, fake, *, generator=None):
        real = real.detach()
        x = real + self.c * real.std() * _uniform(real, tuple(real.shape), generator)
        return ((_input_gradient(d_fn, x).norm(dim=1) - 1) ** 2).mean()


@REGULARIZERS.register("cr")
class Consistency(Regularizer):
    """Consistency regularisation: λ·E[(D(real) − D(aug(real)))²].

    ``augment`` is a callable ``aug(x) -> x`` or ``-> (x, mask)``, or a dict of
    :class:`~stgan.stabilization.augment.Augment` options (from YAML). The default is
    ``Augment(cutout=0.25, p=1.0)``: cutout is the one operation valid on any grid, and
    ``Augment()``'s own defaults are the identity, which would make the penalty always 0.
    Declare flips or rolls through ``augment`` where they are physically valid. A geometric
    augmentation moves the data but not a mask that ``d_fn`` closes over.
    """

    key = "cr"

    def __init__(
        self, weight: float = 10.0, augment: Callable[..., Any] | dict | None = None, every: int = 1
    ) -> None:
        super().__init__(weight, every)
        if augment is None:
            augment = Augment(cutout=0.25, p=1.0)
        elif isinstance(augment, dict):
            augment = Augment(**augment)
        if isinstance(augment, Augment) and not augment.active:
            raise StganError(
                "regularizer 'cr': its augmentation does nothing (no operation on, or p = 0), so "
                "the penalty would always be 0; enable one of roll_x, flip_x, flip_y, rot90, cutout"
            )
        self.augment = augment

    def penalty(self, d_fn, real, fake, *, generator=None):
        real = real.detach()
        if isinstance(self.augment, Augment):
            augmented = self.augment(real, generator=generator)
        else:
            augmented = self.augment(real)
        if isinstance(augmented, tuple):
            augmented = augmented[0]
        return ((d_fn(real) - d_fn(augmented)) ** 2).mean()


@REGULARIZERS.register("clip")
class WeightClip(Regularizer):
    """Weight clipping (the original WGAN): no penalty; every D parameter ∈ [−c, c]."""

    key = "clip"

    def __init__(self, c: float = 0.01) -> None:
        super().__init__(0.0, 1)
        if c <= 0:
            raise StganError(f"regularizer 'clip': c must be > 0, got {c}")
        self.c = float(c)

    def __call__(self, d_fn, real, fake, *, generator=None):
        return real.new_zeros(())

    @torch.no_grad()
    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        for p in discriminator.parameters():
            p.clamp_(-self.c, self.c)
