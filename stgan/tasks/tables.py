"""A task's output scored against the truth: one metric table per variable."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import xarray as xr

from stgan.errors import StganError
from stgan.tasks.inputs import read_input
from stgan.tasks.scores import downscaling_table, gap_filling_table, nowcasting_table
from stgan.tasks.windows import task_kind

# Each task's command and its condition.
TASKS = {"downscale": "coarse", "nowcast": "past", "fill-gaps": "gaps"}


def coarsened(values: np.ndarray, factor: int) -> np.ndarray:
    """(..., H, W) → each cell the mean of its ``factor`` × ``factor`` block (from the grid's
    origin; NaN cells left out; a block without a finite cell NaN)."""
    h, w = values.shape[-2:]
    ph, pw = -h % factor, -w % factor
    padded = np.pad(
        values, [(0, 0)] * (values.ndim - 2) + [(0, ph), (0, pw)], constant_values=np.nan
    )
    blocks = padded.reshape(
        *values.shape[:-2], (h + ph) // factor, factor, (w + pw) // factor, factor
    )
    with warnings.catch_warnings():  # an all-NaN block (masked cells) is NaN, as it should be
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(blocks, axis=(-3, -1))
    return means.repeat(factor, axis=-2).repeat(factor, axis=-1)[..., :h, :w]


def score(
    task: str,
    model,
    output: xr.Dataset,
    input: str | os.PathLike,
    truth: str | os.PathLike,
) -> dict[str, pd.DataFrame]:
    """The metric table of each variable of a task's ``output`` against ``truth``.

    Parameters
    ----------
    task : {"downscale", "nowcast", "fill-gaps"}
        The task that made ``output``.
    model : stgan.Model
        The model that made it.
    output : xr.Dataset
        What the task returned (sample, time, y, x).
    input : path
        The task's input.
    truth : path
        The true fields on the training grid: the input's steps (downscaling, gap filling),
        or the steps that follow the input, at least as many as the nowcast (nowcasting).

    Returns
    -------
    dict of str to pandas.DataFrame
        :mod:`stgan.tasks.scores`'s table for each variable.
    """
    info = model.sampler.data_info
    command = f"stgan {task}"
    kind = task_kind(model.sampler, TASKS[task])
    factor = getattr(kind, "factor", 1)
    given = read_input(input, info, task=command, coarse=factor)
    real = read_input(truth, info, task=f"{command} --truth").values
    steps = output.sizes[info["dims"]["time"]]
    if real.shape[1] < steps or (task != "nowcast" and real.shape[1] != steps):
        raise StganError(
            f"{command}: the truth has {real.shape[1]} time steps and the output {steps}; "
            + (
                "give at least as many true steps after the input"
                if task == "nowcast"
                else "give the truth of the input's steps"
            )
        )
    real = real[:, :steps]
    domain = ~np.asarray(info["mask"], bool)
    tables = {}
    for c, name in enumerate(v["name"] for v in info["variables"]):
        made = output[name].values
        if task == "downscale":
            baseline = np.where(domain, coarsened(given.values[c], factor), np.nan)
            tables[name] = downscaling_table(made, real[c], baseline, factor)
        elif task == "nowcast":
            tables[name] = nowcasting_table(made, real[c], given.values[c, -1])
        else:
            tables[name] = gap_filling_table(made, real[c], given.values[c], domain)
    return tables


def format_tables(tables: dict[str, pd.DataFrame]) -> str:
    """The tables as text, each under its variable's name."""
    return "\n\n".join(
        f"{name}:\n{table.to_string(float_format=lambda v: f'{v:.4g}')}"
        for name, table in tables.items()
    )
