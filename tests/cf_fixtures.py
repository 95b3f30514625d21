"""Small NetCDF files in the conventions real climate archives use, written with netCDF4 directly.

Each ``write_*`` function writes one file the way the tool of that convention would (not the way
xarray's encoder would), so that what stgan reads is what users have: upper-case Ferret axes
found only by their units, CMIP packed integers with bounds and model calendars, GrADS ``T/Y/X``,
a station grid whose units sit in the global attributes, mid-month stamps, a land mask, a
rotated-pole grid. The fields are smooth in space and time with some noise (a few grid points
of correlation length, AR-like persistence), so that the data look like weather, not white noise.

:data:`FIXTURES` maps a short name to each writer; :data:`BAD_INPUTS` does the same for files
stgan must refuse with a clear message. Every writer takes the output path and returns it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

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
                "history": "written by tests/cf_fixtures.py",
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
                "history": "written by tests/cf_fixtures.py",
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
                "history": "written by tests/cf_fixtures.py",
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
                "history": "written by tests/cf_fixtures.py",
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


FIXTURES: dict[str, Callable[[str | Path], Path]] = {
    "ferret": write_ferret,
    "cmip_360_day": partial(write_cmip, calendar="360_day"),
    "cmip_noleap": partial(write_cmip, calendar="noleap"),
    "grads": write_grads,
    "station": write_station,
    "monthly": write_monthly,
    "sst_masked": write_sst_masked,
    "rotated_pole": write_rotated_pole,
}

BAD_INPUTS: dict[str, Callable[[str | Path], Path]] = {
    "no_time_axis": write_no_time_axis,
    "two_time_axes": write_two_time_axes,
    "bad_calendar": write_bad_calendar,
}
