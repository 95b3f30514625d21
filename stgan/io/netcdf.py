"""NetCDF in and out: open with clear errors, find dimension roles, write atomically.

Dimensions are found by CF attributes first (``axis``, ``standard_name``) and common names
second; whatever cannot be decided is a :class:`~stgan.errors.StganError` that says what to set.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.atomic import atomic_path
from stgan.io.timeaxis import check_file_times

# Roles a dimension can play, with the CF attributes and the common names that reveal each.
_ROLES = {
    "time": {"axis": "T", "standard_names": {"time"}, "names": {"time", "t"}},
    "y": {
        "axis": "Y",
        "standard_names": {"latitude", "projection_y_coordinate", "grid_latitude"},
        "names": {"y", "lat", "latitude", "rlat", "south_north"},
    },
    "x": {
        "axis": "X",
        "standard_names": {"longitude", "projection_x_coordinate", "grid_longitude"},
        "names": {"x", "lon", "longitude", "rlon", "west_east"},
    },
}


def open_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Open one NetCDF file lazily, turning every failure into a message a user can act on."""
    path = Path(path)
    if not path.exists():
        raise StganError(f"data file {str(path)!r} does not exist; check the path")
    if path.is_dir():
        raise StganError(f"{str(path)!r} is a directory; give the path of a NetCDF file")
    try:
        return xr.open_dataset(path, engine="netcdf4")
    except Exception as err:  # netCDF4 raises OSError, ValueError, RuntimeError... for bad files
        if isinstance(err, ValueError):  # xarray's failure to decode dates: name the culprit
            check_file_times(path)
        raise StganError(
            f"cannot read {str(path)!r} as NetCDF ({type(err).__name__}: {err}); "
            "is it a complete NetCDF3/NetCDF4 file?"
        ) from None


def _role_of(name: str, var: xr.DataArray | None) -> str | None:
    attrs = var.attrs if var is not None else {}
    for role, rule in _ROLES.items():
        if str(attrs.get("axis", "")).upper() == rule["axis"]:
            return role
        if attrs.get("standard_name") in rule["standard_names"]:
            return role
    for role, rule in _ROLES.items():
        if name.lower() in rule["names"]:
            return role
    return None


def dimension_roles(ds: xr.Dataset, da: xr.DataArray) -> dict[str, str]:
    """Map the roles ``time``, ``y``, ``x`` to the dimension names of ``da``.

    Raises
    ------
    StganError
        If a role is missing, claimed by two dimensions, or ``da`` has extra dimensions.
    """
    found: dict[str, list[str]] = {role: [] for role in _ROLES}
    extra = []
    for dim in da.dims:
        role = _role_of(str(dim), ds.coords.get(dim) if dim in ds.coords else None)
        (found[role] if role else extra).append(str(dim))
    for role, dims in found.items():
        if len(dims) > 1:
            raise StganError(
                f"variable {da.name!r}: dimensions {dims} could all be {role!r}; "
                "give the coordinate an 'axis' attribute (T, Y or X) to say which"
            )
        if not dims:
            raise StganError(
                f"variable {da.name!r} with dimensions {list(da.dims)} has no {role!r} dimension; "
                f"name it one of {sorted(_ROLES[role]['names'])} or set the CF attribute "
                f"axis={_ROLES[role]['axis']!r} on its coordinate"
            )
    if extra:
        raise StganError(
            f"variable {da.name!r} has extra dimensions {extra} beyond (time, y, x); "
            "select a single value of each before training"
        )
    return {role: dims[0] for role, dims in found.items()}


def select_variables(ds: xr.Dataset, variables: Sequence[str] | None) -> list[str]:
    """The data variables to train on: the requested ones, or every variable with a time dim."""
    present = [str(v) for v in ds.data_vars]
    if variables:
        missing = [v for v in variables if v not in ds.data_vars]
        if missing:
            raise StganError(
                f"variable(s) {', '.join(map(repr, missing))} not in the file; "
                f"present: {', '.join(present) or '(none)'}"
            )
        chosen = list(variables)
    else:
        chosen = [v for v in present if any(_role_of(str(d), ds.coords.get(d)) == "time"
                                            for d in ds[v].dims)]
        if not chosen:
            raise StganError(
                f"no data variable with a time dimension in the file (variables: {present}); "
                "name the variables to use with --data.variables"
            )
    for name in chosen:
        if not np.issubdtype(ds[name].dtype, np.number):
            raise StganError(f"variable {name!r} has dtype {ds[name].dtype}, not a number")
    return chosen


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to ``path`` atomically (see :func:`stgan.io.atomic.atomic_path`)."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")
    return Path(path)
