"""The CF fixtures and the CF-checker helper: the checker can fail, and each fixture carries only
its deliberate CF errors and decodes as written (the known answers of :mod:`cf_fixtures`)."""

from __future__ import annotations

import cftime
import netCDF4
import numpy as np
import pytest
import xarray as xr
from cf_archives import write_cmip
from cf_checker import cf_errors
from cf_fixtures import FIXTURES
from cf_grids import land_mask, unrotate


def test_cf_errors_is_empty_for_a_compliant_file_and_names_deliberate_errors(tmp_path):
    path = write_cmip(tmp_path / "tas.nc")
    assert cf_errors(path) == []
    with netCDF4.Dataset(path, "a") as nc:
        nc["tas"].units = "not_a_unit"
        nc["tas"].standard_name = "air_temperature_at_the_pub"
    errors = cf_errors(path)
    assert len(errors) == 2, errors
    assert any('"not_a_unit"' in e and "tas" in e for e in errors)
    assert any("air_temperature_at_the_pub" in e for e in errors)


# The only CF errors the fixtures have, on purpose: Ferret's "M/S" (not a UDUNITS unit) and
# coordinates or variables without long_name/standard_name (compliance-checker ranks that
# "highly recommended" HIGH). Every other fixture is clean.
DELIBERATE = {
    "ferret": ['"M/S" are not recognized'] * 2 + ["highly recommended for variable"] * 3,
    "station": ["highly recommended for variable"] * 4,
}


@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_carry_only_their_deliberate_cf_errors(tmp_path, name):
    errors = cf_errors(FIXTURES[name](tmp_path / f"{name}.nc"))
    expected = DELIBERATE.get(name, [])
    assert len(errors) == len(expected), errors
    assert all(any(part in e for part in expected) for e in errors), errors


def test_fixtures_decode_as_written(tmp_path):
    cmip = write_cmip(tmp_path / "cmip.nc", calendar="noleap")
    with netCDF4.Dataset(cmip) as nc:
        nc["tas"].set_auto_maskandscale(False)
        raw = nc["tas"][:]
    assert raw.dtype == np.int16 and int((raw == -32767).sum()) == 6
    with xr.open_dataset(cmip) as ds:
        tas = ds["tas"].values
        assert tas.dtype == np.float32 and int(np.isnan(tas).sum()) == 6
        # scale 0.01, offset 273.15: the decoded value is the packed one unpacked
        np.testing.assert_allclose(
            tas[raw != -32767], raw[raw != -32767] * 0.01 + 273.15, atol=1e-4
        )
        # 90 noleap days from 2014-12-15 12:00 cross Feb 28 → Mar 1: the last is Mar 14
        assert ds["time"].values[-1] == cftime.DatetimeNoLeap(2015, 3, 14, 12)
    sst = FIXTURES["sst_masked"](tmp_path / "sst.nc")
    with xr.open_dataset(sst) as ds:
        missing = np.isnan(ds["sst"].values)
    assert (missing == land_mask()[None]).all() and land_mask().sum() == 52
    with xr.open_dataset(FIXTURES["monthly"](tmp_path / "monthly.nc")) as ds:
        times = ds["time"].values
    assert str(times[0]) == "1991-01-16T12:00:00.000000000"  # Jan: 31 days, middle at 15.5
    assert str(times[1]) == "1991-02-15T00:00:00.000000000"  # Feb 1991: 28 days, middle at 14
    # CF's rotated pole (39.25°N, 162°W): rotated (0, 0) lies at (90 - 39.25, -162 + 180)
    np.testing.assert_allclose(unrotate(np.array(0.0), np.array(0.0)), (50.75, 18.0), atol=1e-9)
    np.testing.assert_allclose(unrotate(np.array(90.0), np.array(0.0)), (39.25, -162.0), atol=1e-6)
