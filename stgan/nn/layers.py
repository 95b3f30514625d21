"""Small building blocks shared by generators and discriminators.

Every convolution here pads to 'same' size at stride 1, in one of two ways:

* zeros (the default), as ``nn.Conv3d(padding=1)`` does;
* ``periodic_x``: wrap around in x (longitude) and replicate in y (latitude), so a global grid
  has no artificial east/west edge and no artificial zero band at the poles. Time, where
  present, is still zero-padded: the ends of a window are not boundaries of the data.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

# Slope of every LeakyReLU: the usual GAN choice (DCGAN, Radford et al. 2016), so that no unit of
# the discriminator goes silent and stops passing gradient to the generator.
LEAKY_SLOPE = 0.2


def pad_periodic_x(x: torch.Tensor, pad: tuple[int, ...]) -> torch.Tensor:
    """Pad (B, C, [T,] H, W) symmetrically: zeros in T, replicate in H (y), wrap in W (x).

    Parameters
    ----------
    x : torch.Tensor
        (B, C, H, W) frames or (B, C, T, H, W) cubes.
    pad : tuple[int, ...]
        Cells added on each side of each trailing dim: ``(py, px)`` or ``(pt, py, px)``.
    """
    *lead, py, px = pad
    if px > x.shape[-1]:
        raise ValueError(f"cannot wrap {px} cells around a grid {x.shape[-1]} cells wide")
    if px:
        x = torch.cat([x[..., -px:], x, x[..., :px]], dim=-1)
    if py:
        top = x[..., :1, :].expand(*x.shape[:-2], py, x.shape[-1])
        bottom = x[..., -1:, :].expand(*x.shape[:-2], py, x.shape[-1])
        x = torch.cat([top, x, bottom], dim=-2)
    if lead and lead[0]:
        x = F.pad(x, (0, 0, 0, 0, lead[0], lead[0]))  # zeros in time
    return x


class _SamePadding:
    """Mixin: 'same' padding by the convolution's own zeros, or periodic in x (padded first).

    Subclassing the torch convolution (rather than wrapping it) keeps the state-dict keys of a
    plain ``nn.Conv3d``, so checkpoints from before ``periodic_x`` existed still load.
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel_size: tuple[int, ...],
        stride: tuple[int, ...] | int = 1,
        *,
        periodic_x: bool = False,
    ) -> None:
        same = tuple(k // 2 for k in kernel_size)
        super().__init__(
            c_in,
            c_out,
            kernel_size,
            stride=stride,  # type: ignore[call-arg]
            padding=0 if periodic_x else same,
        )
        self.periodic_pad = same if periodic_x else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.periodic_pad is not None:
            x = pad_periodic_x(x, self.periodic_pad)
        return super().forward(x)  # type: ignore[misc]


class SameConv2d(_SamePadding, nn.Conv2d):
    """``nn.Conv2d`` with 'same' padding: zeros, or periodic in x (see the module docstring)."""


class SameConv3d(_SamePadding, nn.Conv3d):
    """``nn.Conv3d`` with 'same' padding: zeros, or zeros in T, replicate in y and wrap in x."""


def conv(
    c_in: int,
    c_out: int,
    kernel: tuple[int, ...],
    *,
    stride: tuple[int, ...] | int = 1,
    periodic_x: bool = False,
    spectral_norm: bool = False,
) -> nn.Module:
    """A 2D (``len(kernel) == 2``) or 3D 'same'-padded convolution, optionally spectrally normed.

    Spectral normalisation (Miyato et al. 2018) divides the weight, reshaped to (out, -1), by
    its largest singular value, estimated by one power iteration per training forward pass.
    """
    cls = SameConv3d if len(kernel) == 3 else SameConv2d
    layer = cls(c_in, c_out, tuple(kernel), stride, periodic_x=periodic_x)
    return _spectral_norm(layer) if spectral_norm else layer


def linear(c_in: int, c_out: int, *, spectral_norm: bool = False) -> nn.Module:
    """``nn.Linear``, optionally spectrally normed."""
    layer = nn.Linear(c_in, c_out)
    return _spectral_norm(layer) if spectral_norm else layer


def conv3d(
    c_in: int,
    c_out: int,
    *,
    stride: tuple[int, int, int] = (1, 1, 1),
    factorized: bool = False,
    periodic_x: bool = False,
    spectral_norm: bool = False,
) -> nn.Module:
    """3×3×3 convolution, or with ``factorized`` its (2+1)D form (Tran et al. 2018).

    The factorised form is a 1×3×3 spatial convolution, LeakyReLU, then a 3×1×1 temporal
    convolution. Its middle width ``M = ⌊27·c_in·c_out / (9·c_in + 3·c_out)⌋`` gives it the
    parameter count of the 3×3×3 kernel it replaces (Tran et al. 2018, §3.5), floored at
    ``c_out`` so that a narrow output (the generator head) is not squeezed further.
    """
    opts = dict(periodic_x=periodic_x, spectral_norm=spectral_norm)
    if not factorized:
        return conv(c_in, c_out, (3, 3, 3), stride=stride, **opts)
    st, sy, sx = stride
    mid = max(c_out, (27 * c_in * c_out) // (9 * c_in + 3 * c_out))
    return nn.Sequential(
        conv(c_in, mid, (1, 3, 3), stride=(1, sy, sx), **opts),
        nn.LeakyReLU(LEAKY_SLOPE),
        conv(mid, c_out, (3, 1, 1), stride=(st, 1, 1), **opts),
    )


def conv3d_block(
    c_in: int,
    c_out: int,
    *,
    stride: tuple[int, int, int] = (1, 1, 1),
    factorized: bool = False,
    periodic_x: bool = False,
    spectral_norm: bool = False,
) -> nn.Sequential:
    """:func:`conv3d` followed by LeakyReLU(0.2)."""
    return nn.Sequential(
        conv3d(
            c_in,
            c_out,
            stride=stride,
            factorized=factorized,
            periodic_x=periodic_x,
            spectral_norm=spectral_norm,
        ),
        nn.LeakyReLU(LEAKY_SLOPE),
    )


def conv2d_block(
    c_in: int, c_out: int, *, stride: int = 1, periodic_x: bool = False, spectral_norm: bool = False
) -> nn.Sequential:
    """3×3 convolution followed by LeakyReLU(0.2)."""
    return nn.Sequential(
        conv(
            c_in, c_out, (3, 3), stride=stride, periodic_x=periodic_x, spectral_norm=spectral_norm
        ),
        nn.LeakyReLU(LEAKY_SLOPE),
    )


def minibatch_std(
    x: torch.Tensor, group_size: int = 4, eps: float = 1e-8, *, frames: int = 1
) -> torch.Tensor:
    """Append the minibatch standard deviation as one channel (Karras et al. 2018, §3).

    The batch is split into ``⌈B / min(group_size, B)⌉`` groups, sample ``i`` going to group
    ``i mod n_groups`` (the paper's reshape does the same); when ``B`` is not a multiple of the
    group size the groups differ in size by at most one instead of failing. Within each group
    the (biased) std of every feature is taken over the group's samples, averaged over all
    features, and broadcast as a constant channel to every member.

    Parameters
    ----------
    x : torch.Tensor
        (B·frames, C, ...) features; with ``frames > 1``, the frames of each sample are
        consecutive along the batch (``'(b t) c h w'``).
    group_size : int
        4, as in the paper: small groups keep the statistic informative about *this* batch.
    eps : float
        Inside the square root so its gradient is finite for identical samples.
    frames : int
        Frames per sample folded into the batch: the statistic is taken over samples, with
        the frames counted as features, and every frame of a sample gets its group's value.

    Returns
    -------
    torch.Tensor
        (B·frames, C + 1, ...).
    """
    b = x.shape[0] // frames
    n_groups = math.ceil(b / min(group_size, b))
    group = torch.arange(b, device=x.device) % n_groups  # (B,)
    onehot = F.one_hot(group, n_groups).to(x.dtype)  # (B, G)
    counts = onehot.sum(dim=0)[:, None]  # (G, 1)
    flat = x.reshape(b, -1)  # (B, F): frames and channels are all features
    mean = onehot.T @ flat / counts  # (G, F)
    var = onehot.T @ (flat - mean[group]) ** 2 / counts  # (G, F)
    std = torch.sqrt(var + eps).mean(dim=1)  # (G,)
    per_row = std[group].repeat_interleave(frames)  # (B·frames,)
    feature = per_row.view(-1, 1, *[1] * (x.dim() - 2)).expand(x.shape[0], 1, *x.shape[2:])
    return torch.cat([x, feature], dim=1)


class MinibatchStd(nn.Module):
    """:func:`minibatch_std` as a layer; ``forward(x, frames=1)``."""

    def forward(self, x: torch.Tensor, frames: int = 1) -> torch.Tensor:
        """``x`` with the minibatch-std channel appended: (B·frames, C + 1, ...)."""
        return minibatch_std(x, frames=frames)


def append_mask(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Append the validity mask (B or 1, 1, 1, H, W) to x (B, C, T, H, W) as one more channel.

    The mask is broadcast over time; ``None`` means every cell is valid (a channel of ones).
    """
    b, _, t, h, w = x.shape
    if mask is None:
        return torch.cat([x, x.new_ones(b, 1, t, h, w)], dim=1)
    if mask.dim() != 5 or mask.shape[1:3] != (1, 1) or mask.shape[-2:] != (h, w):
        raise ValueError(f"mask must be (B, 1, 1, {h}, {w}), got {tuple(mask.shape)}")
    return torch.cat([x, mask.to(x.dtype).expand(b, 1, t, h, w)], dim=1)


def center_crop(x: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    """Crop the last ``len(size)`` dims of ``x`` to ``size`` around the centre."""
    slices = []
    for have, want in zip(x.shape[-len(size) :], size):
        if want > have:
            raise ValueError(f"cannot crop {have} to {want}")
        start = (have - want) // 2
        slices.append(slice(start, start + want))
    return x[(..., *slices)]


def strided_blocks(
    c_in: int,
    width: int,
    depth: int,
    *,
    max_width: int,
    dims: int,
    temporal_downsamples: int = 0,
    factorized: bool = False,
    periodic_x: bool = False,
    spectral_norm: bool = False,
    minibatch_std: bool = False,
) -> tuple[list[nn.Module], int]:
    """The discriminator trunk: a stride-1 stem to ``width``, then ``depth`` stride-2 blocks.

    Each block halves space (in 3D, time too for the first ``temporal_downsamples``) and
    doubles the width up to ``max_width``. With ``minibatch_std`` a :class:`MinibatchStd`
    layer goes before the last block, as in Karras et al. (2018). Returns the layers and the
    number of output channels.
    """
    opts = dict(periodic_x=periodic_x, spectral_norm=spectral_norm)
    if dims == 3:
        opts["factorized"] = factorized

    def block(c: int, c_next: int, i: int | None) -> nn.Module:
        if dims == 2:
            return conv2d_block(c, c_next, stride=1 if i is None else 2, **opts)
        t = 2 if i is not None and i < temporal_downsamples else 1
        s = 1 if i is None else 2
        return conv3d_block(c, c_next, stride=(t, s, s), **opts)

    widths = [width]
    for _ in range(depth):
        widths.append(min(2 * widths[-1], max_width))
    layers: list[nn.Module] = []
    for i in range(depth + 1):
        c = c_in if i == 0 else widths[i - 1]
        if minibatch_std and i == depth:
            layers.append(MinibatchStd())
            c += 1
        layers.append(block(c, widths[i], None if i == 0 else i - 1))
    return layers, widths[-1]
