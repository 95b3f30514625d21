"""GridSource: one or many NetCDF files as one lazy (time, y, x) grid of variables.

Files are opened lazily (netCDF4 slicing through xarray, no dask) and concatenated along
time in the order of their first time stamp; a read touches only the slab it asks for, so
archives far larger than memory work. Each process re-opens its own handles, so the source
is safe to use from DataLoader workers.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.netcdf import dimension_roles, open_dataset, select_variables

_GLOB_CHARS = set("*?[")


def expand_paths(path: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """A path, a glob pattern, or a list of either → the files, each checked to exist."""
    entries = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not entries:
        raise StganError("no data path given; set --data.path")
    files: list[Path] = []
    for entry in entries:
        entry = str(entry)
        if _GLOB_CHARS & set(entry):
            matches = sorted(glob.glob(entry))
            if not matches:
                raise StganError(f"no file matches the pattern {entry!r}; check the path")
            files += [Path(m) for m in matches]
        else:
            files.append(Path(entry))
    return files


def _select(ds: xr.Dataset, da: xr.DataArray, select: dict[str, Any]) -> xr.DataArray:
    """Pick one value of each extra dimension (a level, an ensemble member) by coordinate value."""
    for dim, value in select.items():
        if dim not in da.dims:
            continue
        if dim in ds.coords:
            try:
                da = da.sel({dim: value})
            except KeyError:
                have = ds[dim].values.tolist()
                raise StganError(
                    f"{dim}={value!r} is not in the file; {dim} values: {have[:20]}"
                ) from None
        else:  # no coordinate: the value is a position
            n = da.sizes[dim]
            if not (isinstance(value, (int, float)) and float(value).is_integer() and 0 <= value < n):
                raise StganError(f"{dim}={value!r}: {dim} has no coordinate values, so give a position "
                                 f"0 to {n - 1}")
            da = da.isel({dim: int(value)})
    return da


def calendar_months(times: np.ndarray) -> np.ndarray | None:
    """Calendar month (1–12) of each time stamp, or None for a numeric time axis."""
    try:
        return xr.DataArray(times, dims="t").dt.month.values.astype(np.int64)
    except (TypeError, AttributeError):
        return None


class GridSource:
    """Variables on one (time, y, x) grid, from one or more NetCDF files.

    Parameters
    ----------
    path : str or list of str
        A file, a glob pattern (``"era5_*.nc"``), or a list of files/patterns.
    variables : list[str] | None
        Variables to use, one channel each; default: every variable with a time dimension.
    select : dict | None
        One value per extra dimension, e.g. ``{"level": 500}``.
    """

    def __init__(
        self,
        path: str | Sequence[str],
        variables: Sequence[str] | None = None,
        select: dict[str, Any] | None = None,
    ) -> None:
        self.paths = expand_paths(path)
        self.select = dict(select or {})
        datasets = [open_dataset(p) for p in self.paths]
        first = datasets[0]
        self.variables = select_variables(first, variables)
        arrays = [self._array(ds, self.variables[0], p) for ds, p in zip(datasets, self.paths)]
        self.dims = dimension_roles(first, arrays[0])
        for name in self.variables[1:]:
            da = self._array(first, name, self.paths[0])
            if dimension_roles(first, da) != self.dims or da.shape != arrays[0].shape:
                raise StganError(
                    f"variables {self.variables[0]!r} and {name!r} are on different grids "
                    f"({dict(arrays[0].sizes)} vs {dict(da.sizes)}); train them separately"
                )
        # Concatenate files along time, ordered by their first time stamp.
        tdim = self.dims["time"]
        order = sorted(range(len(datasets)), key=lambda i: datasets[i][tdim].values[0])
        self.paths = [self.paths[i] for i in order]
        datasets = [datasets[i] for i in order]
        for ds, p in zip(datasets[1:], self.paths[1:]):
            missing = [v for v in self.variables if v not in ds.data_vars]
            if missing:
                raise StganError(f"{str(p)!r} lacks variable(s) {missing} that {str(self.paths[0])!r} has")
            for role in ("y", "x"):
                dim = self.dims[role]
                if ds.sizes.get(dim) != first.sizes[dim] or not np.allclose(ds[dim].values, first[dim].values):
                    raise StganError(
                        f"{str(p)!r} has a different {role} grid from {str(self.paths[0])!r}; "
                        "all files must share one grid"
                    )
        self._lengths = [ds.sizes[tdim] for ds in datasets]
        self._offsets = np.concatenate([[0], np.cumsum(self._lengths)])
        self.time = np.concatenate([ds[tdim].values for ds in datasets])
        # The file's units and calendar, so that generated dates are written the same way.
        self.time_encoding = {k: v for k, v in first[tdim].encoding.items() if k in ("units", "calendar")}
        self.time_attrs = dict(first[tdim].attrs)
        self._check_time()
        self.months = calendar_months(self.time)
        self.coords = {role: first[self.dims[role]].load() for role in ("y", "x")}
        self.var_attrs = {v: dict(first[v].attrs) for v in self.variables}
        self.global_attrs = dict(first.attrs)
        for ds in datasets:
            ds.close()
        self._handles: list[xr.Dataset] | None = None
        self._pid: int | None = None

    def _array(self, ds: xr.Dataset, name: str, path: Path) -> xr.DataArray:
        if name not in ds.data_vars:
            raise StganError(f"{str(path)!r} lacks variable {name!r}; present: {', '.join(map(str, ds.data_vars))}")
        return _select(ds, ds[name], self.select)

    def _check_time(self) -> None:
        t = self.time
        later = t[1:] > t[:-1]  # elementwise for datetime64, cftime objects and numbers alike
        if not later.all():
            bad = int(np.argmin(later)) + 1
            raise StganError(
                f"the time axis is not strictly increasing (step {bad}: {t[bad - 1]} then {t[bad]}); "
                "sort the data by time and remove duplicate time stamps or overlapping files"
            )

    @property
    def sizes(self) -> dict[str, int]:
        return {"time": int(self._offsets[-1]), "y": self.coords["y"].size, "x": self.coords["x"].size}

    @property
    def periodic_x(self) -> bool:
        """True for a global longitude axis: uniform spacing whose n·Δ covers 360 degrees."""
        x = self.coords["x"]
        units = str(x.attrs.get("units", "")).lower()
        is_lon = ("degree" in units or x.attrs.get("standard_name") == "longitude"
                  or str(x.name).lower() in ("lon", "longitude"))
        values = x.values.astype(float)
        if not is_lon or values.size < 3:
            return False
        step = np.diff(values)
        return bool(np.allclose(step, step[0], rtol=1e-4) and abs(abs(step[0]) * values.size - 360) < 1e-3 * 360)

    def _open(self) -> list[xr.Dataset]:
        if self._handles is None or self._pid != os.getpid():  # HDF5 handles do not survive fork
            self._handles = [open_dataset(p) for p in self.paths]
            self._pid = os.getpid()
        return self._handles

    def read(self, t0: int, t1: int, *, y0: int = 0, h: int | None = None,
             x0: int = 0, w: int | None = None) -> np.ndarray:
        """Values of steps ``[t0, t1)`` as float32 (C, T, H, W), NaN where missing.

        With a periodic x axis, a window may start near the end and wrap around.
        """
        sizes = self.sizes
        h = sizes["y"] - y0 if h is None else h
        w = sizes["x"] - x0 if w is None else w
        if x0 + w > sizes["x"]:  # wrap-around in longitude: two reads, joined
            first = self.read(t0, t1, y0=y0, h=h, x0=x0, w=sizes["x"] - x0)
            rest = self.read(t0, t1, y0=y0, h=h, x0=0, w=x0 + w - sizes["x"])
            return np.concatenate([first, rest], axis=-1)
        order = [self.dims["time"], self.dims["y"], self.dims["x"]]
        index = {self.dims["y"]: slice(y0, y0 + h), self.dims["x"]: slice(x0, x0 + w)}
        chunks = []
        for k, ds in enumerate(self._open()):
            lo, hi = max(t0, self._offsets[k]), min(t1, self._offsets[k + 1])
            if lo >= hi:
                continue
            index[self.dims["time"]] = slice(int(lo - self._offsets[k]), int(hi - self._offsets[k]))
            try:
                chunks.append(np.stack([
                    _select(ds, ds[v], self.select).isel(index).transpose(*order).values.astype(np.float32)
                    for v in self.variables
                ]))
            except (OSError, RuntimeError, ValueError) as err:  # what netCDF4/HDF5 raise on bad data
                raise StganError(
                    f"cannot read steps {lo}–{hi - 1} from {str(self.paths[k])!r} "
                    f"({type(err).__name__}: {err}); the file may be truncated or corrupt"
                ) from None
        return np.concatenate(chunks, axis=1) if len(chunks) > 1 else chunks[0]

    def close(self) -> None:
        for ds in self._handles or []:
            ds.close()
        self._handles = None
