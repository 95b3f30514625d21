"""Files as the tools of climate archives write them: Ferret, CMIP and GrADS.

Upper-case Ferret axes found only by their units, CMIP packed integers with bounds and model
calendars, GrADS ``T/Y/X`` dimensions; each written with netCDF4 the way that tool would.
"""

from __future__ import annotations

from pathlib import Path

import cftime
import netCDF4
import numpy as np
from cf_parts import _coord, _day_numbers, smooth_field


def write_ferret(path: str | Path) -> Path:
    """Ferret-style: ``TIME(TIME)`` in hours since 1800, ``FNOCY``/``FNOCX`` found only by units.

    24 longitudes at 15° from 0 to 345 (a periodic global circle), 16 latitudes 37.5°S–37.5°N,
    120 daily steps from 2000-01-01; two variables ``UWND`` and ``VWND`` in ``M/S`` (Ferret's
    spelling, which UDUNITS does not parse) with Ferret's -1e34 missing value.
    """
    path = Path(path)
    nt, ny, nx = 120, 16, 24
    units = "hours since 1800-01-01 00:00:00"
    first = _day_numbers([cftime.DatetimeGregorian(2000, 1, 1)], units, "standard")[0]
    with netCDF4.Dataset(path, "w", format="NETCDF4_CLASSIC") as nc:
        nc.createDimension("TIME", None)  # Ferret writes the record axis unlimited
        nc.createDimension("FNOCY", ny)
        nc.createDimension("FNOCX", nx)
        _coord(
            nc,
            "TIME",
            first + 24.0 * np.arange(nt),
            units=units,
            calendar="standard",
            time_origin="01-JAN-1800 00:00:00",
        )
        # No axis, standard_name or long_name: the units alone say latitude and longitude.
        _coord(
            nc, "FNOCY", -37.5 + 5.0 * np.arange(ny), units="degrees_north", point_spacing="even"
        )
        _coord(
            nc,
            "FNOCX",
            15.0 * np.arange(nx),
            units="degrees_east",
            modulo=360.0,
            point_spacing="even",
        )
        for k, (name, long_name, mean, std) in enumerate(
            (("UWND", "ZONAL WIND", 5.0, 3.0), ("VWND", "MERIDIONAL WIND", 0.0, 2.0))
        ):
            var = nc.createVariable(
                name, "f4", ("TIME", "FNOCY", "FNOCX"), fill_value=np.float32(-1e34)
            )
            var.setncatts(
                {
                    "missing_value": np.float32(-1e34),
                    "long_name": long_name,
                    "units": "M/S",
                    "history": "From coads_climatology",
                }
            )
            var[:] = mean + std * smooth_field(nt, ny, nx, seed=10 + k, periodic_x=True)
        nc.setncatts({"history": "FERRET V7.5 (optimized) 12-Jan-24", "Conventions": "CF-1.6"})
    return path


def write_cmip(path: str | Path, calendar: str = "360_day") -> Path:
    """CMIP-style daily ``tas``: bounds, a model calendar, packed int16, a few filled cells.

    90 daily steps from 2014-12-15 12:00 (mid-day stamps, bounds from midnight to midnight), so
    the record crosses a year end and February's end (Feb 30 in ``360_day``, Feb 28 → Mar 1 in
    ``noleap``); 16 × 24 cells of 1.25° with ``lat_bnds``/``lon_bnds``; ``tas`` packed as int16
    (scale 0.01 K, offset 273.15 K) with ``_FillValue`` -32767 at 6 cells; a scalar ``height``
    coordinate; CMIP6 global attributes.
    """
    path = Path(path)
    nt, ny, nx = 90, 16, 24
    units = "days since 1850-01-01 00:00:00"
    start = cftime.datetime(2014, 12, 15, calendar=calendar)
    days = _day_numbers([start], units, calendar)[0] + np.arange(nt)
    lat = -19.375 + 1.25 * np.arange(ny)
    lon = 100.625 + 1.25 * np.arange(nx)
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.createDimension("time", None)
        nc.createDimension("lat", ny)
        nc.createDimension("lon", nx)
        nc.createDimension("bnds", 2)
        _coord(
            nc,
            "time",
            days + 0.5,
            units=units,
            calendar=calendar,
            axis="T",
            standard_name="time",
            long_name="time",
            bounds="time_bnds",
        )
        _coord(
            nc,
            "lat",
            lat,
            units="degrees_north",
            axis="Y",
            standard_name="latitude",
            long_name="Latitude",
            bounds="lat_bnds",
        )
        _coord(
            nc,
            "lon",
            lon,
            units="degrees_east",
            axis="X",
            standard_name="longitude",
            long_name="Longitude",
            bounds="lon_bnds",
        )
        for name, dim, centres, half in (
            ("time_bnds", "time", days + 0.5, 0.5),
            ("lat_bnds", "lat", lat, 0.625),
            ("lon_bnds", "lon", lon, 0.625),
        ):
            bnds = nc.createVariable(name, "f8", (dim, "bnds"), fill_value=False)
            bnds[:] = np.stack([centres - half, centres + half], axis=1)
        height = nc.createVariable("height", "f8", (), fill_value=False)
        height.setncatts(
            {
                "units": "m",
                "axis": "Z",
                "positive": "up",
                "long_name": "height",
                "standard_name": "height",
            }
        )
        height[...] = 2.0
        tas = nc.createVariable("tas", "i2", ("time", "lat", "lon"), fill_value=np.int16(-32767))
        tas.setncatts(
            {
                "standard_name": "air_temperature",
                "long_name": "Near-Surface Air Temperature",
                "units": "K",
                "cell_methods": "area: time: mean",
                "coordinates": "height",
                "missing_value": np.int16(-32767),
                "scale_factor": np.float32(0.01),
                "add_offset": np.float32(273.15),
            }
        )
        kelvin = 295.0 - 0.4 * np.abs(lat)[None, :, None] + 2.0 * smooth_field(nt, ny, nx, seed=20)
        packed = np.round((kelvin - 273.15) / 0.01).astype(np.int16)
        rng = np.random.default_rng(21)
        for t, y, x in zip(rng.integers(0, nt, 6), rng.integers(0, ny, 6), rng.integers(0, nx, 6)):
            packed[t, y, x] = -32767  # a few cells the model archive marks missing
        tas.set_auto_maskandscale(False)  # write the packed integers as they are
        tas[:] = packed
        nc.setncatts(
            {
                "Conventions": "CF-1.7 CMIP-6.2",
                "activity_id": "CMIP",
                "experiment_id": "historical",
                "source_id": "TOY-GCM",
                "variant_label": "r1i1p1f1",
                "frequency": "day",
                "table_id": "day",
                "realm": "atmos",
                "grid_label": "gn",
                "nominal_resolution": "100 km",
                "institution": "stgan test fixtures",
                "title": f"TOY-GCM historical tas ({calendar} calendar)",
                "history": "written by tests/cf_archives.py",
            }
        )
    return path


def write_grads(path: str | Path) -> Path:
    """GrADS-style: dimensions ``T``, ``Y``, ``X``; 6-hourly steps in "days since 2001-01-01".

    100 steps of 0.25 day; ``Y`` 20°N–57.5°N and ``X`` 130°W–72.5°W (negative longitudes) at
    2.5°, with units and the ``grads_*`` attributes GrADS writes, no ``axis``/``standard_name``;
    ``slp`` in hPa.
    """
    path = Path(path)
    nt, ny, nx = 100, 16, 24
    with netCDF4.Dataset(path, "w", format="NETCDF3_64BIT_OFFSET") as nc:
        nc.createDimension("T", None)
        nc.createDimension("Y", ny)
        nc.createDimension("X", nx)
        _coord(
            nc,
            "T",
            0.25 * np.arange(nt),
            units="days since 2001-01-01 00:00:00",
            long_name="time",
            grads_dim="t",
            grads_mapping="linear",
            grads_size=str(nt),
            grads_min="00z01jan2001",
            grads_step="6hr",
        )
        _coord(
            nc,
            "Y",
            20.0 + 2.5 * np.arange(ny),
            units="degrees_north",
            long_name="latitude",
            grads_dim="y",
            grads_mapping="linear",
            grads_size=str(ny),
        )
        _coord(
            nc,
            "X",
            -130.0 + 2.5 * np.arange(nx),
            units="degrees_east",
            long_name="longitude",
            grads_dim="x",
            grads_mapping="linear",
            grads_size=str(nx),
        )
        slp = nc.createVariable("slp", "f4", ("T", "Y", "X"), fill_value=np.float32(-9.99e8))
        slp.setncatts(
            {
                "units": "hPa",
                "long_name": "sea level pressure",
                "missing_value": np.float32(-9.99e8),
            }
        )
        slp[:] = 1013.0 + 8.0 * smooth_field(nt, ny, nx, seed=30)
        nc.setncatts({"history": "Mon Jan 15 2024: sdfwrite slp.nc (GrADS 2.2)"})
    return path
