"""Spectral matching: a generator term that pulls the batch's space-time spectrum to the data's.

Convolutional generators get the power spectrum of their output wrong in ways a
discriminator is slow to punish: too little power at the largest scales of a window,
too much at the frequencies transposed convolutions favour (Durall et al. 2020, "Watch your
up-convolution", who add a spectral term to G's loss for that reason), and, for moving
fields, power that travels in only some of the data's directions, which is mode dropping
seen in Fourier space. :class:`SpectralMatching` measures the generated batch's mean power
``|FFT_{t,y,x}|²`` summed in three sets of bins:

- rings of spatial wavenumber ``|k|`` (all temporal frequencies), as the RAPSD;
- temporal frequencies ``|ω|`` (all wavenumbers), whose transform is the temporal ACF;
- the 16 compass sectors moving power travels towards (:mod:`stgan.metrics.directions`);

and G minimises the mean squared difference of the logs against a running mean of the same
bins over the real batches seen in training. A single sample cannot satisfy the direction
bins by itself without looking unlike the data to D, so the term rewards covering the data's
directions across a batch. It costs one FFT of the fake and real batch per generator update.

With self-conditioning (:mod:`stgan.stabilization.clusters`) G is told each window's
cluster, and a batch holds the clusters it happened to draw: eight windows of eight
travelling-wave modes typically hold five. Against the mean of all the data such a batch
misses three directions, and the term would push its windows to travel those too, away from
their own cluster. So with ``classes`` the term keeps a running mean per cluster as well, and
compares the fake batch with the mean of its own clusters' real means.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

from stgan.metrics.directions import SECTORS, sector_table
from stgan.metrics.spectral import ring_radius

# Running mean of the real bins: an average over about the last 1 / (1 − DECAY) batches
# (a plain mean of all batches before that many are seen).
DECAY = 0.99
# Both powers get this fraction of the real mean bin power added before the log, so a bin the
# data leave (nearly) empty costs little once the fake's power there is well below it, and
# stops pulling. On grf (whose domain mean is constant, so the window-mean bin holds 1e-12 of
# the mean) a floor of 1e-6 let that one bin steer G: with the latent vector, 1.59 / 2.57 dB
# log-spectral distance (seeds 0 / 1, 8 CPU minutes) against 1.02 / 0.86 dB at 1e-3.
FLOOR = 1e-3


@functools.lru_cache(maxsize=16)
def bin_table(t: int, h: int, w: int) -> torch.Tensor:
    """(T·H·W, bins): which bins each space-time frequency of ``fftn`` over (T, H, W) adds to,
    divided by the bin's size (a bin holds the mean power of its frequencies). Columns: spatial
    rings 0 .. max(H, W)//2, temporal frequencies 0 .. T//2, then the direction sectors; bins
    no frequency falls in (the sectors when T = 1) are left out."""
    ring = np.fft.ifftshift(ring_radius(h, w, "index")).ravel()  # fft order, as fftn's output
    n_rings = max(h, w) // 2 + 1
    freq = np.minimum(np.arange(t), t - np.arange(t))  # |ω| as an index
    n = t * h * w
    rings = np.zeros((t, h * w, n_rings))
    rings[:, np.arange(h * w)[ring < n_rings], ring[ring < n_rings]] = 1.0  # corners left out
    temporal = np.zeros((t, h * w, t // 2 + 1))
    temporal[np.arange(t), :, freq] = 1.0
    table = torch.cat(
        [
            torch.from_numpy(rings.reshape(n, -1)).float(),
            torch.from_numpy(temporal.reshape(n, -1)).float(),
            sector_table(t, h, w, SECTORS, torch.device("cpu")),
        ],
        dim=1,
    )
    table = table[:, table.sum(dim=0) > 0]
    return table / table.sum(dim=0)


def window_binned_power(x: torch.Tensor) -> torch.Tensor:
    """Each window's binned power per channel, (B, C, bins), of (B, C, T, H, W) ``x``."""
    b, c, t, h, w = x.shape
    f = torch.fft.fftn(x.float(), dim=(2, 3, 4), norm="ortho")
    power = (f.real.square() + f.imag.square()).reshape(b, c, -1)
    return power @ bin_table(t, h, w).to(x.device)


def binned_power(x: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of each channel's binned power, (C, bins), of (B, C, T, H, W) ``x``."""
    return window_binned_power(x).mean(dim=0)


class SpectralMatching(nn.Module):
    """``mean((log P_fake − log P_real)²)`` over channels and bins (see the module docstring).

    ``P_real`` is a running mean over the real batches passed to :meth:`forward` (a buffer,
    so it is saved in checkpoints); the gradient flows through ``fake`` only. ``FLOOR`` × the
    real mean bin power is added to both before the log, so empty bins stay finite and cheap.
    With ``classes = k > 0`` a running mean per class is kept too; given the classes of the
    fake windows, ``P_real`` is the mean of their classes' means (a class no real window has
    shown yet counts with the mean of all).
    """

    def __init__(self, channels: int, window: tuple[int, int, int], classes: int = 0) -> None:
        super().__init__()
        self.window = tuple(int(n) for n in window)
        bins = bin_table(*self.window).shape[1]
        self.register_buffer("real_power", torch.zeros(channels, bins))
        self.register_buffer("seen", torch.zeros((), dtype=torch.long))
        per_class = torch.zeros(classes, channels, bins) if classes else None
        self.register_buffer("class_power", per_class)
        self.register_buffer(
            "class_seen", torch.zeros(classes, dtype=torch.long) if classes else None
        )

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # A checkpoint from before the per-class means: they start empty, and the mean of all
        # stands in for each class until a real window of it has been seen.
        for name in ("class_power", "class_seen"):
            buffer = getattr(self, name)
            if buffer is not None and prefix + name not in state_dict:
                state_dict[prefix + name] = torch.zeros_like(buffer)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @torch.no_grad()
    def observe(self, real: torch.Tensor, classes: torch.Tensor | None = None) -> None:
        """Fold a real batch into the running mean, and with ``classes`` (B,) into its classes'."""
        per_window = window_binned_power(real)  # (B, C, bins)
        self.seen += 1
        rate = max(1.0 / float(self.seen), 1.0 - DECAY)
        self.real_power += rate * (per_window.mean(dim=0) - self.real_power)
        if classes is None or self.class_power is None:
            return
        k = self.class_power.shape[0]
        counts = torch.bincount(classes, minlength=k)
        sums = torch.zeros_like(self.class_power).index_add_(0, classes, per_window)
        present = counts > 0
        self.class_seen += present
        rates = torch.where(
            present,
            (1.0 / self.class_seen.clamp_min(1)).clamp_min(1.0 - DECAY),
            torch.zeros((), device=counts.device),
        ).to(sums.dtype)
        means = sums / counts.clamp_min(1).to(sums.dtype)[:, None, None]
        self.class_power += rates[:, None, None] * (means - self.class_power)

    def target(self, classes: torch.Tensor | None = None) -> torch.Tensor:
        """(C, bins): the real power a fake batch of these ``classes`` (B,) should have."""
        if classes is None or self.class_power is None:
            return self.real_power
        known = (self.class_seen[classes] > 0)[:, None, None]
        return torch.where(known, self.class_power[classes], self.real_power).mean(dim=0)

    def forward(
        self,
        fake: torch.Tensor,
        real: torch.Tensor,
        fake_classes: torch.Tensor | None = None,
        real_classes: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fold ``real`` into the running mean, then return the fake batch's spectral distance.

        Parameters
        ----------
        fake, real : Tensor
            Generated and real windows, (B, C, T, H, W); the gradient flows through ``fake`` only.
        fake_classes, real_classes : Tensor | None
            Clusters of the windows, (B,) each (None: compare with the mean of all).

        Returns
        -------
        Tensor
            ``mean((log(P_fake + floor) − log(P_real + floor))²)`` over channels and bins, a scalar.
        """
        self.observe(real, real_classes)
        floor = FLOOR * self.real_power.mean()
        p_fake = binned_power(fake)
        return (
            (torch.log(p_fake + floor) - torch.log(self.target(fake_classes) + floor))
            .square()
            .mean()
        )
