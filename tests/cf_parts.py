"""The parts every CF fixture writer shares: a weather-like field, coordinates and dates as numbers.

:func:`smooth_field` is smooth in space and time with some noise (a few grid points of
correlation length, AR-like persistence), so that the data look like weather, not white noise.
"""

from __future__ import annotations

import cftime
import netCDF4
import numpy as np
from scipy.ndimage import gaussian_filter

# netCDF's default fill value for floats, as CMIP and NOAA files use it.
NC_FILL_FLOAT = np.float32(netCDF4.default_fillvals["f4"])


def smooth_field(nt: int, ny: int, nx: int, *, seed: int, periodic_x: bool = False) -> np.ndarray:
    """A (T, Y, X) field of unit standard deviation: blurred noise plus 10 % white noise.

    The blur (sigma 2 steps, 2 cells) gives correlation over a few steps and cells; with
    ``periodic_x`` the blur wraps in x, as on a global longitude circle.
    """
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((nt, ny, nx))
    modes = ("nearest", "nearest", "wrap" if periodic_x else "nearest")
    field = gaussian_filter(noise, sigma=(2.0, 2.0, 2.0), mode=modes)
    field = (field - field.mean()) / field.std()
    return field + 0.1 * rng.standard_normal(field.shape)


def _coord(nc: netCDF4.Dataset, name: str, values: np.ndarray, **attrs: object) -> netCDF4.Variable:
    """A float64 coordinate variable ``name(name)`` with ``attrs`` (no _FillValue: CF forbids it)."""
    var = nc.createVariable(name, "f8", (name,), fill_value=False)
    var[:] = values
    var.setncatts(attrs)
    return var


def _day_numbers(dates: list[cftime.datetime], units: str, calendar: str) -> np.ndarray:
    """Dates as numbers in ``units`` (hours or days since an epoch) of ``calendar``."""
    return np.asarray(cftime.date2num(dates, units, calendar=calendar), dtype=np.float64)
