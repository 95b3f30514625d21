"""Write a CMIP-style global monthly file to try stgan's real-data path on.

``tas(time, lat, lon)`` on a 2.5° global grid (73 × 144; ``--grid-step`` sets another),
monthly means stamped mid-month in a ``noleap`` calendar with ``time_bnds``, packed as int16
with ``scale_factor``/``add_offset``, a warming trend and a seasonal cycle that grows towards
the poles: the kind of field whose trend and season ``stgan inspect`` warns about, and whose
grid is too large for one window.

    python examples/global_monthly.py tas_monthly.nc --years 20
"""

from __future__ import annotations

import argparse

import cftime
import netCDF4
import numpy as np


def write(path: str, *, years: int = 20, seed: int = 0, grid_step: float = 2.5) -> None:
    if not 0 < grid_step <= 30 or (180 / grid_step) % 1:
        raise SystemExit(f"--grid-step must divide 180 degrees, e.g. 2.5 or 5, got {grid_step}")
    rng = np.random.default_rng(seed)
    lat = np.linspace(-90, 90, round(180 / grid_step) + 1)
    lon = np.arange(0, 360, grid_step)
    n = 12 * years
    units, calendar = "days since 1850-01-01", "noleap"
    starts = [
        cftime.datetime(2000 + m // 12, m % 12 + 1, 1, calendar=calendar) for m in range(n + 1)
    ]
    edges = cftime.date2num(starts, units, calendar)
    month = np.arange(n) % 12
    # Climatology: warm tropics, a seasonal cycle opposite in the two hemispheres, a trend.
    base = 288 - 30 * np.sin(np.deg2rad(lat)) ** 2
    season = (
        12
        * np.sin(np.deg2rad(lat))[None, :]
        * np.cos(2 * np.pi * (month[:, None] + 0.5) / 12 - np.pi)
    )
    trend = 0.04 * np.arange(n) / 12 * 10  # 0.4 K per decade
    # Weather: smooth anomalies, red in time.
    noise = np.zeros((n, lat.size, lon.size), np.float32)
    k = np.fft.rfftfreq(lon.size)[None, :] ** 2 + np.fft.fftfreq(lat.size)[:, None] ** 2
    shape = np.exp(-k / 0.002)
    prev = np.zeros((lat.size, lon.size))
    for t in range(n):
        white = rng.standard_normal((lat.size, lon.size))
        fresh = np.fft.irfft2(np.fft.rfft2(white)[:, : lon.size // 2 + 1] * shape, s=white.shape)
        prev = 0.6 * prev + fresh / fresh.std() * 1.5
        noise[t] = prev
    tas = (
        base[None, :, None] + season[:, :, None] + trend[:, None, None] + noise
    )  # (time, lat, lon)
    with netCDF4.Dataset(path, "w") as nc:
        nc.setncatts(
            {
                "Conventions": "CF-1.7",
                "title": "synthetic global monthly surface air temperature",
                "source": "stgan examples/global_monthly.py",
            }
        )
        for name, size in (("time", None), ("lat", lat.size), ("lon", lon.size), ("bnds", 2)):
            nc.createDimension(name, size)
        t = nc.createVariable("time", "f8", ("time",))
        t.setncatts(
            {
                "units": units,
                "calendar": calendar,
                "standard_name": "time",
                "axis": "T",
                "bounds": "time_bnds",
            }
        )
        t[:] = (edges[:-1] + edges[1:]) / 2
        tb = nc.createVariable("time_bnds", "f8", ("time", "bnds"))
        tb[:] = np.stack([edges[:-1], edges[1:]], axis=1)
        for name, values, units_ in (("lat", lat, "degrees_north"), ("lon", lon, "degrees_east")):
            v = nc.createVariable(name, "f8", (name,))
            v.setncatts(
                {"units": units_, "standard_name": "latitude" if name == "lat" else "longitude"}
            )
            v[:] = values
        v = nc.createVariable("tas", "i2", ("time", "lat", "lon"), fill_value=np.int16(-32767))
        v.setncatts(
            {
                "units": "K",
                "standard_name": "air_temperature",
                "long_name": "near-surface air temperature",
                "scale_factor": 0.01,
                "add_offset": 273.15,
            }
        )
        v[:] = tas


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid-step", type=float, default=2.5, help="degrees (default 2.5)")
    args = parser.parse_args()
    write(args.output, years=args.years, seed=args.seed, grid_step=args.grid_step)
    print(f"wrote {args.output}")
