"""How a generator takes conditions: pooled onto its latent, and in a residual refinement.

Discriminators take them as extra input channels (the training module concatenates them to
every window D sees), which needs no change to any discriminator. Generators are wrapped.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stgan.conditioning.conditions import WIDTH
from stgan.nn.layers import LEAKY_SLOPE, conv3d, conv3d_block


class ConditionedGenerator(nn.Module):
    """A generator of any kind, conditioned on K channels of its windows' place.

    ``forward(z, window, cond)``: the conditions (B, K, T, H, W) are encoded per cell (two
    1×1×1 layers), average-pooled onto the latent's own grid (a latent vector: one cell, the
    window's mean) and added to ``z`` through a 1×1×1 projection, so the month or the year can
    change the whole window; the base generator's output is then refined at full resolution
    by a residual stack of 3×3×3 convolutions that sees the output and the conditions side by
    side (concatenated), so the mean and spread at each cell can follow the map given. Both
    additions start at zero: at initialisation the model is its base generator.

    Parameters
    ----------
    base : nn.Module
        The generator (``latent_shape(window)``, ``forward(z, window)``).
    channels : int
        Output channels C.
    k : int
        Condition channels K.
    width : int
        Channels of the encoder and of the refinement.
    periodic_x : bool
        Wrap the refinement's padding in x (global grids), as the base does.
    known : tuple of int
        Offsets in the conditions of known values and their indicator (see above).
    """

    def __init__(
        self,
        base: nn.Module,
        channels: int,
        k: int,
        *,
        width: int = WIDTH,
        periodic_x: bool = False,
        known: tuple[int, ...] = (),
    ) -> None:
        super().__init__()
        self.base = base
        self.channels, self.known = channels, tuple(known)
        for name in ("max_length", "length_note", "latent_categories"):
            if hasattr(base, name):  # what sampling and the InfoGAN term read off a generator
                setattr(self, name, getattr(base, name))
        latent_channels = base.latent_shape((1, 1, 1))[0]
        self.encode = nn.Sequential(
            nn.Conv3d(k, width, 1),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Conv3d(width, width, 1),
            nn.LeakyReLU(LEAKY_SLOPE),
        )
        self.to_latent = nn.Conv3d(width, latent_channels, 1)
        self.refine = nn.Sequential(
            conv3d_block(channels + k, width, periodic_x=periodic_x),
            conv3d_block(width, width, periodic_x=periodic_x),
            conv3d(width, channels, periodic_x=periodic_x),
        )
        for layer in (self.to_latent, self.refine[-1]):
            last = [m for m in layer.modules() if isinstance(m, nn.Conv3d)][-1]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def latent_shape(self, window: tuple[int, int, int]) -> tuple[int, ...]:
        """The base generator's latent shape."""
        return self.base.latent_shape(window)

    def categories(self, z: torch.Tensor) -> torch.Tensor:
        """The base generator's latent categories (InfoGAN)."""
        return self.base.categories(z)

    def forward(
        self, z: torch.Tensor, window: tuple[int, int, int], cond: torch.Tensor
    ) -> torch.Tensor:
        """(B, C, T, H, W) windows from latent ``z`` under conditions ``cond`` (B, K, T, H, W)."""
        e = self.encode(cond)
        z = z + self.to_latent(F.adaptive_avg_pool3d(e, z.shape[2:])).to(z.dtype)
        x = self.base(z, window)
        x = x + self.refine(torch.cat([x, cond.to(x.dtype)], dim=1))
        c = self.channels
        for start in self.known:
            values, given = cond[:, start : start + c], cond[:, start + c : start + c + 1]
            x = torch.lerp(x, values.to(x.dtype), given.to(x.dtype))
        return x


def conditioned(
    base: nn.Module, channels: int, conditions, *, periodic_x: bool = False
) -> nn.Module:
    """``base`` wrapped in a :class:`ConditionedGenerator` for ``conditions`` (a
    :class:`~stgan.conditioning.conditions.Conditions`); ``base`` itself when None."""
    if conditions is None:
        return base
    return ConditionedGenerator(
        base,
        channels,
        conditions.k,
        width=conditions.width,
        periodic_x=periodic_x,
        known=conditions.known_offsets(),
    )


def run_generator(
    network: nn.Module, z: torch.Tensor, window: tuple[int, int, int], cond: torch.Tensor | None
) -> torch.Tensor:
    """``network(z, window)``, or ``network(z, window, cond)`` for a conditioned generator."""
    return network(z, window) if cond is None else network(z, window, cond)
