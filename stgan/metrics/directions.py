"""Where space-time windows travel: the dominant propagation direction of each window.

A generator can drop modes while each of its samples still differs from the next (a
*partial* collapse: every wave it draws travels one of two ways while the data's travel
eight). Pairwise distances do not see that, the phase of each sample keeps them apart;
the direction each window's power moves in does. :func:`propagation_directions` assigns
each window a compass sector, :func:`effective_directions` counts how many sectors a set
of windows really uses, and :func:`direction_counts` compares generated with real windows
(``stgan evaluate``'s ``diversity`` entry; the health monitor's ``mode_collapse`` alarm).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from stgan.metrics.spectral import fill_frames

# Compass sectors of the propagation direction: 16, each 22.5° wide and centred on +x (east),
# then every 22.5° counter-clockwise (towards +y), as the points of a 16-point compass rose.
SECTORS = 16


@functools.lru_cache(maxsize=32)
def sector_table(t: int, h: int, w: int, sectors: int, device: torch.device) -> torch.Tensor:
    """(T·H·W, sectors): for each space-time frequency, its weight (1) in the sector it travels
    towards, or no weight for components without motion (ω = 0, or k = 0)."""
    omega = torch.fft.fftfreq(t)[:, None, None]
    ky = torch.fft.fftfreq(h)[None, :, None]
    kx = torch.fft.fftfreq(w)[None, None, :]
    sign = torch.where(omega > 0, -1.0, 1.0)
    angle = torch.atan2(sign * ky, sign * kx).expand(t, h, w)
    sector = torch.floor(angle / (2 * math.pi) * sectors + 0.5).long() % sectors
    moving = ((omega != 0) & ((ky != 0) | (kx != 0))).expand(t, h, w)
    table = torch.zeros(t * h * w, sectors)
    table[torch.arange(t * h * w), sector.reshape(-1)] = moving.reshape(-1).float()
    return table.to(device)


def propagation_directions(x: torch.Tensor, sectors: int = SECTORS) -> torch.Tensor:
    """The sector of each window's dominant propagation direction; -1 where it has none.

    ``x`` is (B, C, T, H, W). The space-time power spectrum ``|FFT_{t,y,x}|²`` (channels
    summed, each window's mean removed) is phase-blind; a component of temporal frequency
    ``ω ≠ 0`` and wavevector ``k`` travels along ``k`` if ``ω < 0`` and along ``-k`` if
    ``ω > 0`` (for ``cos(k·r - |ω|t)``), so the power of moving components is summed per
    direction sector and the sector with the most power is returned (0 .. ``sectors``-1,
    sector 0 centred on +x). Windows with ``T < 2``, or no moving power, give -1.
    """
    b, _, t, h, w = x.shape
    if t < 2:
        return torch.full((b,), -1, dtype=torch.long, device=x.device)
    x = x.detach().float()
    x = x - x.mean(dim=(1, 2, 3, 4), keepdim=True)
    power = torch.fft.fftn(x, dim=(2, 3, 4)).abs().pow(2).sum(dim=1).reshape(b, -1)
    per_sector = power @ sector_table(t, h, w, sectors, x.device)  # (B, sectors)
    best = per_sector.argmax(dim=1)
    return torch.where(per_sector.amax(dim=1) > 0, best, torch.full_like(best, -1))


def direction_histogram(sectors: torch.Tensor, n: int = SECTORS) -> torch.Tensor:
    """Windows per sector, (n,), from :func:`propagation_directions`' output (-1s left out)."""
    return torch.bincount(sectors[sectors >= 0], minlength=n)


def effective_directions(counts: torch.Tensor) -> float:
    """exp(entropy) of a histogram of directions: 1 when all agree, ``len(counts)`` when
    spread evenly over the sectors; NaN for an empty histogram."""
    total = float(counts.sum())
    if total <= 0:
        return float("nan")
    q = counts.double()[counts > 0] / total
    return float(torch.exp(-(q * q.log()).sum()))


def direction_counts(generated: np.ndarray, real: np.ndarray) -> dict[str, float | None]:
    """Effective numbers of dominant propagation directions of (N, T, H, W) windows.

    ``directions_generated`` and ``directions_real`` (1 .. ``SECTORS``) and their ratio
    ``direction_ratio`` (≈ 1 when the generated windows travel as variously as the real ones,
    well below 1 when they keep to a few of the data's directions). NaN cells are filled with
    their frame's mean. None where a set has no window with motion (T < 2 or still fields).
    """
    found = {}
    for name, x in (("generated", generated), ("real", real)):
        x = fill_frames(np.asarray(x, dtype=np.float64))
        sectors = propagation_directions(torch.from_numpy(x)[:, None])
        found[name] = effective_directions(direction_histogram(sectors))
    if not all(math.isfinite(v) for v in found.values()):
        return dict.fromkeys(("directions_generated", "directions_real", "direction_ratio"))
    return {
        "directions_generated": found["generated"],
        "directions_real": found["real"],
        "direction_ratio": found["generated"] / found["real"],
    }
