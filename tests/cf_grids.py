"""Grids beyond a plain latitude-longitude one: a sensor grid, a land-masked ocean, a rotated pole.

A station grid whose units sit in the global attributes and whose time has none, a daily SST
field with a static land mask of ``_FillValue`` cells, and a CORDEX-style rotated-pole grid with
2-D ``lat``/``lon`` (:func:`unrotate` maps its coordinates back to geographic ones).
"""

from __future__ import annotations

from pathlib import Path

import cftime
import netCDF4
import numpy as np
from cf_parts import _coord, _day_numbers, smooth_field


def write_station(path: str | Path) -> Path:
    """A sensor grid: ``h(timestep, y, x)``, a float time axis without units, bare ``y``/``x``.

    150 steps numbered 0.0, 0.5, 1.0, ... (a time axis with no units, so no dates); ``y`` (16)
    and ``x`` (20) metre offsets with no attributes at all; the variable has no attributes
    either: its units ("m") and long name are global attributes of the file.
    """
    path = Path(path)
    nt, ny, nx = 150, 16, 20
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.createDimension("timestep", nt)
        nc.createDimension("y", ny)
        nc.createDimension("x", nx)
        _coord(nc, "timestep", 0.5 * np.arange(nt))
        _coord(nc, "y", 500.0 * np.arange(ny))
        _coord(nc, "x", 500.0 * np.arange(nx))
        h = nc.createVariable("h", "f4", ("timestep", "y", "x"), fill_value=False)
        h[:] = 1.5 + 0.3 * smooth_field(nt, ny, nx, seed=40)
        nc.setncatts(
            {
                "title": "water level on a sensor grid",
                "units": "m",
                "long_name": "water level",
                "institution": "stgan test fixtures",
                "source": "pressure sensors",
            }
        )
    return path


# The land of write_sst_masked: rows and columns of the (16, 24) grid that are never ocean.
LAND_ROWS, LAND_COLS = slice(10, 16), slice(0, 8)
LAND_ISLAND = (slice(3, 5), slice(17, 19))


def land_mask() -> np.ndarray:
    """The (16, 24) boolean land mask of :func:`write_sst_masked` (True on land)."""
    mask = np.zeros((16, 24), dtype=bool)
    mask[LAND_ROWS, LAND_COLS] = True
    mask[LAND_ISLAND] = True
    return mask


def write_sst_masked(path: str | Path) -> Path:
    """A daily SST-like field with a static land mask of ``_FillValue`` cells at every step.

    100 days from 1981-09-01 ("days since 1981-01-01", calendar ``gregorian``), a quarter-degree
    16 × 24 grid; land (:func:`land_mask`: a 6 × 8 coast block and a 2 × 2 island, 52 of 384
    cells) holds ``_FillValue`` -999 at every step.
    """
    path = Path(path)
    nt, ny, nx = 100, 16, 24
    units = "days since 1981-01-01 00:00:00"
    first = _day_numbers([cftime.DatetimeGregorian(1981, 9, 1)], units, "gregorian")[0]
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.createDimension("time", None)
        nc.createDimension("lat", ny)
        nc.createDimension("lon", nx)
        _coord(
            nc,
            "time",
            first + np.arange(nt),
            units=units,
            calendar="gregorian",
            axis="T",
            standard_name="time",
            long_name="Center time of the day",
        )
        _coord(
            nc,
            "lat",
            30.125 + 0.25 * np.arange(ny),
            units="degrees_north",
            axis="Y",
            standard_name="latitude",
            long_name="Latitude",
        )
        _coord(
            nc,
            "lon",
            280.125 + 0.25 * np.arange(nx),
            units="degrees_east",
            axis="X",
            standard_name="longitude",
            long_name="Longitude",
        )
        sst = nc.createVariable("sst", "f4", ("time", "lat", "lon"), fill_value=np.float32(-999.0))
        sst.setncatts(
            {
                "units": "degC",
                "standard_name": "sea_surface_temperature",
                "long_name": "Daily sea surface temperature",
                "valid_min": np.float32(-3.0),
                "valid_max": np.float32(45.0),
            }
        )
        values = 24.0 + 1.2 * smooth_field(nt, ny, nx, seed=60)
        values[:, land_mask()] = -999.0
        sst[:] = values
        nc.setncatts(
            {
                "Conventions": "CF-1.8",
                "title": "daily SST with land (toy)",
                "history": "written by tests/cf_grids.py",
            }
        )
    return path


# Rotated pole of the EURO-CORDEX grids (rotated (0, 0) lies at 50.75°N, 18°E).
POLE_LAT, POLE_LON = 39.25, -162.0


def unrotate(
    rlat: np.ndarray, rlon: np.ndarray, pole_lat: float = POLE_LAT, pole_lon: float = POLE_LON
) -> tuple[np.ndarray, np.ndarray]:
    """Geographic (lat, lon) in degrees of rotated-pole coordinates (rlat, rlon) in degrees.

    The rotated sphere is turned by ``pole_lat - 90`` about the y axis, then by ``pole_lon + 180``
    about the z axis: this moves the rotated north pole to (pole_lat, pole_lon), as CF's
    ``rotated_latitude_longitude`` grid mapping defines it.
    """
    phi, lam = np.radians(rlat), np.radians(rlon)
    v = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    b = np.radians(pole_lat - 90.0)
    v = np.stack([np.cos(b) * v[0] + np.sin(b) * v[2], v[1], -np.sin(b) * v[0] + np.cos(b) * v[2]])
    a = np.radians(pole_lon + 180.0)
    x, y = np.cos(a) * v[0] - np.sin(a) * v[1], np.sin(a) * v[0] + np.cos(a) * v[1]
    lat = np.degrees(np.arcsin(np.clip(v[2], -1.0, 1.0)))
    lon = (np.degrees(np.arctan2(y, x)) + 180.0) % 360.0 - 180.0
    return lat, lon


def write_rotated_pole(path: str | Path) -> Path:
    """A CORDEX-style rotated-pole file: ``tas(time, rlat, rlon)`` with 2-D ``lat``/``lon``.

    ``rlat`` (16) and ``rlon`` (20) at 0.44° with ``grid_latitude``/``grid_longitude`` standard
    names, auxiliary ``lat(rlat, rlon)``/``lon(rlat, rlon)``, a ``rotated_pole`` grid-mapping
    variable named by ``tas:grid_mapping``; 80 days from 2001-01-01, proleptic Gregorian.
    """
    path = Path(path)
    nt, ny, nx = 80, 16, 20
    rlat = -3.52 + 0.44 * np.arange(ny)
    rlon = -4.40 + 0.44 * np.arange(nx)
    lat2d, lon2d = unrotate(*np.meshgrid(rlat, rlon, indexing="ij"))
    units = "days since 1949-12-01 00:00:00"
    first = _day_numbers(
        [cftime.datetime(2001, 1, 1, 12, calendar="proleptic_gregorian")],
        units,
        "proleptic_gregorian",
    )[0]
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.createDimension("time", None)
        nc.createDimension("rlat", ny)
        nc.createDimension("rlon", nx)
        _coord(
            nc,
            "time",
            first + np.arange(nt),
            units=units,
            calendar="proleptic_gregorian",
            axis="T",
            standard_name="time",
            long_name="time",
        )
        _coord(
            nc,
            "rlat",
            rlat,
            units="degrees",
            axis="Y",
            standard_name="grid_latitude",
            long_name="latitude in rotated pole grid",
        )
        _coord(
            nc,
            "rlon",
            rlon,
            units="degrees",
            axis="X",
            standard_name="grid_longitude",
            long_name="longitude in rotated pole grid",
        )
        for name, values, units_, std in (
            ("lat", lat2d, "degrees_north", "latitude"),
            ("lon", lon2d, "degrees_east", "longitude"),
        ):
            var = nc.createVariable(name, "f8", ("rlat", "rlon"), fill_value=False)
            var.setncatts({"units": units_, "standard_name": std, "long_name": std})
            var[:] = values
        pole = nc.createVariable("rotated_pole", "S1", ())
        pole.setncatts(
            {
                "grid_mapping_name": "rotated_latitude_longitude",
                "grid_north_pole_latitude": POLE_LAT,
                "grid_north_pole_longitude": POLE_LON,
            }
        )
        tas = nc.createVariable("tas", "f4", ("time", "rlat", "rlon"), fill_value=np.float32(1e20))
        tas.setncatts(
            {
                "standard_name": "air_temperature",
                "long_name": "Near-Surface Air Temperature",
                "units": "K",
                "grid_mapping": "rotated_pole",
                "coordinates": "lat lon",
                "cell_methods": "time: mean",
            }
        )
        tas[:] = 278.0 - 0.5 * (lat2d - 50.0)[None] + 2.5 * smooth_field(nt, ny, nx, seed=70)
        nc.setncatts(
            {
                "Conventions": "CF-1.4",
                "CORDEX_domain": "EUR-44",
                "frequency": "day",
                "title": "rotated-pole daily tas (toy)",
                "history": "written by tests/cf_grids.py",
            }
        )
    return path
