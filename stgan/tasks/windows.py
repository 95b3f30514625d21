"""Conditioned windows over the whole grid and a whole record: what every task generates with."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from stgan.conditioning.place import condition_batch, time_table
from stgan.data.time_features import TimeFeatures
from stgan.errors import StganError
from stgan.tiling import blend, default_overlap, grid_shape, tiles

# The kind of condition each task gives, and the command that serves it.
TASK_KINDS = {"coarse": "stgan downscale", "past": "stgan nowcast", "gaps": "stgan fill-gaps"}
# ... and the preset that trains a model for it.
TASK_PRESETS = {"coarse": "downscaling", "past": "nowcasting", "gaps": "gap-filling"}


def task_kind(sampler: Any, key: str) -> Any:
    """The condition ``key`` of a model trained for that task, or a clear error."""
    conditions = sampler.conditions
    names = conditions.names if conditions is not None else []
    command = TASK_KINDS[key]
    if key not in names:
        trained = [n for n in names if n in TASK_KINDS]
        hint = f"; it was trained for {TASK_KINDS[trained[0]]}" if trained else ""
        have = ", ".join(names) if names else "none (an unconditional model)"
        raise StganError(
            f"{command} needs a model trained with the {key} condition, and this one has "
            f"conditions: {have}{hint}; train one with e.g. --config {TASK_PRESETS[key]}"
        )
    return conditions.kinds[names.index(key)]


def time_starts(steps: int, length: int, task: str) -> list[int]:
    """Starts of windows of ``length`` covering ``steps`` (the last one may overlap)."""
    if steps < length:
        raise StganError(
            f"{task}: the input has {steps} time steps and the model makes windows of "
            f"{length}; give at least {length} steps"
        )
    starts = list(range(0, steps - length + 1, length))
    return starts + ([steps - length] if starts[-1] + length < steps else [])


def step_table(time: TimeFeatures | None, steps: slice, length: int) -> np.ndarray:
    """The (T, 4) time table of ``steps`` of ``time`` (NaN without dates)."""
    return time_table(None if time is None else time[steps], length)


@torch.no_grad()
def fill_windows(
    sampler: Any,
    field: np.ndarray,
    table: np.ndarray,
    rng: torch.Generator,
    *,
    batch_size: int = 8,
) -> np.ndarray:
    """Generate windows of the whole grid given what is known of them, standardised units.

    Parameters
    ----------
    sampler : Sampler
        A conditioned model.
    field : numpy.ndarray
        (n, C, T, H, W) standardised values known of each window (NaN: unknown), on the
        whole grid; T the training window's.
    table : numpy.ndarray
        (T, 4) the steps' dates (:func:`stgan.conditioning.place.time_table`).
    rng : torch.Generator
        Where the latents are drawn from.

    Returns
    -------
    numpy.ndarray
        (n, C, T, H, W) float32. A model trained on patches makes each patch of
        :func:`stgan.tiling.tiles` (overlaps of :func:`~stgan.tiling.default_overlap`) from
        its own latent and the known values there; patches are averaged with the tiling's
        shares, which sum to 1, so values every patch agrees on (the known ones) pass
        unchanged.
    """
    info = sampler.data_info
    grid = grid_shape(info)
    t, h, w = sampler.window
    overlap = (default_overlap(h), default_overlap(w))
    layout = tiles(grid, (h, w), overlap, periodic_x=bool(info.get("periodic_x")))
    out = []
    for start in range(0, field.shape[0], batch_size):
        part = field[start : start + batch_size]
        n = part.shape[0]
        patches = []
        for tile in layout:
            known = torch.from_numpy(
                np.ascontiguousarray(part[:, :, :, tile.rows][..., tile.cols], np.float32)
            ).to(sampler.device)
            corner = (int(tile.rows[0]), int(tile.cols[0]))
            cond = condition_batch(sampler, n, (t, h, w), table, corner, field=known)
            z = sampler.sample_latent(n, window=(t, h, w), generator=rng)
            patches.append(sampler.sample(z, (t, h, w), cond).float().cpu().numpy())
        out.append(blend(patches, layout, grid).astype(np.float32))
    return np.concatenate(out)
