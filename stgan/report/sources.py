"""The data an evaluation reads: files, or an ``xr.Dataset`` already in memory, both through
:class:`~stgan.io.source.GridSource`, so a Dataset and the file it was written to give the
same windows and the same metrics.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import xarray as xr

from stgan.errors import StganError
from stgan.io.netcdf import open_dataset
from stgan.io.source import GridSource

# A Dataset, or where to read one: a path (real and training data: a glob or a list of files too)
DataLike = xr.Dataset | str | os.PathLike | Sequence[str | os.PathLike]


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
) -> GridSource:
    """A GridSource for a Dataset or a path (a file, Zarr store, glob or a list of them);
    ``role`` names the data in the error for anything else."""
    _check(data, role, (list, tuple))
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
