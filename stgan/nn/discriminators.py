"""Discriminators: (B, C, T, H, W) windows → one score (logit) per sample."""

from __future__ import annotations

import torch
from torch import nn

from stgan.nn.layers import conv3d_block
from stgan.registry import Registry

DISCRIMINATORS = Registry("discriminator")


@DISCRIMINATORS.register("conv3d")
class Conv3dDiscriminator(nn.Module):
    """Strided 3D convolutions, global average pooling and a linear score.

    Every downsampling block halves space (and, for the first ``temporal_downsamples``
    blocks, time) while doubling the width, capped at ``max_width``. Pooling over the whole
    remaining grid makes the score defined for any window size.

    Parameters
    ----------
    channels : int
        Input channels: one per variable.
    width : int
        Channels after the first convolution.
    depth : int
        Number of strided downsampling blocks.
    temporal_downsamples : int
        How many blocks also halve time.
    max_width : int
        Upper bound on the channels of any block.
    """

    def __init__(
        self,
        channels: int,
        width: int = 32,
        depth: int = 3,
        temporal_downsamples: int = 1,
        max_width: int = 256,
    ) -> None:
        super().__init__()
        layers = [conv3d_block(channels, width)]
        c = width
        for i in range(depth):
            c_next = min(2 * c, max_width)
            stride = (2 if i < temporal_downsamples else 1, 2, 2)
            layers.append(conv3d_block(c, c_next, stride=stride))
            c = c_next
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)  # (B, C', T', H', W')
        return self.head(h.mean(dim=(2, 3, 4))).squeeze(-1)  # (B,)
