"""The fields a picture shows: real and generated data as (time, y, x) DataArrays.

Every picture takes its inputs the same way: an ``xr.DataArray``, an ``xr.Dataset`` (one field
chosen by ``variable``) or the path of a NetCDF file or Zarr store. Which dimension is time,
y and x is found by the project's CF detection (:func:`stgan.io.axes.array_axes`); an explicit
``dims`` mapping always wins. A ``sample`` dimension (files written by ``stgan generate``) is
the only other dimension allowed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.axes import array_axes

Data = xr.DataArray | xr.Dataset | str | os.PathLike
# Colour of masked (NaN) cells in every picture, and its legend label.
MASK_COLOUR = "#d9d9d9"
MASK_LABEL = "masked (NaN)"


def _candidates(ds: xr.Dataset) -> list[str]:
    """The fields of a dataset: numeric data variables with at least three dimensions."""
    return [
        str(n) for n, v in ds.data_vars.items() if v.ndim >= 3 and np.issubdtype(v.dtype, np.number)
    ]


def choose_variable(ds: xr.Dataset, variable: str | None, what: str) -> str:
    """The field of ``ds`` to draw: ``variable``, or the only field there is."""
    fields = _candidates(ds)
    if variable is not None:
        if variable not in ds.data_vars:
            raise StganError(
                f"{what} data has no variable {variable!r}; its fields are {fields} "
                "(choose one with variable=... or --variable)"
            )
        return variable
    if len(fields) != 1:
        raise StganError(
            f"{what} data has {len(fields)} fields {fields}; choose one with variable=... "
            "(CLI: --variable NAME)"
        )
    return fields[0]


def opened(data: Data) -> xr.DataArray | xr.Dataset:
    """``data``, or the dataset at ``data`` when it is a path (opened lazily)."""
    if isinstance(data, str | os.PathLike):
        from stgan.io.netcdf import open_dataset

        return open_dataset(data)
    return data


def same_variable(real: Data, generated: xr.DataArray, variable: str | None) -> str | None:
    """The real field to pair with ``generated``: ``variable``, else one of the same name."""
    if variable is None and isinstance(real, xr.Dataset) and generated.name in real.data_vars:
        return str(generated.name)  # real data may hold several fields
    return variable


def as_field(
    data: Data,
    *,
    variable: str | None = None,
    dims: Mapping[str, str] | None = None,
    what: str = "real",
) -> tuple[xr.DataArray, dict[str, str]]:
    """One field of ``data`` and its ``{role: dimension}``, dims ordered ([sample,] time, y, x).

    Raises
    ------
    StganError
        An unknown or ambiguous variable, undetectable dimensions, or a dimension beyond
        ``sample``, time, y and x.
    """
    data = opened(data)
    if isinstance(data, xr.Dataset):
        data = data[choose_variable(data, variable, what)]
    if not isinstance(data, xr.DataArray):
        raise StganError(
            f"{what} data must be an xarray DataArray, Dataset or a file path, "
            f"got {type(data).__name__}"
        )
    roles = array_axes(data, dims)
    extra = [d for d in data.dims if d not in roles.values() and d != "sample"]
    if extra:
        raise StganError(
            f"{what} field {data.name!r} has dimensions {extra} beyond (sample, time, y, x); "
            f"select one value of each first, e.g. da.sel({extra[0]}=VALUE)"
        )
    order = [d for d in ("sample",) if d in data.dims] + [roles[r] for r in ("time", "y", "x")]
    return data.transpose(*order), roles


def pick_sample(da: xr.DataArray, sample: int, what: str) -> xr.DataArray:
    """Sample ``sample`` of a field with a ``sample`` dimension; the field itself otherwise."""
    if "sample" not in da.dims:
        return da
    n = da.sizes["sample"]
    if not -n <= sample < n:
        raise StganError(f"{what} data has {n} samples; sample={sample} is out of range")
    return da.isel(sample=sample)


def window_pair(
    real: Data,
    generated: Data,
    *,
    variable: str | None = None,
    sample: int = 0,
    start: int = 0,
    dims: Mapping[str, str] | None = None,
) -> tuple[xr.DataArray, xr.DataArray, dict[str, str]]:
    """A generated window and the real window of the same length beside it, both (time, y, x).

    The generated window is sample ``sample`` (when there is a ``sample`` dimension). The real
    window is sample ``sample`` of real data with samples, else the steps ``start ..`` of the
    real record. When one is shorter, both are cut to its length. ``dims`` applies to both.
    Returns the roles of the real field; the generated one keeps its own dimension names.
    """
    gen, _ = as_field(generated, variable=variable, dims=dims, what="generated")
    real = opened(real)
    obs, roles = as_field(real, variable=same_variable(real, gen, variable), dims=dims)
    gen = pick_sample(gen, sample, "generated")
    obs = pick_sample(obs, sample, "real")
    n_obs = obs.sizes[roles["time"]]
    if not 0 <= start < n_obs:
        raise StganError(f"real data has {n_obs} time steps; start={start} is out of range")
    length = min(gen.shape[0], n_obs - start)
    return obs.isel({roles["time"]: slice(start, start + length)}), gen[:length], roles


def shared_limits(
    *fields: np.ndarray, vmin: float | None = None, vmax: float | None = None
) -> tuple[float, float]:
    """One colour scale for every field: the finite minimum and maximum unless given."""
    finite = [f[np.isfinite(f)] for f in fields]
    if not any(f.size for f in finite):
        raise StganError("every value is NaN (masked): there is nothing to draw")
    values = np.concatenate(finite)
    lo = float(values.min()) if vmin is None else float(vmin)
    hi = float(values.max()) if vmax is None else float(vmax)
    if not lo < hi:  # a constant field: a scale of width 1 around it, not a division by zero
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def colour_map(name: str = "viridis") -> Any:
    """A copy of the colormap ``name`` that draws NaN in :data:`MASK_COLOUR`."""
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad=MASK_COLOUR)


def mask_legend(fig: Any, *fields: np.ndarray) -> None:
    """A legend entry for masked cells, when any field has some."""
    if any(np.isnan(f).any() for f in fields):
        from matplotlib.layout_engine import ConstrainedLayoutEngine
        from matplotlib.patches import Patch

        # "outside": room made below the axes, where the layout engine can make it
        outside = isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
        fig.legend(
            handles=[Patch(facecolor=MASK_COLOUR, edgecolor="0.5", label=MASK_LABEL)],
            loc="outside lower left" if outside else "lower left",
            fontsize="small",
            frameon=False,
        )


def label_of(da: xr.DataArray) -> str:
    """``name (units)`` for a colour bar."""
    units = da.attrs.get("units")
    return f"{da.name} ({units})" if units else str(da.name)


def time_text(value: Any) -> str:
    """A time stamp as a short date (``2000-01-05``, with the hour when it has one)."""
    if isinstance(value, np.datetime64):
        text = np.datetime_as_string(value, unit="m").replace("T", " ")
    elif hasattr(value, "calendar"):  # cftime
        text = value.strftime("%Y-%m-%d %H:%M")
    else:
        return str(value)
    return text.removesuffix(" 00:00")


def time_labels(da: xr.DataArray, dim: str) -> list[str]:
    """A label per step of ``da`` along ``dim``: its date, or its index without a coordinate."""
    if dim not in da.coords:
        return [str(i) for i in range(da.sizes[dim])]
    return [time_text(v) for v in da[dim].values]
