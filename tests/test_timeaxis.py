"""Time axes of every CF calendar and step: classified, described, and continued by generated dates.

Fixture files are written with netCDF4 directly (:mod:`time_files`, as other software writes
them), not through xarray's encoder, and read back through stgan's own GridSource. The same axes
through the CLI are in ``test_timeaxis_cli.py``.
"""

from __future__ import annotations

import cftime
import netCDF4
import numpy as np
import pytest
import xarray as xr
from time_files import mid_months, write_file

from stgan.errors import StganError
from stgan.io.source import GridSource
from stgan.io.time_description import classify_step, describe_time, time_text
from stgan.io.timeaxis import output_times


def read_description(path) -> dict:
    src = GridSource(str(path))
    return describe_time(src.time, src.time_encoding, src.time_attrs)


def write_and_reopen(tmp_path, out, name="out.nc") -> xr.Dataset:
    """Write ``out`` (an OutputTime) as a coordinate with xarray; open the file again."""
    data = {} if out.bounds is None else {"time_bnds": (("time", "bnds"), out.bounds)}
    xr.Dataset(
        data, coords={"time": xr.Variable("time", out.values, out.attrs, out.encoding)}
    ).to_netcdf(tmp_path / name)
    return xr.open_dataset(tmp_path / name)


# Day 10 after 2000-02-25 in each calendar: Feb 2000 has 29 days in the leap-year calendars
# (2000 is a leap year in the Gregorian and Julian rules), 28 in noleap, 30 in 360_day.
CALENDARS = {
    "standard": "2000-03-06",
    "gregorian": "2000-03-06",
    "proleptic_gregorian": "2000-03-06",
    "julian": "2000-03-06",
    "all_leap": "2000-03-06",
    "366_day": "2000-03-06",
    "noleap": "2000-03-07",
    "365_day": "2000-03-07",
    "360_day": "2000-03-05",
}


@pytest.mark.parametrize("calendar", sorted(CALENDARS))
def test_every_cf_calendar_is_classified_and_continued_in_itself(tmp_path, calendar):
    units = "days since 2000-02-25"
    path = write_file(tmp_path / "a.nc", np.arange(10.0), units, calendar)  # days 0..9
    desc = read_description(path)
    assert desc["calendar"] == calendar and desc["units"] == units
    assert (desc["kind"], desc["step_seconds"], desc["gaps"]) == ("fixed", 86400.0, 0)
    assert desc["first"] == "2000-02-25T00:00:00"
    assert time_text(desc) == f"fixed 1 day, calendar {calendar}, units {units}"
    out = output_times(desc, 3)
    assert out.encoding["units"] == units and out.encoding["calendar"] == calendar
    assert out.attrs["standard_name"] == "time" and out.attrs["axis"] == "T"
    assert out.attrs["long_name"] == "time"  # the input's own attributes travel
    assert out.bounds is None
    with write_and_reopen(tmp_path, out) as ds:
        stamps = [str(v)[:10] for v in ds["time"].values]
        assert stamps[0] == CALENDARS[calendar]  # exactly one day after the last stamp, day 9
        assert ds["time"].encoding["calendar"] == calendar
        assert ds["time"].encoding["units"] == units
    with netCDF4.Dataset(tmp_path / "out.nc") as nc:  # the numbers on disk continue the record's
        np.testing.assert_array_equal(nc["time"][:], [10.0, 11.0, 12.0])
        assert "_FillValue" not in nc["time"].ncattrs()
    np.testing.assert_array_equal(out.months, [3, 3, 3])


def test_monthly_standard_calendar_day_16_steps_by_calendar_months(tmp_path):
    units = "days since 1850-01-01"
    dates = [
        cftime.datetime(2000 + i // 12, i % 12 + 1, 16, calendar="standard") for i in range(24)
    ]
    path = write_file(
        tmp_path / "m.nc", cftime.date2num(dates, units, "standard"), units, "standard"
    )
    desc = read_description(path)
    assert (desc["kind"], desc["step_months"], desc["gaps"], desc["anchor"], desc["day"]) == (
        "monthly",
        1,
        0,
        "day",
        16,
    )
    assert "step_seconds" not in desc  # not the 29.5-day average step of old
    assert (
        time_text(desc) == "monthly (1 month, stamped on day 16), calendar standard, units " + units
    )
    out = output_times(desc, 14)
    with write_and_reopen(tmp_path, out) as ds:
        t = ds["time"].values
        assert str(t[0])[:10] == "2002-01-16" and str(t[1])[:10] == "2002-02-16"
        assert str(t[13])[:10] == "2003-02-16"
        assert ds["time"].attrs["bounds"] == "time_bnds"
        b = ds["time_bnds"].values
        assert [str(x)[:10] for x in b[1]] == ["2002-02-01", "2002-03-01"]  # month starts
        np.testing.assert_array_equal(b[1:, 0], b[:-1, 1])  # contiguous periods
    np.testing.assert_array_equal(out.months, [*range(1, 13), 1, 2])
    # --start-time picks the month that holds it; the record's day-16 stamps are kept.
    started = output_times(desc, 2, "2010-06-03")
    assert [str(v)[:10] for v in started.values] == ["2010-06-16", "2010-07-16"]


def test_cmip_mid_month_noleap_with_a_gap_and_start_time(tmp_path):
    units = "days since 1850-01-01"
    dates = mid_months([2000, 2001], "noleap")
    del dates[5]  # June 2000 missing: one step of two months
    path = write_file(tmp_path / "m.nc", cftime.date2num(dates, units, "noleap"), units, "noleap")
    desc = read_description(path)
    assert (desc["kind"], desc["step_months"], desc["gaps"], desc["anchor"]) == (
        "monthly",
        1,
        1,
        "middle",
    )
    assert time_text(desc) == (
        "monthly (1 month, stamped mid-period), 1 gap, calendar noleap, units " + units
    )
    out = output_times(desc, 3)
    # Mid-month in noleap: 15.5 days into January, 14 into February (28 days).
    expected = [
        cftime.DatetimeNoLeap(2002, 1, 16, 12),
        cftime.DatetimeNoLeap(2002, 2, 15),
        cftime.DatetimeNoLeap(2002, 3, 16, 12),
    ]
    with write_and_reopen(tmp_path, out) as ds:
        assert list(ds["time"].values) == expected
        assert ds["time_bnds"].values[1, 0] == cftime.DatetimeNoLeap(2002, 2, 1)
    with netCDF4.Dataset(tmp_path / "out.nc") as nc:
        np.testing.assert_array_equal(nc["time"][:], cftime.date2num(expected, units, "noleap"))


def test_seasonal_and_yearly_steps():
    seasons = np.array(
        [cftime.datetime(2000 + i // 4, 3 * (i % 4) + 1, 1, calendar="360_day") for i in range(8)]
    )
    desc = describe_time(seasons, {"units": "days since 2000-01-01", "calendar": "360_day"}, {})
    assert (desc["kind"], desc["step_months"], desc["anchor"]) == ("monthly", 3, "start")
    out = output_times(desc, 2, "2030-05-20")  # the season holding May 20 starts in April
    assert [str(v)[:10] for v in out.values] == ["2030-04-01", "2030-07-01"]
    assert [str(v)[:10] for v in out.bounds[0]] == ["2030-04-01", "2030-07-01"]
    years = np.array([cftime.datetime(1900 + i, 7, 2, 12, calendar="julian") for i in range(5)])
    desc = describe_time(years, {"units": "days since 1900-01-01", "calendar": "julian"}, {})
    assert (desc["kind"], desc["step_months"]) == ("yearly", 12)
    assert time_text(desc).startswith("yearly (1 year, stamped on day 2)")
    out = output_times(desc, 2)
    assert list(out.values) == [
        cftime.DatetimeJulian(1905, 7, 2, 12),
        cftime.DatetimeJulian(1906, 7, 2, 12),
    ]
    assert list(out.bounds[0]) == [
        cftime.DatetimeJulian(1905, 1, 1),
        cftime.DatetimeJulian(1906, 1, 1),
    ]


def test_daily_with_gaps_continues_with_one_day(tmp_path):
    units = "days since 2000-01-01"
    path = write_file(
        tmp_path / "d.nc", [0, 1, 2, 5, 6, 8, 9, 10], units, "standard", time_dtype="i4"
    )
    desc = read_description(path)
    assert (desc["kind"], desc["step_seconds"], desc["gaps"]) == ("fixed", 86400.0, 2)
    assert time_text(desc) == f"fixed 1 day, 2 gaps, calendar standard, units {units}"
    out = output_times(desc, 2)
    np.testing.assert_array_equal(
        out.values, np.array(["2000-01-12", "2000-01-13"], dtype="datetime64[ns]")
    )


def test_six_hourly_and_start_time_in_the_calendar(tmp_path):
    units = "hours since 1900-01-01 00:00:00"
    path = write_file(tmp_path / "h.nc", np.arange(0, 6 * 40, 6.0), units, "360_day")
    desc = read_description(path)
    assert (desc["kind"], desc["step_seconds"], desc["gaps"]) == ("fixed", 21600.0, 0)
    assert time_text(desc) == f"fixed 6 hours, calendar 360_day, units {units}"
    assert desc["last"] == "1900-01-10T18:00:00"  # 39 × 6 h after the first stamp
    out = output_times(desc, 2)
    assert list(out.values) == [
        cftime.Datetime360Day(1900, 1, 11),
        cftime.Datetime360Day(1900, 1, 11, 6),
    ]
    out = output_times(desc, 2, "2030-02-30")  # a real day of the 360_day calendar
    assert list(out.values) == [
        cftime.Datetime360Day(2030, 2, 30),
        cftime.Datetime360Day(2030, 2, 30, 6),
    ]
    standard = dict(desc, calendar="standard")
    with pytest.raises(StganError, match="'2030-02-30' is not a date of the standard calendar"):
        output_times(standard, 2, "2030-02-30")


def test_float_time_without_units_continues_numerically(tmp_path):
    path = write_file(tmp_path / "f.nc", np.arange(20) * 0.5 + 3.0, None, None)
    desc = read_description(path)
    assert desc["calendar"] is None and desc["units"] is None
    assert (desc["kind"], desc["step"], desc["first"], desc["last"]) == ("fixed", 0.5, 3.0, 12.5)
    assert time_text(desc) == "fixed 0.5, numeric time without units"
    out = output_times(desc, 3)
    np.testing.assert_array_equal(out.values, [13.0, 13.5, 14.0])
    assert out.months is None and out.bounds is None
    with pytest.raises(StganError, match="numeric"):
        output_times(desc, 3, "2000-01-01")


def test_irregular_axis_uses_the_median_step_and_says_so():
    values = np.array(
        ["2000-01-01T00", "2000-01-01T05", "2000-01-01T11", "2000-01-01T18"], dtype="datetime64[ns]"
    )
    desc = classify_step(values)
    assert desc == {"kind": "irregular", "step_seconds": 6 * 3600.0, "gaps": 0}  # steps 5, 6, 7 h
    full = describe_time(values, {"units": "hours since 2000-01-01", "calendar": "standard"}, {})
    assert time_text(full).startswith("irregular (median step 6 hours)")
    out = output_times(full, 2)
    np.testing.assert_array_equal(
        out.values, np.array(["2000-01-02T00", "2000-01-02T06"], dtype="datetime64[ns]")
    )
    assert "median" in out.note
    # Two stamps a day apart across a month end are daily, not monthly.
    assert (
        classify_step(np.array(["2000-01-31", "2000-02-01"], dtype="datetime64[ns]"))["kind"]
        == "fixed"
    )
