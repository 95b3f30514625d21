"""The data an evaluation reads: files through :class:`~stgan.io.source.GridSource`, or an
``xr.Dataset`` already in memory through :class:`DatasetGrid`, which reads it the same way.

Both offer what the evaluation uses: ``variables``, ``dims`` (role → dimension name),
``coords`` (the y and x coordinates), ``var_attrs``, ``sizes``, ``paths`` and
``read(t0, t1)`` → float32 (C, T, H, W). A Dataset and the file it was written to therefore
give the same windows and the same metrics.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.axes import normalise_mapping
from stgan.io.multifile import check_increasing
from stgan.io.netcdf import dimension_roles, open_dataset, select_variables
from stgan.io.source import GridSource, _coordinate, variable_attrs

# A Dataset, or where to read one: a path (real and training data: a glob or a list of files too)
DataLike = xr.Dataset | str | os.PathLike | Sequence[str | os.PathLike]


class DatasetGrid:
    """Variables on one (time, y, x) grid of an in-memory dataset, read as GridSource reads a file.

    Parameters
    ----------
    ds : xr.Dataset
        The data; dask-backed arrays are computed one read at a time.
    variables : list of str, optional
        Variables to use; default every space-time field.
    dims : dict, optional
        Which dimension is which, ``{time: TIME, y: LAT, x: LON}``, where CF evidence does not say.
    """

    def __init__(
        self,
        ds: xr.Dataset,
        variables: Sequence[str] | None = None,
        dims: dict[str, str] | None = None,
    ) -> None:
        self.dataset = ds
        mapping = normalise_mapping(dims)
        self.variables = select_variables(ds, variables, mapping)
        self.dims = dimension_roles(ds, ds[self.variables[0]], mapping)
        for name in self.variables[1:]:
            if dimension_roles(ds, ds[name], mapping) != self.dims:
                raise StganError(
                    f"variables {self.variables[0]!r} and {name!r} are on different grids "
                    f"({dict(ds[self.variables[0]].sizes)} vs {dict(ds[name].sizes)}); "
                    "evaluate them separately"
                )
        self.coords = {role: _coordinate(ds, self.dims[role], role) for role in ("y", "x")}
        self.var_attrs = {v: variable_attrs(ds, v) for v in self.variables}
        check_increasing(ds[self.dims["time"]].values)
        # The file it came from, if any: --test-split-of checks it is the training data.
        source = ds.encoding.get("source")
        self.paths = [Path(source)] if source else []

    @property
    def sizes(self) -> dict[str, int]:
        """Grid sizes ``{time, y, x}``."""
        return {role: int(self.dataset.sizes[dim]) for role, dim in self.dims.items()}

    def read(self, t0: int, t1: int) -> np.ndarray:
        """Values of steps ``[t0, t1)`` as float32 (C, T, H, W), NaN where missing."""
        order = [self.dims["time"], self.dims["y"], self.dims["x"]]
        steps = {self.dims["time"]: slice(t0, t1)}
        return np.stack(
            [
                self.dataset[v].isel(steps).transpose(*order).values.astype(np.float32)
                for v in self.variables
            ]
        )

    def close(self) -> None:
        """Release nothing: unlike a GridSource's files, the dataset belongs to the caller."""


def _check(data: object, role: str, kinds: tuple[type, ...] = ()) -> None:
    if not isinstance(data, (xr.Dataset, str, os.PathLike, *kinds)):
        raise StganError(
            f"{role} data must be an xarray Dataset or a path, not {type(data).__name__}"
            + ("; make one with .to_dataset()" if isinstance(data, xr.DataArray) else "")
        )


def open_grid(
    data: DataLike,
    variables: Sequence[str] | None,
    dims: dict[str, str] | None,
    *,
    role: str = "real",
) -> GridSource | DatasetGrid:
    """A GridSource for a path (a file, Zarr store, glob or a list of them), a DatasetGrid for a
    Dataset; ``role`` names the data in the error for anything else."""
    _check(data, role, (list, tuple))
    if isinstance(data, xr.Dataset):
        return DatasetGrid(data, variables, dims)
    return GridSource(data, variables, dims=dims)


def open_samples(data: DataLike) -> xr.Dataset:
    """Generated samples: a Dataset as given, or the file or Zarr store at a path."""
    _check(data, "generated")
    return data if isinstance(data, xr.Dataset) else open_dataset(data)


def describe(data: DataLike) -> str:
    """How metrics.json names the data: the path, or the file an in-memory dataset came from."""
    if isinstance(data, xr.Dataset):
        source = data.encoding.get("source")
        return str(source) if source else "in-memory xarray.Dataset"
    return str(data)
