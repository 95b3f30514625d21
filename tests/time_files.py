"""Time-axis fixture files, written with netCDF4 directly (as other software writes them).

:func:`write_file` writes a tiny ``tas(time, lat, lon)`` file whose time variable has exactly the
given values, units, calendar and type; :func:`mid_months` gives CMIP-style mid-month stamps.
"""

from __future__ import annotations

import cftime
import netCDF4
import numpy as np


def write_file(
    path,
    times,
    units: str | None,
    calendar: str | None,
    *,
    ny: int = 4,
    nx: int = 5,
    seed: int = 0,
    time_dtype: str = "f8",
):
    """A (time, lat, lon) file of one variable ``tas`` whose time variable has these attributes."""
    rng = np.random.default_rng(seed)
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("time", len(times))
        nc.createDimension("lat", ny)
        nc.createDimension("lon", nx)
        t = nc.createVariable("time", time_dtype, ("time",))
        t[:] = np.asarray(times)
        if units is not None:
            t.units = units
        if calendar is not None:
            t.calendar = calendar
        t.long_name = "time"
        lat = nc.createVariable("lat", "f8", ("lat",))
        lat[:] = np.linspace(-30, 30, ny)
        lat.units = "degrees_north"
        lon = nc.createVariable("lon", "f8", ("lon",))
        lon[:] = np.linspace(0, 40, nx)
        lon.units = "degrees_east"
        v = nc.createVariable("tas", "f4", ("time", "lat", "lon"))
        v.units = "K"
        v[:] = 280 + rng.normal(size=(len(times), ny, nx)).astype(np.float32)
    return path


def mid_months(years, calendar: str) -> list[cftime.datetime]:
    """CMIP-style stamps: the midpoint of each month of ``years``."""
    out = []
    for y in years:
        for m in range(1, 13):
            a = cftime.datetime(y, m, 1, calendar=calendar)
            b = cftime.datetime(y + m // 12, m % 12 + 1, 1, calendar=calendar)
            out.append(a + (b - a) / 2)
    return out
