"""Full-grid samples from a model trained on patches: overlapping patches, blended.

The grid is covered by patches whose starts advance by at most ``patch − overlap`` cells
(spread evenly, so every overlap is at least the one asked for; on a periodic longitude the
patches go round the globe and the last one overlaps the first). Each patch is generated
independently, in standardised units, and split into its *mean* (what the generator makes
there on average, under the patch's conditions, estimated from :data:`MEAN_DRAWS` extra
latents) and its *anomaly* from that mean. Across each overlap the patches' profiles ramp
as sin²; the means are blended with the profiles normalised to sum to 1 (a field every
patch agrees on passes unchanged), the anomalies with the profiles normalised so that their
*squares* sum to 1 (a weighted sum of independent unit-variance anomalies keeps unit
variance; plain averaging would shrink it, by up to half). One set of weights cannot do
both: square-normalised weights sum to up to √2 in an overlap and would raise a shared
mean there by as much, a seam at every overlap. The blended field is then brought back to
physical units and masked like any sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from stgan.conditioning.place import condition_batch, time_table
from stgan.data.time_features import TimeFeatures
from stgan.data.transforms import ChannelTransform, inverse_all
from stgan.errors import StganError

if TYPE_CHECKING:
    from stgan.sampler import SamplingModel

#: Latents per patch whose mean output estimates the patch's mean. Its error, σ/8 at a cell,
#: enters a sample only where the patch's weight and share differ (in the overlaps, by at
#: most ~0.2): about 0.03 σ.
MEAN_DRAWS = 64

#: Share of an overlap, at each patch's edge, left to the neighbour alone. A generator's
#: outermost cells are its least reliable (its convolutions pad there; the data do not):
#: on a real field their x-gradient energy was 15-110 times the data's (ostia, conditioned
#: recommended preset), against 1-2 times inside. Blending them in would seam every overlap.
EDGE = 0.25


def default_overlap(side: int) -> int:
    """Cells neighbouring patches share along an axis when none is asked: half the patch
    side. On ostia (18 × 32 patches of a 18 × 432 field) half-patch overlaps cut the seam
    at the tiling wavenumbers from z 3.3-4.2 (quarter-patch) to 0.5-2.8 over three seeds
    (``benchmarks/real_fields_seams.py``): a wider overlap ramps more slowly from one
    independent patch to the next."""
    return side // 2


def tile_starts(size: int, patch: int, overlap: int, *, periodic: bool = False) -> list[int]:
    """Start cells of patches covering an axis of ``size`` cells, overlapping by ≥ ``overlap``.

    A patch as large as the axis is the whole axis (one start, 0). Otherwise the fewest
    starts whose spacing is at most ``patch − overlap``, spread evenly: from 0 to
    ``size − patch`` on an open axis, round the circle (the last patch wrapping onto the
    first) on a periodic one.
    """
    if patch >= size:
        return [0]
    stride = patch - overlap
    if periodic:
        n = math.ceil(size / stride)
        return [round(k * size / n) for k in range(n)]
    n = math.ceil((size - patch) / stride) + 1
    return [round(k * (size - patch) / (n - 1)) for k in range(n)]


def _ramp(length: int) -> np.ndarray:
    """A patch's profile across an overlap of ``length`` cells, rising from its edge inwards:
    0 over the :data:`EDGE` share of the cells at the edge, then sin² (sampled at cell
    centres) to near 1 over the middle, then 1 over the last :data:`EDGE` share."""
    margin = int(EDGE * length)
    middle = length - 2 * margin
    rise = np.sin(0.5 * np.pi * (np.arange(middle) + 0.5) / middle) ** 2
    return np.concatenate([np.zeros(margin), rise, np.ones(margin)])


def axis_weights(
    size: int, patch: int, starts: list[int], *, periodic: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(n, patch) blending weights of the patches at ``starts`` along one axis.

    Each patch's raw profile is 1 except across its overlaps with its neighbours, where it
    ramps (sin²) towards the neighbour's side. An edge of an open axis is not tapered.

    Returns
    -------
    root, share : numpy.ndarray
        The profiles divided at each cell by the root of the sum of their squares there
        (``Σ root² = 1`` over the patches covering a cell: for anomalies), and by their sum
        (``Σ share = 1``: for means).
    """
    n = len(starts)
    if n == 1:
        return np.ones((1, patch)), np.ones((1, patch))
    # Neighbours' starts on the unwrapped axis: a periodic axis closes the ring.
    prev = [starts[-1] - size if periodic else None, *starts[:-1]]
    nxt = [*starts[1:], starts[0] + size if periodic else None]
    raw = np.ones((n, patch))
    for k, s in enumerate(starts):
        up = 0 if prev[k] is None else prev[k] + patch - s  # cells shared with the previous patch
        down = 0 if nxt[k] is None else s + patch - nxt[k]  # ... and with the next one
        if up > 0:
            raw[k, :up] *= _ramp(up)
        if down > 0:
            raw[k, patch - down :] *= _ramp(down)[::-1]
    cells = [(s + np.arange(patch)) % size for s in starts]
    squares, sums = np.zeros(size), np.zeros(size)
    for k, c in enumerate(cells):
        np.add.at(squares, c, raw[k] ** 2)
        np.add.at(sums, c, raw[k])
    root = np.stack([raw[k] / np.sqrt(squares[c]) for k, c in enumerate(cells)])
    share = np.stack([raw[k] / sums[c] for k, c in enumerate(cells)])
    return root, share


@dataclass(frozen=True)
class Tile:
    """One patch of the full grid: the rows and (possibly wrapped) columns it covers, and the
    (h, w) weights its anomaly (``weight``, squares summing to 1 over the patches at a cell)
    and its mean (``share``, summing to 1) get in the blend."""

    rows: np.ndarray
    cols: np.ndarray
    weight: np.ndarray
    share: np.ndarray


def tiles(
    grid: tuple[int, int],
    patch: tuple[int, int],
    overlap: tuple[int, int],
    *,
    periodic_x: bool = False,
) -> list[Tile]:
    """The patches covering ``grid`` (H, W), with their blending weights.

    Parameters
    ----------
    grid, patch : tuple[int, int]
        (H, W) of the whole grid and of one patch.
    overlap : tuple[int, int]
        Least overlap of neighbouring patches in y and x, each less than the patch side.
    periodic_x : bool
        Wrap round in x (a global longitude).

    Returns
    -------
    list[Tile]
        Row-major; at each cell the squared weights and the shares of the tiles covering it
        each sum to 1 (both are products of :func:`axis_weights` in y and x).
    """
    per_axis = []
    for size, p, o, periodic in zip(grid, patch, overlap, (False, periodic_x)):
        if p < size and not 0 <= o < p:  # a patch spanning the axis has no seam along it
            raise StganError(f"--overlap {o} must be at least 0 and less than the patch side {p}")
        starts = tile_starts(size, p, o, periodic=periodic)
        per_axis.append((starts, axis_weights(size, p, starts, periodic=periodic)))
    (ys, (wy, sy)), (xs, (wx, sx)) = per_axis
    (h, w), width = patch, grid[1]
    return [
        Tile(
            np.arange(y0, y0 + h),
            (x0 + np.arange(w)) % width,
            np.outer(wy[i], wx[j]),
            np.outer(sy[i], sx[j]),
        )
        for i, y0 in enumerate(ys)
        for j, x0 in enumerate(xs)
    ]


def blend(
    patches: list[np.ndarray],
    layout: list[Tile],
    grid: tuple[int, int],
    means: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Sum (..., h, w) patches into a (..., H, W) field (see :func:`tiles`).

    With ``means`` (one per patch, broadcasting against it) each patch's mean is blended by
    the tiles' shares and its anomaly by their weights; without, the patches are blended
    by the shares alone (a weighted average).
    """
    out = np.zeros((*patches[0].shape[:-2], *grid), dtype=np.float64)
    for k, (values, tile) in enumerate(zip(patches, layout, strict=True)):
        if means is None:
            part = tile.share * values
        else:
            part = tile.weight * (values - means[k]) + tile.share * means[k]
        # Within one tile no column repeats, so the fancy-indexed += adds each value once.
        out[..., tile.rows[0] : tile.rows[-1] + 1, tile.cols] += part
    return out


def grid_shape(info: dict) -> tuple[int, int]:
    """(H, W) of the training data's full grid, from a checkpoint's data description."""
    return len(info["coords"]["y"]["values"]), len(info["coords"]["x"]["values"])


def trained_on_patches(module: SamplingModel) -> bool:
    """True when ``module``'s training window is smaller than its data's grid."""
    return tuple(module.window[1:]) != grid_shape(module.data_info)


def _draw_patch(
    module: SamplingModel,
    n: int,
    window: tuple[int, int, int],
    table: np.ndarray,
    tile: Tile,
    rng: torch.Generator,
) -> torch.Tensor:
    """``n`` float32 samples (n, C, T, h, w), on the CPU, of ``tile`` under its conditions."""
    z = module.sample_latent(n, window=window, generator=rng)
    cond = condition_batch(module, n, window, table, (tile.rows[0], tile.cols[0]))
    return module.sample(z, window, cond).float().cpu()


def _patch_means(
    module: SamplingModel,
    layout: list[Tile],
    window: tuple[int, int, int],
    table: np.ndarray,
    seed: int,
    batch_size: int,
) -> list[np.ndarray]:
    """Per tile, the mean (C, T, h, w) of :data:`MEAN_DRAWS` samples under its conditions,
    from latents of a generator of their own (the samples' latents do not change).

    An unconditioned generator does not know where a patch lies, so every tile has the same
    mean: it is estimated once, from the first tile's draws, and shared (on a 73 × 144 grid
    of 16 × 32 patches, 81 tiles, that is 1/81 of the work)."""
    shared = module.conditions is None
    rng = torch.Generator().manual_seed(seed + 1_000_003)
    means = []
    for tile in layout[:1] if shared else layout:
        total = 0.0
        for start in range(0, MEAN_DRAWS, batch_size):
            n = min(batch_size, MEAN_DRAWS - start)
            total = total + _draw_patch(module, n, window, table, tile, rng).double().sum(0).numpy()
        means.append(total / MEAN_DRAWS)
    return means * len(layout) if shared else means


@torch.no_grad()
def full_grid_array(
    module: SamplingModel,
    num_samples: int,
    *,
    length: int | None = None,
    seed: int = 0,
    batch_size: int = 32,
    time: TimeFeatures | None = None,
    overlap: int | None = None,
    when: np.ndarray | None = None,
) -> np.ndarray:
    """``num_samples`` samples of the whole grid, float32 (N, C, T, H, W), NaN on the mask.

    Every patch of :func:`tiles` is generated from its own latent draw (one
    ``torch.Generator`` seeded with ``seed``), blended in standardised units (means and
    anomalies apart, see the module docstring), then brought to physical units.
    ``overlap`` (cells, in y and x alike) defaults to :func:`default_overlap` of each side;
    ``length`` to the training window's T. A conditioned model conditions each patch on its
    own place, with the steps of ``when`` (as :func:`stgan.sampling.generate_array`).
    """
    info = module.data_info
    grid = grid_shape(info)
    t, h, w = module.window
    window = (length or t, h, w)
    overlap_yx = (default_overlap(h), default_overlap(w)) if overlap is None else (overlap,) * 2
    layout = tiles(grid, (h, w), overlap_yx, periodic_x=bool(info.get("periodic_x")))
    transforms = [ChannelTransform(**c) for c in info["transforms"]]
    rng = torch.Generator().manual_seed(seed)
    table = time_table(time, window[0]) if when is None else when
    mask = np.asarray(info["mask"], dtype=bool)
    chunks = []
    was_training = module.training
    module.eval()  # spectral norm's power iteration must not advance while sampling
    try:
        means = _patch_means(module, layout, window, table, seed, batch_size)
        for start in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - start)
            patches = [
                _draw_patch(module, n, window, table, tile, rng).numpy() for tile in layout
            ]  # each (n, C, T, h, w)
            z = blend(patches, layout, grid, means).astype(np.float32)  # (n, C, T, H, W)
            chunks.append(inverse_all(transforms, z, time, channel_dim=1))
    finally:
        module.train(was_training)
    samples = np.concatenate(chunks).astype(np.float32)
    samples[..., mask] = np.nan
    return samples
