"""Downscaling: fine-grid fields that agree with a coarse one (cf. sup3r)."""

from __future__ import annotations

import os

import numpy as np
import torch
import xarray as xr

from stgan.sampling import to_dataset
from stgan.tasks.inputs import read_input, to_physical
from stgan.tasks.windows import fill_windows, step_table, task_kind, time_starts


def downscale(
    model, input: str | os.PathLike, *, n: int = 1, seed: int = 0, batch_size: int = 8
) -> xr.Dataset:
    """``n`` fine-grid samples of each step of a coarse input, in physical units.

    Parameters
    ----------
    model : stgan.Model
        A model trained with the ``coarse`` condition (``--config downscaling``).
    input : path
        The training variables on the training grid coarsened by the model's factor (each
        block's mean, e.g. a coarse model's output), or on the training grid itself (then
        coarsened as in training). At least one window of steps; longer records are made
        window by window (the last window overlaps the one before).
    n : int
        Samples of each step: an ensemble of fine-scale detail consistent with the input.
    seed : int
        Seed of the latent draw.
    batch_size : int
        Windows made per forward pass.

    Returns
    -------
    xr.Dataset
        Each variable on (sample, time, y, x) of the training grid, with the input's dates
        and the training data's names, units and attributes; NaN on the static mask.

    Raises
    ------
    StganError
        A model not trained for downscaling, or an input without a variable, on another grid
        or with too few steps.
    """
    sampler = model.sampler
    info = sampler.data_info
    factor = task_kind(sampler, "coarse").factor
    given = read_input(input, info, task="stgan downscale", coarse=factor)
    z = given.standardised(info)  # (C, N, H, W)
    t = sampler.window[0]
    rng = torch.Generator().manual_seed(seed)
    out = np.empty((n, *z.shape), np.float32)
    for s in time_starts(z.shape[1], t, "stgan downscale"):
        known = np.broadcast_to(z[None, :, s : s + t], (n, *z[:, s : s + t].shape))
        table = step_table(given.time, slice(s, s + t), t)
        out[:, :, s : s + t] = fill_windows(sampler, known, table, rng, batch_size=batch_size)
    ds = to_dataset(
        to_physical(out, info, given.time),
        info,
        seed=seed,
        checkpoint=str(model.checkpoint),
        times=given.times,
    )
    ds.attrs["source"] = (
        f"stgan downscale --checkpoint {model.checkpoint.name} --input {given.path.name} "
        f"--seed {seed}"
    )
    return ds
