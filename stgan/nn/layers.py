"""Small building blocks shared by generators and discriminators."""

from __future__ import annotations

import torch
from torch import nn


def conv3d_block(c_in: int, c_out: int, *, stride: tuple[int, int, int] = (1, 1, 1)) -> nn.Sequential:
    """3×3×3 convolution (zero 'same' padding at stride 1) followed by LeakyReLU(0.2)."""
    return nn.Sequential(
        nn.Conv3d(c_in, c_out, kernel_size=3, stride=stride, padding=1),
        nn.LeakyReLU(0.2),
    )


def center_crop(x: torch.Tensor, size: tuple[int, int, int]) -> torch.Tensor:
    """Crop the last three dims of ``x`` (B, C, T, H, W) to ``size`` around the centre."""
    slices = []
    for have, want in zip(x.shape[-3:], size):
        if want > have:
            raise ValueError(f"cannot crop {have} to {want}")
        start = (have - want) // 2
        slices.append(slice(start, start + want))
    return x[..., slices[0], slices[1], slices[2]]
