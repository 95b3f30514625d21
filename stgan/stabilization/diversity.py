"""Remedies for mode collapse that act on G's samples: PacGAN packing and mode seeking."""

from __future__ import annotations

import torch

from stgan.errors import StganError


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """PacGAN (Lin et al. 2018): D judges m samples at once, stacked along channels.

    (B, C, T, H, W) → (B/m, C·m, T, H, W); packed sample i holds samples i·m … i·m + m − 1
    in that order, channel j·C + c being channel c of sample i·m + j. D must be built with
    C·m input channels; real and fake are packed alike.
    """
    b = x.shape[0]
    if int(m) != m or m < 1:
        raise StganError(f"pack size must be an integer >= 1, got {m}")
    if b % m:
        raise StganError(
            f"batch size {b} is not divisible by the pack size {m}; "
            f"use a batch size that is a multiple of {m}"
        )
    return x.reshape(b // m, x.shape[1] * m, *x.shape[2:])  # '(b m) c t h w -> b (m c) t h w'


def mode_seeking_loss(
    g_out1: torch.Tensor,
    g_out2: torch.Tensor,
    z1: torch.Tensor,
    z2: torch.Tensor,
    eps: float = 1e-5,
) -> torch.Tensor:
    """MSGAN (Mao et al. 2019): 1 / (mean|G(z1) − G(z2)| / mean|z1 − z2| + eps).

    G minimises it (times a weight λ, the trainer's option); it is small when different
    latents give different samples. Means over all elements, as in the authors' code.
    """
    ratio = (g_out1 - g_out2).abs().mean() / (z1 - z2).abs().mean()
    return 1 / (ratio + eps)
