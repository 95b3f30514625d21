"""Many files (NetCDF or Zarr) as one dataset, concatenated along time by xarray.open_mfdataset.

Each file is checked as it is opened (it has the variables, it is on the first file's grid)
and cut down to the variables in use, so the combination is lazy (dask) and cheap: files are
ordered by their time coordinate, nothing is compared value by value, and no data is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.netcdf import open_dataset
from stgan.io.stores import is_zarr_store


@dataclass(frozen=True)
class Part:
    """One file of a multi-file dataset: where it is and what part of the time axis it holds."""

    path: Path
    time: np.ndarray  # its time stamps, as decoded


def check_increasing(time: np.ndarray) -> None:
    """Raise a :class:`StganError` naming the first step where ``time`` does not increase."""
    later = time[1:] > time[:-1]  # elementwise for datetime64, cftime objects and numbers alike
    if not later.all():
        bad = int(np.argmin(later)) + 1
        raise StganError(
            f"the time axis is not strictly increasing (step {bad}: {time[bad - 1]} then {time[bad]}); "
            "sort the data by time and remove duplicate time stamps or overlapping files"
        )


def _engine(paths: Sequence[Path]) -> str:
    stores = [is_zarr_store(p) for p in paths]
    if any(stores) and not all(stores):
        raise StganError(
            "the data path mixes NetCDF files and Zarr stores; convert them to one kind"
        )
    return "zarr" if stores[0] else "netcdf4"


def _checker(
    paths: Sequence[Path],
    variables: Sequence[str],
    dims: dict[str, str],
    grid: dict[str, xr.DataArray],
    parts: list[Part],
) -> Callable[[xr.Dataset], xr.Dataset]:
    """open_mfdataset's ``preprocess``: check one file against the first, keep what is used."""
    by_source = {str(p.resolve()): p for p in paths}
    reference = str(paths[0])

    def check(ds: xr.Dataset) -> xr.Dataset:
        source = Path(ds.encoding["source"])
        path = by_source.get(str(source.resolve()), source)
        missing = [v for v in variables if v not in ds.data_vars]
        if missing:
            raise StganError(f"{str(path)!r} lacks variable(s) {missing} that {reference!r} has")
        for role in ("y", "x"):
            dim = dims[role]
            if ds.sizes.get(dim) != grid[role].size or not np.allclose(
                ds[dim].values, grid[role].values
            ):
                raise StganError(
                    f"{str(path)!r} has a different {role} grid from {reference!r}; "
                    "all files must share one grid"
                )
        parts.append(Part(path, ds[dims["time"]].values))
        return ds[list(variables)]

    return check


def open_files(
    paths: Sequence[Path],
    variables: Sequence[str],
    dims: dict[str, str],
    grid: dict[str, xr.DataArray],
) -> tuple[xr.Dataset, list[Part]]:
    """Open ``paths`` as one lazy dataset of ``variables``, concatenated along time.

    Parameters
    ----------
    paths : sequence of Path
        NetCDF files or Zarr stores, each holding a stretch of time, in any order.
    variables : sequence of str
        The data variables to keep; every file must have them.
    dims : dict
        Dimension names of the roles ``time``, ``y`` and ``x`` (see ``dimension_roles``).
    grid : dict
        The first file's ``y`` and ``x`` coordinates; every file must match them.

    Returns
    -------
    dataset : xr.Dataset
        The variables on the whole time axis, dask-backed (lazy).
    parts : list of Part
        The files in time order, with their time stamps.

    Raises
    ------
    StganError
        For a missing or unreadable file, a missing variable, another grid, or time stamps
        that overlap or repeat across files.
    """
    for path in paths:
        if not path.exists():
            raise StganError(f"data file {str(path)!r} does not exist; check the path")
    parts: list[Part] = []
    try:
        dataset = xr.open_mfdataset(
            paths,
            engine=_engine(paths),
            preprocess=_checker(paths, variables, dims, grid, parts),
            combine="by_coords",  # ordered by each file's time coordinate
            # Only time-dependent variables are concatenated; whatever else the files share is
            # taken from the first, unread (the grid was checked in preprocess).
            data_vars="minimal",
            coords="minimal",
            compat="override",
            join="override",
            combine_attrs="override",
        )
    except StganError:
        raise
    except Exception as err:
        if len(parts) < len(paths):  # a file failed to open: name it, as opening it alone does
            for path in paths:
                open_dataset(path).close()
            raise
        # Every file opened and passed its checks: xarray could not put them in one time order.
        parts.sort(key=lambda part: part.time[0])
        check_increasing(np.concatenate([part.time for part in parts]))
        raise StganError(
            f"cannot join the files along time ({type(err).__name__}: {err}); "
            "check that each file has a time coordinate and that they do not overlap"
        ) from None
    parts.sort(key=lambda part: part.time[0])
    return dataset, parts
