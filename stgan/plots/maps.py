"""Maps: one field on geographic axes (latitude-longitude grids) or pixel axes (other grids),
and the real-vs-generated mean and standard-deviation maps with their differences."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.axes import array_axes
from stgan.plots.fields import (
    MASK_COLOUR,
    Data,
    as_field,
    colour_map,
    label_of,
    mask_legend,
    opened,
    same_variable,
    shared_limits,
)
from stgan.plots.geo import add_coastlines, add_note, cartopy_crs, geo_note, is_lat_lon

STATS = ("mean", "std")


def _roles_2d(da: xr.DataArray, dims: Mapping[str, str] | None) -> tuple[str, str]:
    """The y and x dimensions of a 2-D field, by the same detection as for (time, y, x).

    The detection wants a time dimension; a stand-in of length 1 is named as time explicitly.
    """
    if da.ndim != 2:
        raise StganError(
            f"map_plot draws a 2-D (y, x) field; {da.name!r} has dimensions {list(da.dims)} "
            "(reduce or select the others first, e.g. da.mean('time'))"
        )
    roles = array_axes(da.expand_dims("_map_time"), {**(dims or {}), "time": "_map_time"})
    return roles["y"], roles["x"]


def _new_axes(fig: Any, nrows: int, ncols: int, index: int, geo: bool) -> Any:
    """A subplot: PlateCarree axes for a latitude-longitude grid when cartopy is here."""
    ccrs = cartopy_crs() if geo else None
    if ccrs is None:
        return fig.add_subplot(nrows, ncols, index)
    return fig.add_subplot(nrows, ncols, index, projection=ccrs.PlateCarree())


def _edges(centres: np.ndarray) -> list[float]:
    """The outer cell edges of evenly spaced centres (one centre: half a degree either side)."""
    step = abs(float(centres[1] - centres[0])) / 2 if centres.size > 1 else 0.5
    return [float(centres.min()) - step, float(centres.max()) + step]


def _degree_ticks(ax: Any, lon: Sequence[float], lat: Sequence[float], crs: Any) -> None:
    """Longitude and latitude ticks in degrees on GeoAxes: plain axis ticks, a tenth of the
    time cartopy's labelled gridlines take to lay out (the report draws many maps)."""
    from cartopy.mpl.ticker import LatitudeFormatter, LongitudeFormatter
    from matplotlib.ticker import MaxNLocator

    for (lo, hi), set_ticks, axis, formatter in (
        (lon, ax.set_xticks, ax.xaxis, LongitudeFormatter()),
        (lat, ax.set_yticks, ax.yaxis, LatitudeFormatter()),
    ):
        ticks = MaxNLocator(4).tick_values(lo, hi)
        set_ticks(ticks[(ticks >= lo) & (ticks <= hi)], crs=crs)
        axis.set_major_formatter(formatter)
    ax.tick_params(labelsize="x-small")


def _draw(
    ax: Any, da: xr.DataArray, ydim: str, xdim: str, *, cmap: Any, vmin: float, vmax: float
) -> Any:
    """Draw the (y, x) field ``da`` on ``ax``; return its QuadMesh."""
    values = np.asarray(da.transpose(ydim, xdim).values, dtype=np.float64)
    geo = is_lat_lon(da, ydim, xdim)
    options = {"cmap": cmap, "vmin": vmin, "vmax": vmax, "shading": "nearest"}
    if not geo:  # pixel axes, labelled with the dimension names
        mesh = ax.pcolormesh(
            np.arange(values.shape[1]), np.arange(values.shape[0]), values, **options
        )
        ax.set_xlabel(xdim)
        ax.set_ylabel(ydim)
        ax.set_aspect("equal")
        return mesh
    lon = np.asarray(da[xdim].values, dtype=np.float64)
    lat = np.asarray(da[ydim].values, dtype=np.float64)
    if hasattr(ax, "projection"):  # cartopy GeoAxes
        ccrs = cartopy_crs()
        # cartopy wraps meshes across the dateline only with a transparent 'bad' colour: the
        # masked cells then show the axes background, painted the mask colour over the data.
        options["cmap"] = cmap.with_extremes(bad=(0, 0, 0, 0))
        west, east = _edges(lon)
        if east - west >= 360:  # a global grid: an extent of 360° is 0° to cartopy
            west, east = -180.0, 180.0
        ax.set_extent([west, east, *_edges(lat)], crs=ccrs.PlateCarree())
        ax.patch.set_facecolor(MASK_COLOUR)
        mesh = ax.pcolormesh(lon, lat, values, transform=ccrs.PlateCarree(), **options)
        add_coastlines(ax)
        _degree_ticks(ax, (west, east), _edges(lat), ccrs.PlateCarree())
        return mesh
    mesh = ax.pcolormesh(lon, lat, values, **options)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_aspect("equal")
    return mesh


def map_plot(
    field: xr.DataArray,
    *,
    ax: Any = None,
    title: str | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    dims: Mapping[str, str] | None = None,
    dpi: int = 80,
) -> Any:
    """Draw one (y, x) field as a map.

    A latitude-longitude grid is drawn on cartopy ``PlateCarree`` axes when cartopy is
    installed (the ``maps`` extra), with coastlines when Natural Earth data is already on disk;
    otherwise on plain longitude/latitude axes, with a note at the foot of the figure saying
    why. Any other grid is drawn on pixel axes labelled with its dimension names. Masked (NaN)
    cells are grey, with a legend entry.

    Parameters
    ----------
    field : xr.DataArray
        A 2-D field on (y, x), e.g. ``da.mean("time")``.
    ax : matplotlib Axes, optional
        Draw into this axes (a cartopy GeoAxes for geographic axes); default a new figure.
    title : str, optional
        The axes title (default: the field's name).
    cmap : str
        Matplotlib colormap name.
    vmin, vmax : float, optional
        Colour scale limits (default: the finite range of the field).
    dims : mapping, optional
        Explicit ``{"y": ..., "x": ...}``; always wins.
    dpi : int
        Resolution of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the map (``ax``'s figure when given).

    Examples
    --------
    >>> from stgan.data.synthetic import make_grf
    >>> from stgan.plots import map_plot
    >>> field = make_grf(time=4, height=8, width=8)["field"].mean("time")
    >>> fig = map_plot(field)
    >>> fig.axes[0].get_xlabel()
    'x'
    """
    ydim, xdim = _roles_2d(field, dims)
    values = np.asarray(field.values, dtype=np.float64)
    lo, hi = shared_limits(values, vmin=vmin, vmax=vmax)
    geo = is_lat_lon(field, ydim, xdim)
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(4.5, 3.5), dpi=dpi, layout="constrained")
        ax = _new_axes(fig, 1, 1, 1, geo)
    fig = ax.figure
    mesh = _draw(ax, field, ydim, xdim, cmap=colour_map(cmap), vmin=lo, vmax=hi)
    ax.set_title(str(field.name) if title is None else title, fontsize="medium")
    fig.colorbar(mesh, ax=ax, shrink=0.85, label=label_of(field))
    mask_legend(fig, values)
    if geo:
        add_note(fig, geo_note())
    return fig


def _statistic(da: xr.DataArray, stat: str, over: list[str]) -> xr.DataArray:
    """``mean`` or ``std`` (population, NaN left out) over ``over``; all-NaN cells stay NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN (masked) cells
        # float64: float32 sums drift by 1e-5, which shows in the differences of two maps
        return getattr(da.astype(np.float64), stat)(over, skipna=True, keep_attrs=True)


def maps(
    real: Data,
    generated: Data,
    *,
    stat: str | Sequence[str] = STATS,
    variable: str | None = None,
    cmap: str = "viridis",
    dims: Mapping[str, str] | None = None,
    dpi: int = 80,
) -> Any:
    """The real and generated mean and standard-deviation maps, and their differences.

    One row per statistic: the real map, the generated map (both on one colour scale) and the
    difference ``(generated − real) / real std``, in units of the real local standard
    deviation (NaN where that is 0). Statistics are over every time step (and sample).

    Parameters
    ----------
    real, generated : xr.DataArray, xr.Dataset or path
        Real and generated data on (time, y, x), either with a ``sample`` dimension; both on
        one grid.
    stat : "mean", "std" or a sequence of them
        The rows (default both).
    variable, cmap, dims, dpi
        As for :func:`stgan.plots.animate`.

    Returns
    -------
    matplotlib.figure.Figure
        ``3 × len(stat)`` map axes (plus colour bars), row by row.

    Raises
    ------
    StganError
        An unknown statistic, grids of different sizes, and the input errors of
        :func:`stgan.plots.animate`.

    Examples
    --------
    >>> from stgan.data.synthetic import make_grf
    >>> from stgan.plots import maps
    >>> real = make_grf(time=6, height=8, width=8, seed=0)
    >>> fake = make_grf(time=6, height=8, width=8, seed=1)
    >>> fig = maps(real, fake, stat="mean")
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['real mean', 'generated mean']
    """
    stats = [stat] if isinstance(stat, str) else list(stat)
    unknown = [s for s in stats if s not in STATS]
    if unknown or not stats:
        raise StganError(f"unknown map statistic {unknown or stats}; use {' and/or '.join(STATS)}")
    gen, gen_roles = as_field(generated, variable=variable, dims=dims, what="generated")
    real = opened(real)
    obs, roles = as_field(real, variable=same_variable(real, gen, variable), dims=dims)
    if obs.shape[-2:] != gen.shape[-2:]:
        raise StganError(
            f"real and generated grids differ: {obs.shape[-2:]} and {gen.shape[-2:]} (y, x) cells; "
            "maps compare one grid"
        )
    over_obs = [d for d in obs.dims if d in ("sample", roles["time"])]
    over_gen = [d for d in gen.dims if d in ("sample", gen_roles["time"])]
    obs_std = _statistic(obs, "std", over_obs)
    ydim, xdim = roles["y"], roles["x"]
    geo = is_lat_lon(obs, ydim, xdim)

    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 2.9 * len(stats)), dpi=dpi, layout="constrained")
    shown = []
    for i, name in enumerate(stats):
        r = _statistic(obs, name, over_obs)
        # The generated map on the real grid's coordinates, so one grid describes the row.
        g = r.copy(data=_statistic(gen, name, over_gen).values)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = r.copy(data=np.where(obs_std > 0, (g.values - r.values) / obs_std.values, np.nan))
        d.attrs = {"units": "real std"}
        lo, hi = shared_limits(r.values, g.values)
        bound = float(np.nanmax(np.abs(d.values))) if np.isfinite(d.values).any() else 1.0
        axes = [_new_axes(fig, len(stats), 3, 3 * i + j + 1, geo) for j in range(3)]
        for ax, field, title in zip(axes[:2], (r, g), ("real", "generated")):
            mesh = _draw(ax, field, ydim, xdim, cmap=colour_map(cmap), vmin=lo, vmax=hi)
            ax.set_title(f"{title} {name}", fontsize="medium")
        fig.colorbar(mesh, ax=axes[:2], shrink=0.85, label=f"{name} of {label_of(obs)}")
        mesh = _draw(axes[2], d, ydim, xdim, cmap=colour_map("RdBu_r"), vmin=-bound, vmax=bound)
        axes[2].set_title(f"(generated − real) {name} / real std", fontsize="medium")
        fig.colorbar(mesh, ax=axes[2], shrink=0.85, label="real std units")
        shown += [r.values, g.values]
    mask_legend(fig, *shown)
    if geo:
        add_note(fig, geo_note())
    return fig
