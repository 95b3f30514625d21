"""GridSource: NetCDF files or Zarr stores as one lazy (time, y, x) grid of variables.

Many files are joined along time by ``xarray.open_mfdataset`` (:mod:`stgan.io.multifile`),
which checks them and orders them; the joined, dask-backed dataset is ``GridSource.dataset``.
Reads go to each file directly (netCDF4/Zarr slicing through xarray, no dask): a read touches
only the slab it asks for, where a dask chunk would read a whole file's chunk to return a
window of it, so archives far larger than memory stream at the speed of one file. Each
process re-opens its own handles, so the source is safe to use from DataLoader workers.
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
from stgan.io.axes import normalise_mapping
from stgan.io.degrees import degree_units, is_degrees
from stgan.io.multifile import Part, check_increasing, open_files
from stgan.io.netcdf import dimension_roles, open_dataset, select_variables, skipped_variables

_GLOB_CHARS = set("*?[")
# The name of an in-memory dataset's one "file" (in messages and a checkpoint's ``source``).
IN_MEMORY = "in-memory dataset"


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
            if not (
                isinstance(value, (int, float)) and float(value).is_integer() and 0 <= value < n
            ):
                raise StganError(
                    f"{dim}={value!r}: {dim} has no coordinate values, so give a position "
                    f"0 to {n - 1}"
                )
            da = da.isel({dim: int(value)})
    return da


def calendar_months(times: np.ndarray) -> np.ndarray | None:
    """Calendar month (1–12) of each time stamp, or None for a numeric time axis."""
    try:
        return xr.DataArray(times, dims="t").dt.month.values.astype(np.int64)
    except (TypeError, AttributeError):
        return None


def _coordinate(ds: xr.Dataset, dim: str, role: str) -> xr.DataArray:
    """The y or x coordinate, loaded, with the CF attributes its role is known by.

    A dimension without a coordinate variable gets its index; a latitude or longitude known
    by its units, standard name or name gets CF's ``standard_name`` and ``units``; a coordinate
    with units gets its ``axis``, so that a generated file says what its dimensions are.
    """
    if dim in ds.variables:
        coord = ds[dim].load().copy()
    else:
        coord = xr.DataArray(
            np.arange(ds.sizes[dim], dtype=np.float64),
            dims=dim,
            name=dim,
            attrs={"long_name": f"{dim} index", "units": "1"},
        )
    attrs = coord.attrs
    standard = "latitude" if role == "y" else "longitude"
    canonical = "degrees_north" if role == "y" else "degrees_east"
    units = attrs.get("units")
    if is_degrees(coord, dim, standard):
        attrs.setdefault("standard_name", standard)
        spelled = degree_units(units, standard)
        if units is None or (spelled is not None and spelled != units):
            attrs["units"] = canonical  # CF spells it so; "Degrees_North" is not udunits
    if (
        "units" in attrs
    ):  # CF wants units on a coordinate with an axis; without them, the name tells
        attrs.setdefault("axis", role.upper())
    return coord


def variable_attrs(ds: xr.Dataset, name: str) -> dict[str, Any]:
    """A variable's attributes; ``units``, ``long_name`` and ``standard_name`` missing there are
    taken from the file's global attributes: ``NAME_units`` (and so on), else ``units`` (and,
    in a file of one field, ``long_name`` and ``standard_name``)."""
    attrs = dict(ds[name].attrs)
    fields = [v for v in ds.data_vars if ds[v].ndim >= 3 and np.issubdtype(ds[v].dtype, np.number)]
    for key in ("units", "long_name", "standard_name"):
        plain = (key,) if key == "units" or len(fields) == 1 else ()
        for candidate in (f"{name}_{key}", *plain):
            if key not in attrs and candidate in ds.attrs:
                attrs[key] = ds.attrs[candidate]
    return attrs


class GridSource:
    """Variables on one (time, y, x) grid, from one or more NetCDF files or Zarr stores.

    Parameters
    ----------
    path : str, list of str or xr.Dataset
        A file or Zarr store, a glob pattern (``"era5_*.nc"``), a list of files/patterns, or
        a dataset already open (read as it is, lazily when it is dask-backed).
    variables : list[str] | None
        Variables to use, one channel each; default: every variable with a time dimension.
    select : dict | None
        One value per extra dimension, e.g. ``{"level": 500}``.
    dims : dict | None
        Which dimension is which, ``{time: TIME, y: LAT, x: LON}``; found from CF evidence
        where not given (:func:`stgan.io.axes.find_axes`).

    Attributes
    ----------
    dataset : xr.Dataset
        The data as one lazy dataset (dask-backed for many files), for inspection.
    paths : list of Path
        The files in time order.
    skipped : dict
        Data variables not taken as fields (when ``variables`` is not given), with the reason.
    """

    def __init__(
        self,
        path: str | Sequence[str] | xr.Dataset,
        variables: Sequence[str] | None = None,
        select: dict[str, Any] | None = None,
        dims: dict[str, str] | None = None,
    ) -> None:
        # An in-memory dataset is read as it is (nothing written); it is named by the file
        # xarray opened it from, when there is one.
        self._memory = path if isinstance(path, xr.Dataset) else None
        if self._memory is not None:
            self.paths = [Path(self._memory.encoding.get("source", IN_MEMORY))]
        else:
            self.paths = expand_paths(path)
        self.select = dict(select or {})
        self.mapping = normalise_mapping(dims)
        first = self._memory if self._memory is not None else open_dataset(self.paths[0])
        self.skipped = {} if variables else skipped_variables(first, self.mapping, self.select)
        self.variables = select_variables(first, variables, self.mapping, self.select)
        array = self._array(first, self.variables[0], self.paths[0])
        self.dims = dimension_roles(first, array, self.mapping)
        for name in self.variables[1:]:
            da = self._array(first, name, self.paths[0])
            if dimension_roles(first, da, self.mapping) != self.dims or da.shape != array.shape:
                raise StganError(
                    f"variables {self.variables[0]!r} and {name!r} are on different grids "
                    f"({dict(array.sizes)} vs {dict(da.sizes)}); train them separately"
                )
        tdim = self.dims["time"]
        self.coords = {role: _coordinate(first, self.dims[role], role) for role in ("y", "x")}
        self.var_attrs = {v: variable_attrs(first, v) for v in self.variables}
        # The file's units and calendar, so that generated dates are written the same way.
        self.time_encoding = {
            k: v for k, v in first[tdim].encoding.items() if k in ("units", "calendar")
        }
        self.time_attrs = dict(first[tdim].attrs)
        self.global_attrs = dict(first.attrs)
        if len(self.paths) == 1:
            self.dataset, parts = first, [Part(self.paths[0], first[tdim].values)]
        else:
            first.close()
            self.dataset, parts = open_files(self.paths, self.variables, self.dims, self.coords)
        # Closed, the dataset stays usable: xarray re-opens its files on access.
        self.dataset.close()
        self.paths = [part.path for part in parts]
        self._offsets = np.concatenate([[0], np.cumsum([part.time.size for part in parts])])
        self.time = self.dataset[tdim].values
        check_increasing(self.time)
        self.months = calendar_months(self.time)
        self._handles: dict[int, xr.Dataset] = {}
        self._pid: int | None = None

    def _array(self, ds: xr.Dataset, name: str, path: Path) -> xr.DataArray:
        if name not in ds.data_vars:
            raise StganError(
                f"{str(path)!r} lacks variable {name!r}; present: {', '.join(map(str, ds.data_vars))}"
            )
        return _select(ds, ds[name], self.select)

    def field(self, name: str) -> xr.DataArray:
        """Variable ``name`` of :attr:`dataset` on (time, y, x), extra dimensions selected; lazy."""
        order = [self.dims[role] for role in ("time", "y", "x")]
        return _select(self.dataset, self.dataset[name], self.select).transpose(*order)

    @property
    def sizes(self) -> dict[str, int]:
        """Grid sizes ``{time, y, x}``; time counts the steps of all files together."""
        return {
            "time": int(self._offsets[-1]),
            "y": self.coords["y"].size,
            "x": self.coords["x"].size,
        }

    @property
    def periodic_x(self) -> bool:
        """True for a global longitude axis: uniform spacing whose n·Δ covers 360 degrees."""
        x = self.coords["x"]
        units = str(x.attrs.get("units", "")).lower()
        is_lon = (
            "degree" in units
            or x.attrs.get("standard_name") == "longitude"
            or str(x.name).lower() in ("lon", "longitude")
        )
        values = x.values.astype(float)
        if not is_lon or values.size < 3:
            return False
        step = np.diff(values)
        return bool(
            np.allclose(step, step[0], rtol=1e-4)
            and abs(abs(step[0]) * values.size - 360) < 1e-3 * 360
        )

    def _open(self, k: int) -> xr.Dataset:
        """The ``k``-th file, opened once per process: HDF5 handles do not survive fork."""
        if self._memory is not None:
            return self._memory
        if self._pid != os.getpid():
            self._handles, self._pid = {}, os.getpid()
        if k not in self._handles:
            self._handles[k] = open_dataset(self.paths[k])
        return self._handles[k]

    def read(
        self,
        t0: int,
        t1: int,
        *,
        y0: int = 0,
        h: int | None = None,
        x0: int = 0,
        w: int | None = None,
    ) -> np.ndarray:
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
        for k in range(len(self.paths)):
            lo, hi = max(t0, self._offsets[k]), min(t1, self._offsets[k + 1])
            if lo >= hi:
                continue
            ds = self._open(k)
            index[self.dims["time"]] = slice(int(lo - self._offsets[k]), int(hi - self._offsets[k]))
            try:
                chunks.append(
                    np.stack(
                        [
                            _select(ds, ds[v], self.select)
                            .isel(index)
                            .transpose(*order)
                            .values.astype(np.float32)
                            for v in self.variables
                        ]
                    )
                )
            except (
                OSError,
                RuntimeError,
                ValueError,
            ) as err:  # what netCDF4/HDF5 raise on bad data
                raise StganError(
                    f"cannot read steps {lo}–{hi - 1} from {str(self.paths[k])!r} "
                    f"({type(err).__name__}: {err}); the file may be truncated or corrupt"
                ) from None
        return np.concatenate(chunks, axis=1) if len(chunks) > 1 else chunks[0]

    def close(self) -> None:
        """Close every open file handle and the lazy dataset."""
        for ds in self._handles.values():
            ds.close()
        self._handles = {}
        self.dataset.close()
