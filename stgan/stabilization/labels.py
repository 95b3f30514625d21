"""Label tricks for BCE losses: one-sided label smoothing and label flipping.

One-sided smoothing (Salimans et al. 2016) trains D towards ``real_target`` = 1 − smoothing
on real samples and keeps the fake target at 0, so D is not rewarded for extreme confidence
on real data while fakes are not pulled towards the data. Flipping swaps each sample's
target with probability ``flip`` (flipped reals → 0, flipped fakes → ``real_target``), a
noisy-label trick from practitioners' "GAN hacks". Both only make sense for losses that are
binary cross-entropy on D's logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from stgan.errors import StganError

BCE_LOSSES = ("minimax", "nonsaturating")  # the loss keys that are BCE on D's logits


def bce_discriminator_loss(
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    real_target: float = 1.0,
    flip: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """E_real[BCE(r, t_r)] + E_fake[BCE(f, t_f)] on logits, with smoothed and flipped targets.

    ``t_r = real_target`` and ``t_f = 0``, each swapped for the other with probability
    ``flip`` per sample. With ``real_target=1, flip=0`` this is the minimax /
    non-saturating D loss, −log σ(r) − log(1 − σ(f)).
    """
    if not 0.0 <= flip <= 1.0:
        raise StganError(f"label flip must be a probability in [0, 1], got {flip}")
    target_real = torch.full_like(real, real_target)
    target_fake = torch.zeros_like(fake)
    if flip > 0:  # no draw at 0, so the random stream is untouched

        def flipped(x: torch.Tensor) -> torch.Tensor:
            device = generator.device if generator is not None else x.device
            return (torch.rand(x.shape, generator=generator, device=device) < flip).to(x.device)

        target_real = torch.where(flipped(real), torch.zeros_like(real), target_real)
        target_fake = torch.where(flipped(fake), torch.full_like(fake, real_target), target_fake)
    return F.binary_cross_entropy_with_logits(
        real, target_real
    ) + F.binary_cross_entropy_with_logits(fake, target_fake)


def check_label_options(loss_key: str, smoothing: float = 0.0, flip: float = 0.0) -> None:
    """Refuse label smoothing / flipping outside [0, 0.5) or with a non-BCE loss."""
    for name, value in (("label smoothing", smoothing), ("label flip", flip)):
        if not 0.0 <= value < 0.5:
            raise StganError(f"{name} must be in [0, 0.5) (0 turns it off), got {value}")
    if (smoothing or flip) and loss_key not in BCE_LOSSES:
        raise StganError(
            f"label smoothing and flipping need a BCE loss, but the loss is {loss_key!r}; "
            f"use loss {' or '.join(BCE_LOSSES)}, or set smoothing and flip to 0"
        )
