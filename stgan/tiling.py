"""Full-grid samples from a model trained on patches: overlapping patches, blended.

The grid is covered by patches whose starts advance by at most ``patch − overlap`` cells
(spread evenly, so every overlap is at least the one asked for; on a periodic longitude the
patches go round the globe and the last one overlaps the first). Each patch is generated
independently, in standardised units. Where patches overlap they are blended with weights
that rise as sin² across each overlap and are normalised so that their *squares* sum to 1
at every cell: a weighted sum of independent unit-variance patches then has unit variance
in the overlaps too (plain averaging would shrink it there, by up to half). The blended
field is then brought back to physical units and masked like any sample.
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
    """sin² rising from near 0 to near 1 over ``length`` cells (sampled at cell centres)."""
    return np.sin(0.5 * np.pi * (np.arange(length) + 0.5) / length) ** 2


def axis_weights(size: int, patch: int, starts: list[int], *, periodic: bool = False) -> np.ndarray:
    """(n, patch) blending weights of the patches at ``starts`` along one axis.

    Each patch's raw profile is 1 except across its overlaps with its neighbours, where it
    ramps (sin²) towards the neighbour's side; the profiles are then divided by the root of
    the sum of their squares at each cell, so that at every cell of the axis
    ``Σ_k w_k² = 1`` over the patches covering it. An edge of an open axis is not tapered.
    """
    n = len(starts)
    if n == 1:
        return np.ones((1, patch))
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
    total = np.zeros(size)
    for k, s in enumerate(starts):
        np.add.at(total, (s + np.arange(patch)) % size, raw[k] ** 2)
    return np.stack(
        [raw[k] / np.sqrt(total[(s + np.arange(patch)) % size]) for k, s in enumerate(starts)]
    )


@dataclass(frozen=True)
class Tile:
    """One patch of the full grid: the rows and (possibly wrapped) columns it covers, and the
    (h, w) weight its values get in the blend."""

    rows: np.ndarray
    cols: np.ndarray
    weight: np.ndarray


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
        Row-major; the squared weights of the tiles covering a cell sum to 1 (the weights are
        products of :func:`axis_weights` in y and x).
    """
    per_axis = []
    for size, p, o, periodic in zip(grid, patch, overlap, (False, periodic_x)):
        if p < size and not 0 <= o < p:  # a patch spanning the axis has no seam along it
            raise StganError(f"--overlap {o} must be at least 0 and less than the patch side {p}")
        starts = tile_starts(size, p, o, periodic=periodic)
        per_axis.append((starts, axis_weights(size, p, starts, periodic=periodic)))
    (ys, wy), (xs, wx) = per_axis
    (h, w), width = patch, grid[1]
    return [
        Tile(np.arange(y0, y0 + h), (x0 + np.arange(w)) % width, np.outer(wy[i], wx[j]))
        for i, y0 in enumerate(ys)
        for j, x0 in enumerate(xs)
    ]


def blend(patches: list[np.ndarray], layout: list[Tile], grid: tuple[int, int]) -> np.ndarray:
    """Sum each (..., h, w) patch, weighted, into a (..., H, W) field (see :func:`tiles`)."""
    out = np.zeros((*patches[0].shape[:-2], *grid), dtype=np.float64)
    for values, tile in zip(patches, layout, strict=True):
        # Within one tile no column repeats, so the fancy-indexed += adds each value once.
        out[..., tile.rows[0] : tile.rows[-1] + 1, tile.cols] += tile.weight * values
    return out


def grid_shape(info: dict) -> tuple[int, int]:
    """(H, W) of the training data's full grid, from a checkpoint's data description."""
    return len(info["coords"]["y"]["values"]), len(info["coords"]["x"]["values"])


def trained_on_patches(module: SamplingModel) -> bool:
    """True when ``module``'s training window is smaller than its data's grid."""
    return tuple(module.window[1:]) != grid_shape(module.data_info)


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
    ``torch.Generator`` seeded with ``seed``), blended in standardised units, then brought
    to physical units. ``overlap`` (cells, in y and x alike) defaults to a quarter of each
    patch side; ``length`` to the training window's T. A conditioned model conditions each
    patch on its own place, with the steps of ``when`` (as :func:`stgan.sampling.generate_array`).
    """
    info = module.data_info
    grid = grid_shape(info)
    t, h, w = module.window
    window = (length or t, h, w)
    overlap_yx = (h // 4, w // 4) if overlap is None else (overlap, overlap)
    layout = tiles(grid, (h, w), overlap_yx, periodic_x=bool(info.get("periodic_x")))
    transforms = [ChannelTransform(**c) for c in info["transforms"]]
    rng = torch.Generator().manual_seed(seed)
    table = time_table(time, window[0]) if when is None else when
    mask = np.asarray(info["mask"], dtype=bool)
    chunks = []
    was_training = module.training
    module.eval()  # spectral norm's power iteration must not advance while sampling
    try:
        for start in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - start)
            patches = [
                module.sample(
                    module.sample_latent(n, window=window, generator=rng),
                    window,
                    condition_batch(module, n, window, table, (tile.rows[0], tile.cols[0])),
                )
                .float()
                .cpu()
                .numpy()
                for tile in layout
            ]  # each (n, C, T, h, w)
            z = blend(patches, layout, grid).astype(np.float32)  # (n, C, T, H, W)
            chunks.append(inverse_all(transforms, z, time, channel_dim=1))
    finally:
        module.train(was_training)
    samples = np.concatenate(chunks).astype(np.float32)
    samples[..., mask] = np.nan
    return samples
