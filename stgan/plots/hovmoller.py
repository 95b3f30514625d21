"""Hovmöller diagrams: time against x along one grid row, or against longitude averaged over a
latitude band, real and generated side by side on one colour scale."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.degrees import is_degrees
from stgan.plots.fields import (
    Data,
    colour_map,
    label_of,
    mask_legend,
    shared_limits,
    time_labels,
    window_pair,
)


def _coordinate(da: xr.DataArray, dim: str) -> np.ndarray:
    """The values of a dimension's coordinate, or its index where it has none."""
    if dim in da.coords:
        return np.asarray(da[dim].values, dtype=np.float64)
    return np.arange(da.sizes[dim], dtype=np.float64)


def band_mean(da: xr.DataArray, ydim: str, lat_band: tuple[float, float]) -> np.ndarray:
    """The (time, x) mean of a (time, lat, x) field over the latitudes within ``lat_band``.

    Each latitude counts with its cell area, ``cos(lat)``; along a latitude circle every
    longitude cell has the same area, so no weights are needed there. NaN cells are left out
    (the weights of the rest renormalised); a column all NaN in the band stays NaN.
    """
    lo, hi = sorted(float(v) for v in lat_band)
    lat = _coordinate(da, ydim)
    inside = (lat >= lo) & (lat <= hi)
    if not inside.any():
        raise StganError(
            f"no latitude within lat_band ({lo}, {hi}): the grid's latitudes run from "
            f"{lat.min():g} to {lat.max():g}"
        )
    values = np.asarray(da.values, dtype=np.float64)[:, inside, :]  # (T, band, W)
    weights = np.cos(np.deg2rad(lat[inside]))[None, :, None] * np.isfinite(values)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.nansum(values * weights, axis=1) / total, np.nan)


def _select(
    da: xr.DataArray,
    roles: dict[str, str],
    row: int | None,
    lat_band: tuple[float, float] | None,
) -> tuple[np.ndarray, str]:
    """The (time, x) values to draw and a caption saying where they come from."""
    ydim = roles["y"]
    if lat_band is not None:
        lat = da[ydim] if ydim in da.coords else None
        if not is_degrees(lat, ydim, "latitude"):
            raise StganError(
                f"lat_band needs a latitude axis, but y dimension {ydim!r} holds no latitudes "
                "(standard_name 'latitude' or units 'degrees_north'); choose a grid row with "
                "row=I (CLI: --row I)"
            )
        lo, hi = sorted(lat_band)
        return band_mean(da, ydim, lat_band), f"mean over {lo:g}° to {hi:g}° latitude"
    height = da.sizes[ydim]
    row = height // 2 if row is None else row
    if not 0 <= row < height:
        raise StganError(f"row={row} is out of range: dimension {ydim!r} has {height} rows")
    where = f"{ydim} row {row}"
    if ydim in da.coords:
        units = da[ydim].attrs.get("units", "")
        where += f" ({float(da[ydim][row]):g} {units})".replace(" )", ")")
    return np.asarray(da.values[:, row, :], dtype=np.float64), where


def hovmoller(
    real: Data,
    generated: Data,
    *,
    row: int | None = None,
    lat_band: tuple[float, float] | None = None,
    variable: str | None = None,
    sample: int = 0,
    start: int = 0,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    dims: Mapping[str, str] | None = None,
    dpi: int = 80,
):
    """Hovmöller diagrams (time × x) of a real and a generated window, side by side.

    Time runs down the page, x (or longitude) across; both panels share one colour scale and
    masked (NaN) cells are drawn grey.

    Parameters
    ----------
    real, generated : xr.DataArray, xr.Dataset or path
        Real and generated data (see :func:`animate` for how the windows are chosen).
    row : int, optional
        The grid row (index along y) to draw; default the middle row.
    lat_band : (float, float), optional
        Instead of a row: the mean over the latitudes from ``lo`` to ``hi`` degrees, each
        weighted by ``cos(lat)`` (see :func:`band_mean`). Needs a latitude y axis.
    variable, sample, start, vmin, vmax, cmap, dims, dpi
        As for :func:`stgan.plots.animate`.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes (real, generated), each with one ``QuadMesh`` of (time, x) values.

    Raises
    ------
    StganError
        Both ``row`` and ``lat_band``, a row out of range, a band on a grid without latitudes
        or without latitudes inside it, and the input errors of :func:`animate`.

    Examples
    --------
    >>> from stgan.data.synthetic import make_grf
    >>> from stgan.plots import hovmoller
    >>> real = make_grf(time=6, height=8, width=8, seed=0)
    >>> fake = make_grf(time=6, height=8, width=8, seed=1)
    >>> fig = hovmoller(real, fake, row=3)
    >>> fig.axes[0].collections[0].get_array().shape
    (6, 8)
    """
    if row is not None and lat_band is not None:
        raise StganError("give row or lat_band, not both (CLI: --row I or --lat-band LO HI)")
    obs, gen, roles = window_pair(
        real, generated, variable=variable, sample=sample, start=start, dims=dims
    )
    gen_roles = dict(zip(("time", "y", "x"), (str(d) for d in gen.dims)))
    obs_v, where = _select(obs, roles, row, lat_band)
    gen_v, _ = _select(gen, gen_roles, row, lat_band)
    lo, hi = shared_limits(obs_v, gen_v, vmin=vmin, vmax=vmax)

    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.6), dpi=dpi, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    colours = colour_map(cmap)
    xdim = roles["x"]
    x = _coordinate(obs, xdim)
    steps = np.arange(obs_v.shape[0])
    labels = time_labels(obs, roles["time"])
    ticks = steps[:: max(1, len(steps) // 6)]
    for ax, values, name in zip(axes, (obs_v, gen_v), ("real", "generated")):
        mesh = ax.pcolormesh(x, steps, values, cmap=colours, vmin=lo, vmax=hi, shading="nearest")
        ax.set_title(name, fontsize="medium")
        units = obs[xdim].attrs.get("units", "index") if xdim in obs.coords else "index"
        ax.set_xlabel(f"{xdim} ({units})")
    axes[0].set_yticks(ticks, [labels[i] for i in ticks], fontsize="small")
    axes[0].set_ylabel(roles["time"])
    axes[0].invert_yaxis()  # time runs down the page, as Hovmöller diagrams are read
    fig.colorbar(mesh, ax=list(axes), shrink=0.85, label=label_of(obs))
    fig.suptitle(f"Hovmöller diagram: {where}", fontsize="medium")
    mask_legend(fig, obs_v, gen_v)
    return fig
