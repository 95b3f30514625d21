"""Generators: latent noise → (B, C, T, H, W) windows of standardised fields.

=======  ====================================================================================
key      generator
=======  ====================================================================================
conv3d   :class:`Conv3dGenerator`: 3D convolutions upsampling a coarse latent grid
convgru  :class:`stgan.nn.convgru.ConvGRUGenerator`: a ConvGRU state stepped through time, one
         latent frame per step; streams windows of any length in constant memory
=======  ====================================================================================

Every generator is built as ``G(channels, **options)`` and has ``latent_shape(window)`` (one
latent sample, without batch, for a ``(T, H, W)`` window) and ``forward(z, window)`` →
(B, C, T, H, W).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from stgan.errors import StganError
from stgan.nn import convgru as _convgru  # noqa: F401  (registers "convgru")
from stgan.nn.layers import LEAKY_SLOPE, center_crop, conv3d, conv3d_block, linear
from stgan.nn.registry import GENERATORS
from stgan.nn.upsample import UpsampleBlock

__all__ = ["GENERATORS", "Conv3dGenerator"]


@GENERATORS.register("conv3d")
class Conv3dGenerator(nn.Module):
    """Fully convolutional 3D generator from a latent grid.

    The latent is a coarse grid ``(latent_channels, ⌈T/2^m⌉, ⌈H/2^n⌉, ⌈W/2^n⌉)``; each of the
    ``n`` upsampling blocks doubles space (and, for the first ``m`` blocks, time) with nearest
    upsampling and two 3×3×3 convolutions, halving the width. The result is centre-cropped to
    the window, so any ``(T, H, W)`` works and a larger latent grid gives a larger domain or a
    longer window from the same weights.

    With ``latent_vector = d > 0`` the latent is instead one vector of ``d`` numbers per sample
    (shape ``(d, 1, 1, 1)``), mapped by a linear layer onto the coarse grid of the training
    ``window`` as in DCGAN (Radford et al. 2016). Every cell of the window then depends on the
    whole latent, which is what a field with one global structure needs (a plane wave with one
    direction and phase across the window, ``stgan make-data waves``): from a grid of
    independent local latents the convolutions can only agree on such a structure within
    their receptive field. The price: the generator makes windows of the training size only.

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
    factorized : bool
        Replace every 3×3×3 convolution by a 1×3×3 spatial one and a 3×1×1 temporal one,
        (2+1)D as in Tran et al. (2018): an extra nonlinearity per layer, about the same
        parameter count.
    periodic_x : bool
        Pad by wrapping in x and replicating in y instead of zeros, for global grids. With a
        window as wide as the latent grid × ``2^n`` the output then rolls with the latent.
    spectral_norm : bool
        Spectrally normalise every convolution (Miyato et al. 2018; used on the generator
        too by SAGAN, Zhang et al. 2019, to curb its gradient scale).
    latent_vector : int
        0 (default): the latent grid above. ``d > 0``: a latent vector of ``d`` numbers,
        projected linearly onto the coarse grid of ``window``.
    latent_categories : int
        With ``latent_vector``: 0 (default), or ``K >= 2`` to make the latent a mixture of
        ``K`` disconnected parts. The first ``K`` numbers of the latent vector pick one
        category (their argmax: uniform, as the entries are i.i.d.), and are replaced by its
        one-hot code before the projection, so each category gets its own offset on the
        coarse grid (a categorical code as in InfoGAN, Chen et al. 2016). A continuous map
        from one Gaussian can only cover an arc of disconnected modes; from ``K`` separate
        pieces it need not. The latent is still standard normal, so sampling is unchanged.
    window : tuple[int, int, int] | None
        The training ``(T, H, W)``, needed (and passed by the training module) only with
        ``latent_vector``.
    """

    length_note = (
        "conv3d makes a longer window from a longer latent grid: steps further apart "
        "than its temporal receptive field are independent of each other"
    )

    def __init__(
        self,
        channels: int,
        latent_channels: int = 16,
        width: int = 32,
        spatial_upsamples: int = 2,
        temporal_upsamples: int = 1,
        factorized: bool = False,
        periodic_x: bool = False,
        spectral_norm: bool = False,
        latent_vector: int = 0,
        latent_categories: int = 0,
        window: tuple[int, int, int] | None = None,
    ) -> None:
        super().__init__()
        if not 0 <= temporal_upsamples <= spatial_upsamples:
            raise StganError(
                f"generator option temporal_upsamples must be between 0 and "
                f"spatial_upsamples ({spatial_upsamples}), got {temporal_upsamples}"
            )
        if not isinstance(latent_vector, int) or latent_vector < 0:
            raise StganError(
                f"generator option latent_vector must be an integer >= 0 (0: a latent "
                f"grid), got {latent_vector!r}; e.g. latent_vector: 64"
            )
        if (
            not isinstance(latent_categories, int)
            or latent_categories == 1
            or latent_categories < 0
            or latent_categories >= max(latent_vector, 1)
        ):
            raise StganError(
                f"generator option latent_categories must be 0 or an integer from 2 to "
                f"latent_vector - 1 (it needs latent_vector), got {latent_categories!r} "
                f"with latent_vector {latent_vector!r}; e.g. latent_vector: 64, "
                f"latent_categories: 8"
            )
        self.latent_categories = latent_categories
        self.latent_channels = latent_channels
        self.spatial_factor = 2**spatial_upsamples
        self.temporal_factor = 2**temporal_upsamples
        widths = [width * 2 ** (spatial_upsamples - i) for i in range(spatial_upsamples + 1)]
        opts = dict(factorized=factorized, periodic_x=periodic_x, spectral_norm=spectral_norm)
        self.latent_vector = latent_vector
        self.project = None
        if self.latent_vector:
            if window is None:
                raise ValueError("latent_vector needs the training window (T, H, W)")
            self.window = tuple(int(n) for n in window)
            self.max_length = self.window[0]
            self.length_note = "its latent vector is projected onto the training window's grid"
            self.grid = self._coarse(self.window)
            self.project = nn.Sequential(
                linear(
                    self.latent_vector,
                    latent_channels * math.prod(self.grid),
                    spectral_norm=spectral_norm,
                ),
                nn.LeakyReLU(LEAKY_SLOPE),
            )
        self.stem = conv3d_block(latent_channels, widths[0], **opts)
        self.blocks = nn.ModuleList()
        for i in range(spatial_upsamples):
            scale = (2 if i < temporal_upsamples else 1, 2, 2)
            self.blocks.append(
                UpsampleBlock(
                    scale,
                    conv3d_block(widths[i], widths[i + 1], **opts),
                    conv3d_block(widths[i + 1], widths[i + 1], **opts),
                )
            )
        # Linear output: the data are standardised, so no squashing nonlinearity.
        self.head = conv3d(widths[-1], channels, **opts)

    def _coarse(self, window: tuple[int, int, int]) -> tuple[int, int, int]:
        t, h, w = window
        return (
            math.ceil(t / self.temporal_factor),
            math.ceil(h / self.spatial_factor),
            math.ceil(w / self.spatial_factor),
        )

    def latent_shape(self, window: tuple[int, int, int]) -> tuple[int, int, int, int]:
        """Shape of one latent sample (without batch) that generates ``window`` = (T, H, W)."""
        if self.latent_vector:
            return (self.latent_vector, 1, 1, 1)
        return (self.latent_channels, *self._coarse(window))

    def categories(self, z: torch.Tensor) -> torch.Tensor:
        """The category (0 .. K-1) each latent of a ``latent_categories`` generator picks."""
        return z.flatten(1)[:, : self.latent_categories].argmax(dim=1)

    def forward(self, z: torch.Tensor, window: tuple[int, int, int]) -> torch.Tensor:
        """Latent ``z`` → windows (B, C, T, H, W) cropped to ``window`` = (T, H, W).

        ``z`` is (B, *latent_shape(window)). With ``latent_vector`` it is projected onto the
        training window's coarse grid (its first ``latent_categories`` entries replaced by the
        one-hot code of their argmax), so ``window`` may not exceed the training window.
        """
        if self.project is not None:
            if any(n > m for n, m in zip(window, self.window)):
                raise ValueError(f"this generator makes windows up to {self.window}, not {window}")
            z = z.flatten(1)
            if self.latent_categories:
                k = self.latent_categories
                code = nn.functional.one_hot(self.categories(z), k).to(z.dtype)
                z = torch.cat([code, z[:, k:]], dim=1)
            z = self.project(z).view(z.shape[0], self.latent_channels, *self.grid)
        x = self.stem(z)  # (B, C', t, h, w) on the coarse grid
        for block in self.blocks:
            x = block(x)
        return center_crop(self.head(x), window)  # (B, C, T, H, W)
