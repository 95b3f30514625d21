"""The report's pictures of the windows themselves, real vs generated: the mean and standard
deviation maps, a Hovmöller diagram and an animation (GIF), drawn by :mod:`stgan.plots` from the
windows the evaluation compared (nothing is read again), each with a caption.

The windows are bare (N, T, H, W) arrays; :func:`labelled_windows` puts them on the real grid's
y and x coordinates when a window spans that whole grid, so a latitude-longitude grid gets
geographic axes and latitudes. Windows tiled from a larger grid have no single position: they are
drawn on grid indices, and the captions say so.

The animation is one real window (the first) beside one generated sample (the first), at most
:data:`ANIMATION_FRAMES` steps at :data:`ANIMATION_DPI`, so that report.html, which inlines it,
stays light (about 100 kB for 16 frames).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from stgan.io.degrees import is_degrees
from stgan.plots import gif_bytes, hovmoller, maps
from stgan.plots.geo import geo_note, is_lat_lon
from stgan.report.figures import figure_caption, variable_figures

ANIMATION_FRAMES = 16  # at most: every frame adds to the inlined page
ANIMATION_DPI = 64  # a 6 × 3 inch frame: 384 × 192 pixels
ANIMATION_FPS = 4
PICTURE_DPI = 80  # the maps and Hovmöller figures (the PNGs are written at 100 dpi)


@dataclass
class VariablePictures:
    """One variable's pictures, in report order.

    Attributes
    ----------
    figures : dict of str to Figure
        By PNG file stem (``"rapsd_NAME"``, ..., ``"maps_NAME"``, ``"hovmoller_NAME"``).
    animations : dict of str to bytes
        GIF files by stem (``"animation_NAME"``).
    captions : dict of str to str
        What each figure and animation shows, by stem.
    """

    figures: dict[str, Figure]
    animations: dict[str, bytes]
    captions: dict[str, str]


def labelled_windows(
    windows: np.ndarray, *, name: str, units: str, grid: dict[str, xr.DataArray] | None
) -> tuple[xr.DataArray, dict[str, str]]:
    """(N, T, H, W) windows as a (sample, time, y, x) DataArray and its ``{role: dimension}``.

    On ``grid``'s y and x coordinates (their names, values and attributes) when given, else on
    dimensions ``y`` and ``x`` without coordinates (drawn by index).
    """
    ydim, xdim = ("y", "x") if grid is None else (str(grid["y"].name), str(grid["x"].name))
    da = xr.DataArray(
        windows,
        dims=("sample", "time", ydim, xdim),
        coords={} if grid is None else {ydim: grid["y"], xdim: grid["x"]},
        name=name,
        attrs={"units": units},
    )
    return da, {"time": "time", "y": ydim, "x": xdim}


def hovmoller_place(da: xr.DataArray, ydim: str) -> tuple[dict[str, Any], str]:
    """Where the report's Hovmöller diagram looks, as :func:`stgan.plots.hovmoller` options, and
    the caption's words for it.

    On a latitude axis: the middle third of the latitudes (cos(lat)-weighted mean); the tropics
    of a global grid, where zonally travelling signals are read this way. Elsewhere: the
    middle row.
    """
    lat = da[ydim] if ydim in da.coords else None
    if is_degrees(lat, ydim, "latitude"):
        n = lat.size
        k = n // 3  # rows k … n − 1 − k: the middle third (all rows for fewer than three)
        lo, hi = sorted((float(lat[k]), float(lat[n - 1 - k])))
        where = (
            f"averaged (cos-latitude weighted) over the middle third of the latitudes, "
            f"{lo:g}° to {hi:g}°"
        )
        return {"lat_band": (lo, hi)}, where
    row = da.sizes[ydim] // 2
    return {"row": row}, f"along the middle row ({ydim} index {row})"


def _grid_words(da: xr.DataArray, roles: dict[str, str], tiled: bool) -> str:
    if tiled:
        return (
            " The windows are tiles of a larger grid, so the maps are drawn on grid indices, "
            "not coordinates."
        )
    if not is_lat_lon(da, roles["y"], roles["x"]):
        return ""
    note = geo_note()
    return " Drawn on latitude-longitude axes" + (f" ({note})." if note else " with coastlines.")


def window_pictures(
    name: str,
    real: np.ndarray,
    gen: np.ndarray,
    *,
    units: str,
    comparison: str,
    grid: dict[str, xr.DataArray] | None,
) -> VariablePictures:
    """The maps, the Hovmöller diagram and the animation of one variable's windows.

    ``real`` and ``gen`` are the (N, T, H, W) windows compared, ``comparison`` the kind of the
    real ones ("reference" or "held-out"), ``grid`` the y and x coordinates of a window (None:
    windows tiled from a larger grid).
    """
    obs, roles = labelled_windows(real, name=name, units=units, grid=grid)
    sim, _ = labelled_windows(gen, name=name, units=units, grid=grid)
    dims = {"time": "time", "y": roles["y"], "x": roles["x"]}
    place, where = hovmoller_place(obs, roles["y"])
    figures = {
        f"maps_{name}": maps(obs, sim, dims=dims, dpi=PICTURE_DPI),
        f"hovmoller_{name}": hovmoller(obs, sim, dims=dims, dpi=PICTURE_DPI, **place),
    }
    steps = min(real.shape[1], ANIMATION_FRAMES)
    animation = gif_bytes(
        obs[:1, :steps], sim[:1, :steps], dims=dims, fps=ANIMATION_FPS, dpi=ANIMATION_DPI
    )
    cut = f" (the first {steps} of {real.shape[1]})" if steps < real.shape[1] else ""
    captions = {
        f"maps_{name}": (
            f"Mean (top) and standard deviation (bottom) of {name} at each grid cell, over "
            f"every time step of the {len(real)} {comparison} windows (left) and of the {len(gen)} "
            "generated samples (middle), one colour scale per row; right: generated minus "
            f"real, in units of the real standard deviation.{_grid_words(obs, roles, grid is None)}"
        ),
        f"hovmoller_{name}": (
            f"Hovmöller diagram of {name}: time (down) against {roles['x']} (across), {where}; "
            f"the first {comparison} window (left) and the first generated sample (right), on one "
            "colour scale."
        ),
        f"animation_{name}": (
            f"Animation of {name}: the first {comparison} window (left) and the first generated "
            f"sample (right), side by side on one colour scale; {steps} time steps{cut} at "
            f"{ANIMATION_FPS} frames per second."
        ),
    }
    return VariablePictures(figures, {f"animation_{name}": animation}, captions)


def variable_pictures(
    name: str,
    m: dict[str, Any],
    real: np.ndarray,
    gen: np.ndarray,
    *,
    comparison: str,
    grid: dict[str, xr.DataArray] | None,
) -> VariablePictures:
    """Every picture of one variable in report order: the metrics' figures
    (:func:`stgan.report.figures.variable_figures`), then the maps, the Hovmöller diagram and
    the animation (:func:`window_pictures`). ``m`` is the variable's entry of metrics.json,
    ``comparison`` the kind of the real windows ("reference" or "held-out")."""
    figures = variable_figures(name, m, real, gen, label=f"real ({comparison})")
    captions = {stem: figure_caption(stem, name, comparison) for stem in figures}
    more = window_pictures(name, real, gen, units=m["units"], comparison=comparison, grid=grid)
    if m.get("mean_map_error") is not None:  # the maps metric ran: its numbers under its maps
        more.captions[f"maps_{name}"] += (
            f" Map errors (|generated − real| in real std units, averaged over cells): mean "
            f"{m['mean_map_error']:.3f}, std {m['std_map_error']:.3f}."
        )
    return VariablePictures(
        {**figures, **more.figures}, more.animations, {**captions, **more.captions}
    )
