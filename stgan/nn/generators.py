"""Generators: latent noise → (B, C, T, H, W) windows of standardised fields."""

from __future__ import annotations

import math

import torch
from torch import nn

from stgan.nn.layers import center_crop, conv3d_block
from stgan.registry import Registry

GENERATORS = Registry("generator")


@GENERATORS.register("conv3d")
class Conv3dGenerator(nn.Module):
    """Fully convolutional 3D generator from a latent grid.

    The latent is a coarse grid ``(latent_channels, ⌈T/2^m⌉, ⌈H/2^n⌉, ⌈W/2^n⌉)``; each of the
    ``n`` upsampling blocks doubles space (and, for the first ``m`` blocks, time) with nearest
    upsampling and two 3×3×3 convolutions, halving the width. The result is centre-cropped to
    the window, so any ``(T, H, W)`` works and a larger latent grid gives a larger domain or a
    longer window from the same weights.

    Parameters
    ----------
    channels : int
        Output channels: one per variable.
    latent_channels : int
        Channels of the latent noise grid.
    width : int
        Channels of the last block; earlier blocks have ``width·2^k``.
    spatial_upsamples : int
        Number of ×2 upsampling blocks in space (``n``).
    temporal_upsamples : int
        How many of those blocks also double time (``m ≤ n``).
    """

    def __init__(
        self,
        channels: int,
        latent_channels: int = 16,
        width: int = 32,
        spatial_upsamples: int = 2,
        temporal_upsamples: int = 1,
    ) -> None:
        super().__init__()
        if not 0 <= temporal_upsamples <= spatial_upsamples:
            raise ValueError("temporal_upsamples must be between 0 and spatial_upsamples")
        self.latent_channels = latent_channels
        self.spatial_factor = 2**spatial_upsamples
        self.temporal_factor = 2**temporal_upsamples
        widths = [width * 2 ** (spatial_upsamples - i) for i in range(spatial_upsamples + 1)]
        self.stem = conv3d_block(latent_channels, widths[0])
        self.blocks = nn.ModuleList()
        for i in range(spatial_upsamples):
            scale = (2 if i < temporal_upsamples else 1, 2, 2)
            self.blocks.append(
                nn.Sequential(
                    nn.Upsample(scale_factor=scale, mode="nearest"),
                    conv3d_block(widths[i], widths[i + 1]),
                    conv3d_block(widths[i + 1], widths[i + 1]),
                )
            )
        # Linear output: the data are standardised, so no squashing nonlinearity.
        self.head = nn.Conv3d(widths[-1], channels, kernel_size=3, padding=1)

    def latent_shape(self, window: tuple[int, int, int]) -> tuple[int, int, int, int]:
        """Shape of one latent sample (without batch) that generates ``window`` = (T, H, W)."""
        t, h, w = window
        return (
            self.latent_channels,
            math.ceil(t / self.temporal_factor),
            math.ceil(h / self.spatial_factor),
            math.ceil(w / self.spatial_factor),
        )

    def forward(self, z: torch.Tensor, window: tuple[int, int, int]) -> torch.Tensor:
        x = self.stem(z)  # (B, C', t, h, w) on the coarse grid
        for block in self.blocks:
            x = block(x)
        return center_crop(self.head(x), window)  # (B, C, T, H, W)
