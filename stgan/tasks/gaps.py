"""Gap filling: the NaN cells of a record filled with samples that fit their surroundings."""

from __future__ import annotations

import os

import numpy as np
import torch
import xarray as xr

from stgan.errors import StganError
from stgan.sampling import to_dataset
from stgan.tasks.inputs import read_input, to_physical
from stgan.tasks.windows import fill_windows, step_table, task_kind, time_starts


def fill_gaps(
    model, input: str | os.PathLike, *, n: int = 1, seed: int = 0, batch_size: int = 8
) -> xr.Dataset:
    """``n`` samples of an input whose NaN cells (off the static mask) are filled.

    Parameters
    ----------
    model : stgan.Model
        A model trained with the ``gaps`` condition (``--config gap-filling``).
    input : path
        The training variables on the training grid; NaN cells are the gap. At least one
        window of steps; longer records are filled window by window.
    n, seed, batch_size
        As :func:`stgan.tasks.downscale.downscale`.

    Returns
    -------
    xr.Dataset
        Each variable on (sample, time, y, x): the input's values where it has them (exactly),
        generated ones in the gap; NaN on the static mask.

    Raises
    ------
    StganError
        A model not trained for gap filling, an input without a gap, without a variable, on
        another grid or with too few steps.
    """
    sampler = model.sampler
    info = sampler.data_info
    task_kind(sampler, "gaps")
    given = read_input(input, info, task="stgan fill-gaps")
    z = given.standardised(info)  # (C, N, H, W), the gap NaN
    if not np.isnan(z).any():
        raise StganError(
            f"stgan fill-gaps: input {str(given.path)!r} has no NaN cell off the model's "
            "static mask: there is no gap to fill"
        )
    z[:, np.isnan(z).any(axis=0)] = np.nan  # a cell missing in one variable is a gap in all
    t = sampler.window[0]
    rng = torch.Generator().manual_seed(seed)
    out = np.empty((n, *z.shape), np.float32)
    for s in time_starts(z.shape[1], t, "stgan fill-gaps"):
        known = np.broadcast_to(z[None, :, s : s + t], (n, *z[:, s : s + t].shape))
        table = step_table(given.time, slice(s, s + t), t)
        out[:, :, s : s + t] = fill_windows(sampler, known, table, rng, batch_size=batch_size)
    filled = to_physical(out, info, given.time)
    # G copies the known cells through in standardised units; the round trip through the
    # transforms may move them by a rounding error, so they are taken from the input itself.
    known_cells = np.isfinite(given.values) & ~np.asarray(info["mask"], bool)
    filled[:, known_cells] = given.values[known_cells]
    ds = to_dataset(filled, info, seed=seed, checkpoint=str(model.checkpoint), times=given.times)
    ds.attrs["source"] = (
        f"stgan fill-gaps --checkpoint {model.checkpoint.name} --input {given.path.name} "
        f"--seed {seed}"
    )
    return ds
