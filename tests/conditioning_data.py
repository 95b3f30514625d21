"""A field whose mean depends on position and month, written as NetCDF, for conditioning tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

# The known answer: mean = SPACE(lon) + SEASON(month), plus white noise of NOISE.
SPACE, SEASON, NOISE = 1.5, 1.0, 0.3


def mean_map(lat: np.ndarray, lon: np.ndarray, month: int) -> np.ndarray:
    """(H, W) expected value of the field in calendar ``month``."""
    space = SPACE * np.sin(np.radians(lon))[None, :] * np.ones((len(lat), 1))
    return space + SEASON * np.cos(2 * np.pi * (month - 1) / 12)


def position_month_field(years: int = 20, h: int = 8, w: int = 16, seed: int = 0) -> xr.Dataset:
    """Monthly ``v`` on a global (periodic) ``h``×``w`` grid over ``years`` years."""
    time = pd.date_range("2000-01-01", periods=12 * years, freq="MS")
    lat = np.linspace(-35.0, 35.0, h)
    lon = np.arange(w) * (360.0 / w)
    mean = np.stack([mean_map(lat, lon, m) for m in time.month])
    noise = NOISE * np.random.default_rng(seed).normal(size=mean.shape)
    return xr.Dataset(
        {"v": (("time", "lat", "lon"), (mean + noise).astype("f4"), {"units": "K"})},
        coords={
            "time": time,
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
    )


def write_static(path: Path, lat: np.ndarray, lon: np.ndarray, values: np.ndarray) -> Path:
    """A 2-D covariate ``z`` on (lat, lon), written to ``path``."""
    xr.Dataset(
        {"z": (("lat", "lon"), values)},
        coords={"lat": ("lat", lat, {"units": "degrees_north"}), "lon": ("lon", lon)},
    ).to_netcdf(path)
    return path
