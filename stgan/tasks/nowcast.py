"""Nowcasting: the record continued from its last frames, window after window, any length."""

from __future__ import annotations

import os

import numpy as np
import torch
import xarray as xr

from stgan.data.time_features import TimeFeatures
from stgan.errors import StganError
from stgan.io.time_description import describe_time
from stgan.io.timeaxis import OutputTime, output_times
from stgan.sampling import to_dataset
from stgan.tasks.inputs import TaskInput, read_input, slice_times, to_physical
from stgan.tasks.windows import fill_windows, step_table, task_kind


def future_times(info: dict, given: TaskInput, length: int) -> OutputTime:
    """``length`` steps that continue the input's time axis with the training record's step."""
    desc = info["time"]  # conditioned checkpoints all describe their time axis
    coord = given.times
    mine = describe_time(coord.values, coord.encoding, coord.attrs)
    if (mine["calendar"] is None) != (desc["calendar"] is None):
        raise StganError(
            "stgan nowcast: the input's time axis and the model's are not both dates (or both "
            "numbers); give the input the training data's kind of time axis"
        )
    return output_times({**desc, "last": mine["last"]}, length)


def nowcast(
    model,
    input: str | os.PathLike,
    length: int,
    *,
    n: int = 1,
    seed: int = 0,
    batch_size: int = 8,
) -> xr.Dataset:
    """``n`` continuations of an input's last frames, ``length`` steps each (any length).

    The model was trained on windows whose first k steps were given (``past``, k = its
    ``frames``) and whose other T − k it made. The rollout is autoregressive: the first
    window is given the input's last k frames; the T − k frames it makes are kept; the last
    k frames of what exists so far are the next window's past; and so on until ``length``
    steps are made. Conditions from dates (calendar, year, ...) follow the new steps' dates,
    which continue one training step after the input's last.

    Parameters
    ----------
    model : stgan.Model
        A model trained with the ``past`` condition (``--config nowcasting``).
    input : path
        The training variables on the training grid, at least k steps (the last k are used;
        no NaN in them off the static mask).
    length : int
        Steps to make; any positive number.
    n, seed, batch_size
        As :func:`stgan.tasks.downscale.downscale`: ``n`` members of an ensemble.

    Returns
    -------
    xr.Dataset
        Each variable on (sample, time, y, x), ``length`` steps dated after the input's.

    Raises
    ------
    StganError
        A model not trained for nowcasting, ``length`` < 1, or an input with too few frames,
        NaN in its last frames, without a variable or on another grid.
    """
    sampler = model.sampler
    info = sampler.data_info
    k = task_kind(sampler, "past").frames
    if isinstance(length, bool) or not isinstance(length, int | np.integer) or length < 1:
        raise StganError(f"stgan nowcast: --length must be a positive integer, got {length!r}")
    given = read_input(input, info, task="stgan nowcast")
    z = given.standardised(info)  # (C, N, H, W)
    if z.shape[1] < k:
        raise StganError(
            f"stgan nowcast: the input has {z.shape[1]} time steps and the model continues "
            f"the last {k}; give at least {k} steps"
        )
    past = z[:, -k:]
    if np.isnan(past).any():
        raise StganError(
            f"stgan nowcast: the input's last {k} steps have NaN cells off the static mask; "
            "fill them first (stgan fill-gaps) or end the input before them"
        )
    t = sampler.window[0]
    future = future_times(info, given, length + t)
    dates = np.concatenate([np.asarray(given.times.values)[-k:], np.asarray(future.values)])
    time = TimeFeatures.from_times(dates)
    time = time if time.dated else None
    rng = torch.Generator().manual_seed(seed)
    context = np.broadcast_to(past[None], (n, *past.shape))  # (n, C, k, H, W)
    made, pos = [], 0
    while sum(m.shape[2] for m in made) < length:
        unknown = np.full((*context.shape[:2], t - k, *context.shape[3:]), np.nan, np.float32)
        window = np.concatenate([context, unknown], axis=2)
        table = step_table(time, slice(pos, pos + t), t)
        new = fill_windows(sampler, window, table, rng, batch_size=batch_size)[:, :, k:]
        made.append(new)
        context = np.concatenate([context, new], axis=2)[:, :, -k:]
        pos += t - k
    out = np.concatenate(made, axis=2)[:, :, :length]
    times = slice_times(future, slice(0, length))
    steps = None if time is None else time[slice(k, k + length)]
    ds = to_dataset(
        to_physical(out, info, steps),
        info,
        seed=seed,
        checkpoint=str(model.checkpoint),
        times=times,
    )
    ds.attrs["source"] = (
        f"stgan nowcast --checkpoint {model.checkpoint.name} --input {given.path.name} "
        f"--length {length} --seed {seed}"
    )
    return ds
