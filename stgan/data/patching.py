"""What one training step costs for a window, and the patch to train on when the grid is too big.

The cost is an analytic count of multiply-adds (MACs) of the reference networks, the demo
preset's ``conv3d`` generator and discriminator (:data:`REFERENCE_G`, :data:`REFERENCE_D`):
deterministic, free to compute, and proportional to T·H·W for windows whose sides are
multiples of the networks' scale factor. One step (one D and one G update) is counted as

* D update: G forward (no gradient) + D forward on real and fake + their backward passes;
* G update: G forward + D forward + the backward pass through both;

with a backward pass costing twice its forward pass, so a step is ``B·(4·G + 9·D)`` MACs for a
batch of B windows (regularisers and conditioning are left out). Seconds are that count over
:data:`MACS_PER_SECOND`, a machine constant measured on a 2-core CPU; it only scales the
printed estimate, never the choice of patch, which compares MACs with the cost of a
``BUDGET_CELLS`` window of the same length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The demo preset's networks (stgan/configs/demo.yaml): the reference the estimate counts.
REFERENCE_G = {"latent_channels": 16, "width": 16, "spatial_upsamples": 2, "temporal_upsamples": 1}
REFERENCE_D = {"width": 16, "depth": 3, "temporal_downsamples": 1, "max_width": 256}

# Effective multiply-adds per second of a whole training step (forward and backward, Adam) on
# 2 CPU cores with torch 2.13, an order of magnitude: demo-preset steps on batches of 16
# windows of 8×32×32 and 8×64×64, timed on a shared machine under load, ran at 0.13e10-0.5e10;
# the ~0.2 steps/s reported for a 73×144 grid (issue 22) is 3e10-6e10 on a faster one. Only
# the printed seconds depend on it (a GPU is 10-100 times faster), never the patch chosen.
MACS_PER_SECOND = 1.0e10

# A frame of more cells than this (64×64) makes the whole grid too costly for one window and a
# patch is chosen instead. Every preset and synthetic dataset (32×32 by default) stays whole;
# a 73×144 global grid costs 2.7 times as much per step as a 64×64 window.
BUDGET_CELLS = 64 * 64

# Patch sides are multiples of this: the reference generator upsamples ×4 (2 blocks) and the
# discriminator halves space 3 times (×8), so a multiple of 8 gives an exact latent grid (no
# centre-crop waste) and whole cells at every discriminator scale (no ragged edge).
MULTIPLE = 8

# Square-ish: a patch's long side is at most this many times its short side.
MAX_ASPECT = 2.0


def _conv_macs(c_in: int, c_out: int, cells: int) -> int:
    """MACs of a 3×3×3 convolution producing ``cells`` output cells."""
    return 27 * c_in * c_out * cells


def generator_macs(
    window: tuple[int, int, int],
    channels: int,
    *,
    latent_channels: int,
    width: int,
    spatial_upsamples: int,
    temporal_upsamples: int,
) -> int:
    """Forward multiply-adds of one ``conv3d`` generator sample (see :class:`Conv3dGenerator`).

    The coarse latent grid ``(⌈T/2^m⌉, ⌈H/2^n⌉, ⌈W/2^n⌉)`` is upsampled ``n`` times, each block
    two 3×3×3 convolutions at the new size; the head maps to ``channels`` before the crop.
    """
    n, m = spatial_upsamples, temporal_upsamples
    t, h, w = window
    grid = [math.ceil(t / 2**m), math.ceil(h / 2**n), math.ceil(w / 2**n)]
    widths = [width * 2 ** (n - i) for i in range(n + 1)]
    macs = _conv_macs(latent_channels, widths[0], math.prod(grid))
    for i in range(n):
        grid = [grid[0] * (2 if i < m else 1), grid[1] * 2, grid[2] * 2]
        cells = math.prod(grid)
        macs += _conv_macs(widths[i], widths[i + 1], cells) + _conv_macs(
            widths[i + 1], widths[i + 1], cells
        )
    return macs + _conv_macs(widths[-1], channels, math.prod(grid))


def discriminator_macs(
    window: tuple[int, int, int],
    channels: int,
    *,
    width: int,
    depth: int,
    temporal_downsamples: int,
    max_width: int,
) -> int:
    """Forward multiply-adds of one ``conv3d`` discriminator sample (see :class:`Conv3dDiscriminator`).

    A stride-1 stem, then ``depth`` stride-2 blocks; a padded stride-2 convolution leaves
    ``⌈n/2⌉`` cells of ``n``.
    """
    grid = list(window)
    macs = _conv_macs(channels, width, math.prod(grid))
    c = width
    for i in range(depth):
        c_next = min(2 * c, max_width)
        grid = [
            math.ceil(grid[0] / 2) if i < temporal_downsamples else grid[0],
            math.ceil(grid[1] / 2),
            math.ceil(grid[2] / 2),
        ]
        macs += _conv_macs(c, c_next, math.prod(grid))
        c = c_next
    return macs


def step_macs(window: tuple[int, int, int], *, channels: int = 1, batch_size: int = 16) -> int:
    """Multiply-adds of one training step of the reference networks: ``B·(4·G + 9·D)``."""
    g = generator_macs(window, channels, **REFERENCE_G)
    d = discriminator_macs(window, channels, **REFERENCE_D)
    return batch_size * (4 * g + 9 * d)


@dataclass(frozen=True)
class StepCost:
    """The estimated cost of one training step on ``window`` = (T, H, W)."""

    window: tuple[int, int, int]
    macs: int

    @property
    def seconds(self) -> float:
        """The estimate in seconds on the reference CPU (:data:`MACS_PER_SECOND`)."""
        return self.macs / MACS_PER_SECOND

    def describe(self) -> str:
        """``"116 GMAC (~12 s on 2 CPU cores)"``: the count and the seconds as people read them."""
        s = self.seconds
        time = f"~{s:.2g} s" if s >= 1 else f"~{s * 1000:.2g} ms"
        return f"{self.macs / 1e9:.3g} GMAC ({time} on 2 CPU cores)"


def step_cost(window: tuple[int, int, int], *, channels: int = 1, batch_size: int = 16) -> StepCost:
    """The :class:`StepCost` of one training step on ``window`` (see the module docstring)."""
    window = tuple(int(n) for n in window)
    return StepCost(window, step_macs(window, channels=channels, batch_size=batch_size))


def _sides(n: int, multiple: int) -> list[int]:
    """Candidate patch sides along an axis of ``n`` cells: multiples of ``multiple``, or all of it."""
    return sorted({*range(multiple, n + 1, multiple), n})


def choose_patch(
    grid: tuple[int, int],
    window_length: int,
    *,
    channels: int = 1,
    batch_size: int = 16,
    budget_cells: int = BUDGET_CELLS,
    multiple: int = MULTIPLE,
) -> tuple[int, int]:
    """The (H, W) window to train on: the whole grid if affordable, else the largest patch that is.

    The budget is the cost of one step on a ``window_length``-step window of ``budget_cells``
    cells per frame (64×64), so the threshold does not depend on T or on the machine. A grid
    within the budget is kept whole (any size, as today). Otherwise the patch is the largest
    (in cells) whose sides are each a multiple of ``multiple`` (or the whole axis), whose long
    side is at most twice its short side, and whose step costs no more than the budget; ties
    go to the squarer patch.

    Parameters
    ----------
    grid : tuple[int, int]
        Grid rows and columns (H, W).
    window_length : int
        Time steps per window (T).
    channels, batch_size : int
        Variables and windows per batch; they scale whole grid and patch alike.
    budget_cells : int
        Cells per frame of the most costly window trained whole.
    multiple : int
        Patch sides are multiples of this (8: the reference networks' scale factor).

    Returns
    -------
    tuple[int, int]
        (H, W) of the window: ``grid`` itself when it is within the budget.

    Examples
    --------
    >>> choose_patch((73, 144), 8)
    (64, 64)
    >>> choose_patch((32, 32), 8)
    (32, 32)
    """
    height, width = (int(n) for n in grid)

    def cost(h: int, w: int) -> int:
        return step_macs((window_length, h, w), channels=channels, batch_size=batch_size)

    budget = cost(math.isqrt(budget_cells), math.isqrt(budget_cells))
    if cost(height, width) <= budget:
        return height, width
    best = (min(multiple, height), min(multiple, width))  # the smallest patch, if nothing fits
    for h in _sides(height, multiple):
        for w in _sides(width, multiple):
            if max(h, w) > MAX_ASPECT * min(h, w) or cost(h, w) > budget:
                continue
            if (h * w, -abs(h - w)) > (best[0] * best[1], -abs(best[0] - best[1])):
                best = (h, w)
    return best
