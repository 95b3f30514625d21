"""A task's input file: the training variables on the training grid, checked and standardised."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from stgan.data.time_features import TimeFeatures
from stgan.data.transforms import ChannelTransform, forward_all, inverse_all
from stgan.errors import StganError
from stgan.io.netcdf import dimension_roles, open_dataset
from stgan.io.timeaxis import OutputTime


@dataclass
class TaskInput:
    """What a task reads of its input file.

    Attributes
    ----------
    values : numpy.ndarray
        (C, N, H, W) float64 physical values on the training grid (a coarse input repeated
        onto it), NaN where unknown.
    times : OutputTime
        The input's time coordinate, as a task's output writes it back.
    time : TimeFeatures or None
        The steps' dates (None: a numeric time axis).
    path : Path
        The file read.
    """

    values: np.ndarray
    times: OutputTime
    time: TimeFeatures | None
    path: Path

    def standardised(self, info: dict[str, Any]) -> np.ndarray:
        """(C, N, H, W) float32 in the model's standardised units; the masked cells 0 (as in
        training), other unknown cells NaN."""
        z = forward_all(transforms(info), self.values, self.time)
        z[:, :, np.asarray(info["mask"], bool)] = 0.0
        return z


def transforms(info: dict[str, Any]) -> list[ChannelTransform]:
    """The checkpoint's per-variable transforms."""
    return [ChannelTransform(**t) for t in info["transforms"]]


def to_physical(z: np.ndarray, info: dict[str, Any], time: TimeFeatures | None) -> np.ndarray:
    """(N, C, T, H, W) standardised → float32 physical values, NaN on the static mask."""
    x = np.asarray(inverse_all(transforms(info), z, time, channel_dim=1), np.float32)
    x[..., np.asarray(info["mask"], bool)] = np.nan
    return x


def slice_times(times: OutputTime, steps: slice) -> OutputTime:
    """The steps ``steps`` of a time coordinate."""
    return replace(
        times,
        values=times.values[steps],
        bounds=None if times.bounds is None else times.bounds[steps],
        months=None if times.months is None else times.months[steps],
    )


def _grid_values(info: dict[str, Any], role: str, factor: int) -> np.ndarray:
    """The training grid's coordinate ``role``, or its coarse blocks' means."""
    values = np.asarray(info["coords"][role]["values"], np.float64)
    if factor == 1:
        return values
    return np.array([values[i : i + factor].mean() for i in range(0, len(values), factor)])


def _check_grid(da: xr.DataArray, roles: dict[str, str], info: dict[str, Any], factor: int) -> int:
    """1 when ``da`` is on the training grid, ``factor`` when on its coarse grid; else an error."""
    shape = (da.sizes[roles["y"]], da.sizes[roles["x"]])
    for f in dict.fromkeys((1, factor)):
        want = [len(_grid_values(info, r, f)) for r in ("y", "x")]
        if list(shape) != want:
            continue
        for role in ("y", "x"):
            if roles[role] not in da.coords:
                continue
            mine = np.asarray(da[roles[role]].values, np.float64)
            grid = _grid_values(info, role, f)
            if not np.allclose(mine, grid, atol=1e-6 * (1 + np.ptp(grid))):
                raise StganError(
                    f"input variable {da.name!r}: its {roles[role]} coordinates "
                    f"({mine[0]:g}…{mine[-1]:g}) are not the model's ({grid[0]:g}…{grid[-1]:g}); "
                    "regrid the input to the training grid first"
                )
        return f
    h, w = (len(info["coords"][r]["values"]) for r in ("y", "x"))
    coarse = ""
    if factor > 1:
        ch, cw = (len(_grid_values(info, r, factor)) for r in ("y", "x"))
        coarse = f" or its {ch}×{cw} grid coarsened by {factor}"
    raise StganError(
        f"input variable {da.name!r} is on a {shape[0]}×{shape[1]} grid; the model's is "
        f"{h}×{w}{coarse}; regrid the input first (e.g. cdo remapbil or xESMF)"
    )


def _times(ds: xr.Dataset, dim: str, n: int) -> OutputTime:
    """The input's time coordinate as an output writes it (numbered steps when it has none)."""
    if dim not in ds.coords:
        return OutputTime(np.arange(n), {"long_name": "time step of the input"}, {})
    coord = ds[dim]
    attrs = {k: v for k, v in coord.attrs.items() if k != "bounds"}
    encoding = {k: coord.encoding[k] for k in ("units", "calendar") if k in coord.encoding}
    return OutputTime(coord.values, attrs, {**encoding, "dtype": "float64", "_FillValue": None})


def read_input(
    path: str | os.PathLike, info: dict[str, Any], *, task: str, coarse: int = 1
) -> TaskInput:
    """Read a task's input: every training variable, on the training grid.

    Parameters
    ----------
    path : path
        A NetCDF file (or Zarr store) holding the variables the model was trained on, on
        (time, y, x) with the training data's dimension names or CF-recognisable ones; a
        leading dimension of size 1 (one sample of ``stgan generate``) is dropped.
    info : dict
        The checkpoint's data description.
    task : str
        The task's command, named in errors.
    coarse : int
        Downscaling's factor: the input may also be on the training grid coarsened by it
        (each block's mean; coordinates the blocks' means), and is then repeated onto it.

    Raises
    ------
    StganError
        The file is unreadable, lacks a variable, or is on another grid.
    """
    path = Path(path)
    ds = open_dataset(path)
    arrays, where = [], None
    for name in [v["name"] for v in info["variables"]]:
        if name not in ds.data_vars:
            raise StganError(
                f"{task}: input {str(path)!r} has no variable {name!r}, which the model was "
                f"trained on; it has {', '.join(map(str, ds.data_vars)) or 'none'}"
            )
        da = ds[name]
        extra = [d for d in da.dims if d not in info["dims"].values() and da.sizes[d] == 1]
        da = da.isel({d: 0 for d in extra}, drop=True)
        given = {r: d for r, d in info["dims"].items() if d in da.dims}
        roles = dimension_roles(ds, da, given)
        factor = _check_grid(da, roles, info, coarse)
        x = da.transpose(roles["time"], roles["y"], roles["x"]).values.astype(np.float64)
        if factor > 1:
            h, w = (len(info["coords"][r]["values"]) for r in ("y", "x"))
            x = x.repeat(factor, axis=1).repeat(factor, axis=2)[:, :h, :w]
        arrays.append(x)
        where = where or roles["time"]
    values = np.stack(arrays)
    times = _times(ds, where, values.shape[1])
    features = TimeFeatures.from_times(times.values)
    return TaskInput(values, times, features if features.dated else None, path)
