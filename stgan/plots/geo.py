"""Geographic axes for latitude-longitude grids: cartopy when it is installed, plain axes
otherwise, and coastlines only from Natural Earth files already on disk (never a download)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import xarray as xr

from stgan.io.degrees import is_degrees

log = logging.getLogger("stgan.plots")
# Natural Earth coastlines, finest first, as cartopy's downloader lays them out.
_COASTLINES = [f"shapefiles/natural_earth/physical/ne_{r}_coastline.shp" for r in ("50m", "110m")]


def is_lat_lon(da: xr.DataArray, ydim: str, xdim: str) -> bool:
    """Whether ``da``'s y and x are latitude and longitude."""
    lat = da[ydim] if ydim in da.coords else None
    lon = da[xdim] if xdim in da.coords else None
    return is_degrees(lat, ydim, "latitude") and is_degrees(lon, xdim, "longitude")


def cartopy_crs() -> Any | None:
    """``cartopy.crs`` when cartopy is installed, else None."""
    try:
        import cartopy.crs as ccrs
    except ImportError:
        return None
    return ccrs


def coastline_file() -> Path | None:
    """A Natural Earth coastline shapefile already on disk, in cartopy's data folders."""
    import cartopy

    for key in ("pre_existing_data_dir", "data_dir"):
        folder = cartopy.config.get(key)
        for name in _COASTLINES:
            if folder and (Path(folder) / name).is_file():
                return Path(folder) / name
    return None


def geo_note() -> str | None:
    """Why a map has no coastlines (None when cartopy and its coastline data are both here)."""
    if cartopy_crs() is None:
        return "cartopy is not installed (pip install 'stgan[maps]'): plain lat/lon axes"
    if coastline_file() is None:
        import cartopy

        return (
            "no coastlines: Natural Earth data not found under "
            f"{cartopy.config.get('data_dir')} (stgan never downloads it)"
        )
    return None


def add_coastlines(ax: Any) -> None:
    """Draw the on-disk coastlines on a cartopy axes (read here, so cartopy never downloads)."""
    from cartopy.io.shapereader import Reader

    path = coastline_file()
    if path is None:
        return
    ax.add_geometries(
        list(Reader(str(path)).geometries()),
        cartopy_crs().PlateCarree(),
        facecolor="none",
        edgecolor="black",
        linewidth=0.6,
    )


def add_note(fig: Any, note: str | None) -> None:
    """Write ``note`` at the foot of the figure and in the log."""
    if note:
        log.warning("map: %s", note)
        fig.text(0.99, 0.005, note, ha="right", va="bottom", fontsize="x-small", color="0.3")
