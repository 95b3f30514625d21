"""Time-axis conventions: mid-month monthly means, and the time axes stgan must refuse.

Monthly means stamped mid-month without bounds; a file with no time axis, one with two, and one
whose calendar is not a CF calendar (the bad inputs, which stgan refuses with a clear message).
"""

from __future__ import annotations

from pathlib import Path

import cftime
import netCDF4
import numpy as np
from cf_parts import NC_FILL_FLOAT, _coord, _day_numbers, smooth_field


def write_monthly(path: str | Path) -> Path:
    """Monthly means, standard calendar: mid-month stamps in "days since 1900-01-01", no bounds.

    120 months from January 1991 (stamps at the middle of each month, so 15.5 days into a
    31-day month, 14 into a 28-day February); latitude descending 58.75°N → 21.25°N (as NOAA
    PSL files store it), longitude 231.25–288.75°E; ``air`` in degC with a seasonal cycle whose
    amplitude grows poleward.
    """
    path = Path(path)
    nt, ny, nx = 120, 16, 24
    units = "days since 1900-01-01 00:00:00"
    starts = [cftime.DatetimeGregorian(1991 + k // 12, k % 12 + 1, 1) for k in range(nt + 1)]
    edges = _day_numbers(starts, units, "standard")
    lat = 58.75 - 2.5 * np.arange(ny)
    with netCDF4.Dataset(path, "w", format="NETCDF4_CLASSIC") as nc:
        nc.createDimension("time", None)
        nc.createDimension("lat", ny)
        nc.createDimension("lon", nx)
        _coord(
            nc,
            "time",
            (edges[:-1] + edges[1:]) / 2,
            units=units,
            calendar="standard",
            standard_name="time",
            long_name="Time",
            axis="T",
            avg_period="0000-01-00 00:00:00",
        )
        _coord(
            nc,
            "lat",
            lat,
            units="degrees_north",
            standard_name="latitude",
            long_name="Latitude",
            axis="Y",
        )
        _coord(
            nc,
            "lon",
            231.25 + 2.5 * np.arange(nx),
            units="degrees_east",
            standard_name="longitude",
            long_name="Longitude",
            axis="X",
        )
        month = np.arange(nt) % 12
        season = np.cos(2 * np.pi * (month - 6) / 12)[:, None, None] * (0.2 * lat)[None, :, None]
        air = 25.0 - 0.5 * lat[None, :, None] + season + 1.5 * smooth_field(nt, ny, nx, seed=50)
        var = nc.createVariable("air", "f4", ("time", "lat", "lon"), fill_value=NC_FILL_FLOAT)
        var.setncatts(
            {
                "units": "degC",
                "standard_name": "air_temperature",
                "long_name": "Monthly Mean Air Temperature at 2 m",
                "missing_value": NC_FILL_FLOAT,
                "actual_range": np.array([air.min(), air.max()], dtype=np.float32),
                "cell_methods": "time: mean",
            }
        )
        var[:] = air
        nc.setncatts(
            {
                "Conventions": "CF-1.8",
                "title": "monthly mean 2 m air temperature (toy)",
                "history": "written by tests/cf_time_axes.py",
            }
        )
    return path


def _lat_lon_file(
    path: Path, time_dims: list[tuple[str, int, dict[str, object], float]], *, seed: int
) -> Path:
    """A ``tas(<time_dims>, lat, lon)`` file: 8 × 12 cells; each time dim with its attrs and step."""
    ny, nx = 8, 12
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        for name, size, attrs, step in time_dims:
            nc.createDimension(name, size)
            _coord(nc, name, step * np.arange(size), **attrs)
        nc.createDimension("lat", ny)
        nc.createDimension("lon", nx)
        _coord(
            nc, "lat", 40.0 + 2.0 * np.arange(ny), units="degrees_north", standard_name="latitude"
        )
        _coord(nc, "lon", 2.0 * np.arange(nx), units="degrees_east", standard_name="longitude")
        dims = tuple(name for name, *_ in time_dims)
        shape = tuple(size for _, size, *_ in time_dims)
        tas = nc.createVariable("tas", "f4", (*dims, "lat", "lon"), fill_value=False)
        tas.setncatts({"units": "K", "standard_name": "air_temperature"})
        field = smooth_field(int(np.prod(shape)), ny, nx, seed=seed)
        tas[:] = (280.0 + field).reshape(*shape, ny, nx)
        nc.setncatts({"Conventions": "CF-1.8"})
    return path


def write_no_time_axis(path: str | Path) -> Path:
    """An ensemble snapshot: ``tas(member, lat, lon)``; ``member`` is numbered, nothing is time."""
    return _lat_lon_file(
        Path(path), [("member", 60, {"long_name": "ensemble member"}, 1.0)], seed=80
    )


def write_two_time_axes(path: str | Path) -> Path:
    """A hindcast archive: ``tas(start_time, time, lat, lon)``, both time axes by every CF attribute."""
    time = {
        "units": "hours since 2020-01-01 00:00:00",
        "calendar": "standard",
        "axis": "T",
        "standard_name": "time",
    }
    return _lat_lon_file(
        Path(path),
        [
            ("start_time", 3, dict(time, long_name="start of the hindcast"), 168.0),
            ("time", 40, dict(time, long_name="valid time"), 6.0),
        ],
        seed=81,
    )


def write_bad_calendar(path: str | Path) -> Path:
    """Daily ``tas(time, lat, lon)`` whose time axis has ``calendar = "lunar"``, not a CF calendar."""
    attrs = {
        "units": "days since 2000-01-01 00:00:00",
        "calendar": "lunar",
        "standard_name": "time",
        "axis": "T",
    }
    return _lat_lon_file(Path(path), [("time", 60, attrs, 1.0)], seed=82)
