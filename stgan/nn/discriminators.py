"""Discriminators: (B, C, T, H, W) windows → one score (logit) per sample.

==============  ===============================================================================
key             discriminator
==============  ===============================================================================
conv3d          :class:`Conv3dDiscriminator`: strided 3D convolutions, pooled, linear score
convgru         :class:`stgan.nn.convgru.ConvGRUDiscriminator`: per-frame 2D encoder, ConvGRU
                over time, pooled, linear score
spatiotemporal  :class:`SpatiotemporalDiscriminator`: a 2D critic of a few frames plus a 3D
                critic of the spatially downsampled window, scores summed (DVD-GAN, DGMR)
==============  ===============================================================================

Every discriminator is built as ``D(channels, **options)`` and called as ``D(x, mask=None)``
→ (B,). ``mask`` is None or the (B, 1, 1, H, W) validity map (1 = valid cell); a
discriminator built with ``mask_channel=True`` sees it as one more input channel (so it knows
where land is), the others ignore it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from stgan.nn import convgru as _convgru  # noqa: F401  (registers "convgru")
from stgan.nn.discriminator_flags import DiscriminatorFlags, takes_flags
from stgan.nn.layers import MinibatchStd, strided_blocks
from stgan.nn.registry import DISCRIMINATORS

__all__ = ["DISCRIMINATORS", "Conv3dDiscriminator", "SpatiotemporalDiscriminator"]


@DISCRIMINATORS.register("conv3d")
@takes_flags
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
    factorized : bool
        (2+1)D convolutions: 1×3×3 spatial then 3×1×1 temporal (Tran et al. 2018).
    **flags : bool
        ``periodic_x``, ``spectral_norm``, ``minibatch_std``, ``mask_channel``: see
        :class:`~stgan.nn.discriminator_flags.DiscriminatorFlags`.
    """

    def __init__(
        self,
        channels: int,
        width: int = 32,
        depth: int = 3,
        temporal_downsamples: int = 1,
        max_width: int = 256,
        factorized: bool = False,
        **flags: bool,
    ) -> None:
        super().__init__()
        self.flags = DiscriminatorFlags(**flags)
        layers, c = strided_blocks(
            self.flags.in_channels(channels),
            width,
            depth,
            max_width=max_width,
            dims=3,
            temporal_downsamples=temporal_downsamples,
            factorized=factorized,
            minibatch_std=self.flags.minibatch_std,
            **self.flags.conv_options,
        )
        self.features = nn.Sequential(*layers)
        self.head = self.flags.head(c)

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The pooled features the score is read from, (B, C'): the last block's channels
        averaged over the remaining grid (InfoGAN's Q reads its categories from them)."""
        return self.features(self.flags.inputs(x, mask)).mean(dim=(2, 3, 4))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Scores (B,) of windows ``x`` (B, C, T, H, W); ``mask`` (B, 1, 1, H, W) or None."""
        return self.head(self.embed(x, mask)).squeeze(-1)  # (B,)


class FrameDiscriminator(nn.Module):
    """2D critic of single frames: strided 2D convolutions, pooling, a linear score per frame.

    ``forward`` takes (B, n, C, H, W) and returns the per-frame scores summed over the
    ``n`` frames, (B,). The frames carry the mask channel when ``flags.mask_channel`` is on
    (the caller appends it); minibatch std, when on, is taken over samples with all ``n``
    frames of a sample counted as its features.
    """

    def __init__(
        self, channels: int, width: int, depth: int, flags: DiscriminatorFlags, max_width: int = 256
    ) -> None:
        super().__init__()
        layers, c = strided_blocks(
            flags.in_channels(channels),
            width,
            depth,
            max_width=max_width,
            dims=2,
            minibatch_std=flags.minibatch_std,
            **flags.conv_options,
        )
        self.features = nn.ModuleList(layers)
        self.head = flags.head(c)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Scores (B,) of ``frames`` (B, n, C, H, W): the per-frame scores summed over n."""
        b, n = frames.shape[:2]
        h = rearrange(frames, "b n c h w -> (b n) c h w")
        for layer in self.features:
            h = layer(h, frames=n) if isinstance(layer, MinibatchStd) else layer(h)
        score = self.head(h.mean(dim=(2, 3))).squeeze(-1)  # (B·n,)
        return rearrange(score, "(b n) -> b n", b=b).sum(dim=1)  # (B,)


@DISCRIMINATORS.register("spatiotemporal")
@takes_flags
class SpatiotemporalDiscriminator(nn.Module):
    """A spatial critic of a few frames plus a temporal critic of a coarsened window.

    The dual discriminator of DVD-GAN (Clark et al. 2019), also used by DGMR (Ravuri et al.
    2021): the spatial part (:class:`FrameDiscriminator`) scores ``n_frames`` full-resolution
    frames and sums their scores; the temporal part (:class:`Conv3dDiscriminator`) scores the
    whole window average-pooled by ``downsample`` in y and x. The two scores are summed.
    Judging only a few frames keeps the spatial critic cheap for long windows; the pooled cube
    leaves the temporal critic to judge motion rather than fine detail.

    In training mode each sample gets its own random set of frames, drawn without replacement
    from torch's global generator; in eval mode the frames are evenly spaced (first and last
    included), so scores are deterministic. With ``T ≤ n_frames`` every frame is used.

    Parameters
    ----------
    channels : int
        Input channels: one per variable.
    width : int
        Channels after the first convolution of each part.
    depth : int
        Strided blocks in each part.
    n_frames : int
        Frames the spatial part judges; DVD-GAN uses 8 of 12-48, 4 suits 8-step windows.
    downsample : int
        Spatial average-pooling factor in front of the temporal part; 2 as in DVD-GAN.
    **flags : bool
        As for :class:`Conv3dDiscriminator`, applied to both parts.
    """

    def __init__(
        self,
        channels: int,
        width: int = 16,
        depth: int = 3,
        n_frames: int = 4,
        downsample: int = 2,
        **flags: bool,
    ) -> None:
        super().__init__()
        if n_frames < 1 or downsample < 1:
            raise ValueError("n_frames and downsample must be at least 1")
        self.n_frames = n_frames
        self.downsample = downsample
        self.flags = DiscriminatorFlags(**flags)
        self.spatial = FrameDiscriminator(channels, width, depth, self.flags)
        self.temporal = Conv3dDiscriminator(channels, width, depth, **flags)

    def frame_indices(self, batch: int, length: int, device: torch.device) -> torch.Tensor:
        """(B, n) sorted indices of the frames the spatial part judges (see class docstring)."""
        n = min(self.n_frames, length)
        if self.training:
            return torch.rand(batch, length).argsort(dim=1)[:, :n].sort(dim=1).values.to(device)
        even = torch.linspace(0, length - 1, n).round().long()
        return even.expand(batch, n).to(device)

    def scores(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The spatial and the temporal score, each (B,); ``forward`` returns their sum."""
        b, _, t, h, w = x.shape
        full = self.flags.inputs(x, mask)  # (B, C[+1], T, H, W)
        idx = self.frame_indices(b, t, x.device)  # (B, n)
        rows = torch.arange(b, device=x.device)[:, None]  # (B, 1), pairs with idx (B, n)
        frames = rearrange(full, "b c t h w -> b t c h w")[rows, idx]  # (B, n, C[+1], H, W)
        spatial = self.spatial(frames)  # (B,)
        # A grid smaller than the factor is pooled whole; ceil_mode keeps a ragged last row and
        # column (averaged over the cells that exist) instead of dropping them.
        kernel = (1, min(self.downsample, h), min(self.downsample, w))
        coarse = F.avg_pool3d(x, kernel, ceil_mode=True)
        # Pooled, the mask becomes the valid fraction of each coarse cell.
        coarse_mask = (
            None if mask is None else F.avg_pool3d(mask.to(x.dtype), kernel, ceil_mode=True)
        )
        return spatial, self.temporal(coarse, coarse_mask)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Scores (B,) of windows ``x`` (B, C, T, H, W): spatial plus temporal score (:meth:`scores`)."""
        spatial, temporal = self.scores(x, mask)
        return spatial + temporal  # (B,)
