"""NetCDF in and out: open with clear errors, find dimension roles and fields, write atomically.

Dimensions are found by CF evidence (:mod:`stgan.io.axes`); the fields to train on are the
numeric data variables on the space-time axes, bounds and grid mappings left out; whatever
cannot be decided is a :class:`~stgan.errors.StganError` that says what to set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.atomic import atomic_path
from stgan.io.axes import find_axes
from stgan.io.stores import is_zarr_output, is_zarr_store, open_zarr, write_zarr
from stgan.io.time_description import check_file_times


def open_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Open one NetCDF file or Zarr store lazily, turning every failure into a message a user can act on."""
    path = Path(path)
    if not path.exists():
        raise StganError(f"data file {str(path)!r} does not exist; check the path")
    if is_zarr_store(path):
        return open_zarr(path)
    if path.is_dir():
        raise StganError(
            f"{str(path)!r} is a directory; give the path of a NetCDF file or a Zarr store"
        )
    try:
        return xr.open_dataset(path, engine="netcdf4")
    except Exception as err:  # netCDF4 raises OSError, ValueError, RuntimeError... for bad files
        if isinstance(err, ValueError):  # xarray's failure to decode dates: name the culprit
            check_file_times(path)
        raise StganError(
            f"cannot read {str(path)!r} as NetCDF ({type(err).__name__}: {err}); "
            "is it a complete NetCDF3/NetCDF4 file?"
        ) from None


def dimension_roles(
    ds: xr.Dataset, da: xr.DataArray, dims: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map the roles ``time``, ``y``, ``x`` to the dimension names of ``da``.

    See :func:`stgan.io.axes.find_axes` (CF evidence through cf-xarray; ``dims`` always wins).

    Raises
    ------
    StganError
        If a role is missing, claimed by two dimensions, or ``da`` has extra dimensions.
    """
    return find_axes(ds, da, dims)


def _referenced(ds: xr.Dataset, attr: str) -> dict[str, str]:
    """Variables named by another variable's ``attr`` (``bounds``, ``grid_mapping``, ...)."""
    out = {}
    for name, var in ds.variables.items():
        for ref in str(var.attrs.get(attr, var.encoding.get(attr, ""))).split():
            out[ref.rstrip(":")] = str(name)
    return out


def skipped_variables(
    ds: xr.Dataset,
    dims: Mapping[str, str] | None = None,
    select: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """Data variables that are not fields to train on, each with the reason.

    Skipped: bounds (named by a ``bounds`` or ``climatology`` attribute, or ending in
    ``_bnds``/``_bounds``), grid mappings, non-numeric variables, and variables without the
    three space-time axes (or with extra dimensions that ``select`` does not fix).
    """
    bounds = {**_referenced(ds, "bounds"), **_referenced(ds, "climatology")}
    mappings = _referenced(ds, "grid_mapping")
    fixed = set(select or {})
    reasons: dict[str, str] = {}
    for name in map(str, ds.data_vars):
        var = ds[name]
        if name in bounds:
            reasons[name] = f"cell bounds of {bounds[name]!r}"
        elif name.lower().endswith(("_bnds", "_bounds", "_bnd")):
            reasons[name] = "cell bounds (by its name)"
        elif name in mappings:
            reasons[name] = f"grid mapping of {mappings[name]!r}"
        elif not np.issubdtype(var.dtype, np.number):
            reasons[name] = f"not numeric (dtype {var.dtype})"
        else:
            try:
                find_axes(ds, var.isel({d: 0 for d in var.dims if d in fixed}), dims)
            except StganError:
                reasons[name] = f"lacks the space-time axes (dims {tuple(map(str, var.dims))})"
    return reasons


def select_variables(
    ds: xr.Dataset,
    variables: Sequence[str] | None,
    dims: Mapping[str, str] | None = None,
    select: Mapping[str, object] | None = None,
) -> list[str]:
    """The data variables to train on: the requested ones, or every space-time field.

    Without ``variables``, what :func:`skipped_variables` lists is left out.
    """
    present = [str(v) for v in ds.data_vars]
    if variables:
        missing = [v for v in variables if v not in ds.data_vars]
        if missing:
            raise StganError(
                f"variable(s) {', '.join(map(repr, missing))} not in the file; "
                f"present: {', '.join(present) or '(none)'}"
            )
        chosen = list(variables)
        for name in chosen:
            if not np.issubdtype(ds[name].dtype, np.number):
                raise StganError(
                    f"variable {name!r} has dtype {ds[name].dtype}, not a number; "
                    "drop it from --data.variables"
                )
        return chosen
    skipped = skipped_variables(ds, dims, select)
    chosen = [v for v in present if v not in skipped]
    if not chosen:
        fields = [
            v
            for v in present
            if np.issubdtype(ds[v].dtype, np.number)
            and ds[v].ndim >= 3
            and v in skipped
            and skipped[v].startswith("lacks")
        ]
        if fields:  # the detailed reason of the likeliest field: its dims and the fix
            var = ds[fields[0]]
            find_axes(ds, var.isel({d: 0 for d in var.dims if d in (select or {})}), dims)
        listed = "; ".join(f"{k}: {v}" for k, v in skipped.items()) or "none"
        raise StganError(
            f"no data variable with time, y and x dimensions in the file (variables: {listed}); "
            "name the variables to use with --data.variables, and which dimension is which with "
            "--data.dims '{time: T, y: LAT, x: LON}'"
        )
    return chosen


# Input attributes that would be false of generated data or name what is not written with it:
# packing and fill values (written anew), ranges of the input's values, the 2-D coordinates,
# grid mapping and cell measures of the input file.
_NOT_CARRIED = {
    "_FillValue",
    "missing_value",
    "scale_factor",
    "add_offset",
    "actual_range",
    "valid_range",
    "valid_min",
    "valid_max",
    "coordinates",
    "grid_mapping",
    "cell_measures",
}


def field_attrs(name: str, attrs: Mapping[str, object]) -> dict[str, object]:
    """A data variable's attributes as CF wants them written.

    What would be false of the samples is left out (:data:`_NOT_CARRIED`); ``long_name``
    defaults to the name (CF asks for it or a ``standard_name``); units that
    UDUNITS does not know but knows in lower case (Ferret's ``M/S``) are written in lower case,
    the original kept as ``original_units``.
    """
    out = {k: v for k, v in attrs.items() if k not in _NOT_CARRIED}
    if "long_name" not in out and "standard_name" not in out:
        out["long_name"] = name
    units = out.get("units")
    if isinstance(units, str) and units and not _udunits(units) and _udunits(units.lower()):
        out["units"], out["original_units"] = units.lower(), units
    return out


def _udunits(units: str) -> bool:
    """Whether UDUNITS (through cf-units) parses ``units``."""
    import cf_units  # its UDUNITS library loads in a second or so: only when writing

    try:
        cf_units.Unit(units)
    except ValueError:
        return False
    return True


def coordinate_encoding(ds: xr.Dataset) -> dict[str, dict[str, object]]:
    """Encoding that keeps coordinates and cell bounds CF-clean: no ``_FillValue``.

    The variables' own time encoding (units, calendar, dtype) is kept: an ``encoding``
    argument replaces a variable's ``.encoding`` rather than adding to it.
    """
    bounds = {str(v.attrs["bounds"]) for v in ds.variables.values() if "bounds" in v.attrs}
    names = [str(n) for n in ds.variables if n in ds.coords or n in bounds]
    return {
        name: {
            **{k: v for k, v in ds[name].encoding.items() if k in ("units", "calendar", "dtype")},
            "_FillValue": None,
        }
        for name in names
        if ds[name].dtype.kind in "fcMmO"
    }


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to ``path`` atomically (see :func:`stgan.io.atomic.atomic_path`)."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", encoding=coordinate_encoding(ds))
    return Path(path)


def write_dataset(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` atomically: a Zarr store when ``path`` ends in ``.zarr``, else NetCDF."""
    return write_zarr(ds, path) if is_zarr_output(path) else write_netcdf(ds, path)
