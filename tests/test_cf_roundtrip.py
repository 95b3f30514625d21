"""Real-style climate files in, CF files out: ``inspect → fit → generate → evaluate`` per convention.

Each fixture of :mod:`cf_fixtures` (a Ferret, CMIP, GrADS, station, monthly, land-masked and
rotated-pole file, written with netCDF4 the way those tools write them) goes through the CLI with
no manual edit: ``stgan inspect FILE``, a 2-step ``stgan fit`` of a tiny model, ``stgan generate``
and ``stgan evaluate --real FILE --generated OUT``. fit runs as real processes, once per
fixture, two side by side (one torch thread each); inspect, generate and evaluate then run
through the CLI's entry point in this process (the imports a process would repeat are most of
their cost; test_end_to_end runs them as processes). The tests read what the runs left: exit
codes, the generated file's dates, names, units and attributes, and its CF errors. The processes
are run by :mod:`cf_runs`; the fixtures themselves are checked in ``test_cf_fixtures.py`` and the
bad inputs in ``test_cf_bad_inputs.py``.
"""

from __future__ import annotations

import datetime
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cf_units
import cftime
import netCDF4
import numpy as np
import pytest
import xarray as xr
from cf_checker import cf_errors
from cf_fixtures import FIXTURES
from cf_grids import land_mask
from cf_runs import NUM_SAMPLES, RoundTrip, _error_line, finish_round_trip, fit_round_trip

WINDOW = 4  # TINY_FIT's --data.window_length: the generated files have 4 steps


@dataclass(frozen=True)
class Expected:
    """What the input holds, written down from the fixture's definition (the known answers)."""

    dims: tuple[str, str, str]  # (time, y, x) dimension names
    units: dict[str, str]  # data variable → units, as the file states them (globally for station)
    long_names: dict[str, str] = field(default_factory=dict)
    calendar: str | None = "standard"  # None: a numeric time axis without units
    step: str = "fixed"  # "fixed" or "monthly"


EXPECTED = {
    "ferret": Expected(
        ("TIME", "FNOCY", "FNOCX"),
        {"UWND": "M/S", "VWND": "M/S"},
        {"UWND": "ZONAL WIND", "VWND": "MERIDIONAL WIND"},
    ),
    "cmip_360_day": Expected(
        ("time", "lat", "lon"),
        {"tas": "K"},
        {"tas": "Near-Surface Air Temperature"},
        calendar="360_day",
    ),
    "cmip_noleap": Expected(
        ("time", "lat", "lon"),
        {"tas": "K"},
        {"tas": "Near-Surface Air Temperature"},
        calendar="noleap",
    ),
    "grads": Expected(("T", "Y", "X"), {"slp": "hPa"}, {"slp": "sea level pressure"}),
    "station": Expected(("timestep", "y", "x"), {"h": "m"}, {"h": "water level"}, calendar=None),
    "monthly": Expected(
        ("time", "lat", "lon"),
        {"air": "degC"},
        {"air": "Monthly Mean Air Temperature at 2 m"},
        step="monthly",
    ),
    "sst_masked": Expected(
        ("time", "lat", "lon"),
        {"sst": "degC"},
        {"sst": "Daily sea surface temperature"},
        calendar="gregorian",
    ),
    "rotated_pole": Expected(
        ("time", "rlat", "rlon"),
        {"tas": "K"},
        {"tas": "Near-Surface Air Temperature"},
        calendar="proleptic_gregorian",
    ),
}
ROUND_TRIP = [name for name in FIXTURES if name != "rotated_pole"]  # rotated pole: its own test
STEPS = ("inspect", "fit", "generate", "evaluate")
# Coordinate attributes the output must carry over whenever the input has them.
COORD_ATTRS = ("units", "standard_name", "axis", "long_name", "positive")


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory) -> dict[str, RoundTrip]:
    root = tmp_path_factory.mktemp("cf_round_trip")
    trips = []
    for name, write in FIXTURES.items():  # here, one by one: netCDF4 (HDF5) is not thread-safe
        (root / name).mkdir()
        trips.append(RoundTrip(name, write(root / name / f"{name}.nc"), root / name))
    with ThreadPoolExecutor(max_workers=2) as pool:  # threads that only wait for processes
        fitted = list(pool.map(fit_round_trip, trips))
    # In this process, one after the other: stdout is redirected.
    return {rt.name: finish_round_trip(rt) for rt in fitted}


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_every_command_exits_0(round_trips, name):
    round_trips[name].require(*STEPS)


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_inspect_shows_axes_variables_and_time_step(round_trips, name):
    rt, exp = round_trips[name], EXPECTED[name]
    rt.require("inspect")
    # The file's path names the fixture ("monthly", "360_day"): it must not pass for the answer.
    out = rt.runs["inspect"].stdout.replace(str(rt.source), "FILE")
    for dim in exp.dims:
        assert f"'{dim}'" in out, f"inspect does not name dimension {dim!r}:\n{out}"
    for var in exp.units:
        assert re.search(rf"\b{var}\b", out), f"inspect does not name variable {var!r}:\n{out}"
    if exp.calendar not in (None, "standard", "gregorian"):
        assert exp.calendar in out, f"inspect does not show the calendar:\n{out}"
    if (
        exp.step == "monthly"
    ):  # on the time axis's line or the step's, not "monthly means" elsewhere
        lines = [ln for ln in out.splitlines() if "step" in ln or f"'{exp.dims[0]}'" in ln]
        assert any("monthly" in ln.lower() for ln in lines), (
            f"inspect does not call the step monthly:\n{out}"
        )
    if name.startswith("cmip"):  # skipped variables are listed with the reason
        for bounds in ("time_bnds", "lat_bnds", "lon_bnds"):
            line = next((ln for ln in out.splitlines() if bounds in ln), "")
            assert "bound" in line.lower(), (
                f"inspect does not list {bounds} as skipped bounds:\n{out}"
            )


def check_names_units_and_attrs(rt: RoundTrip) -> None:
    """Output dims (sample, *input dims); units, long names, coordinates and their attrs kept."""
    exp = EXPECTED[rt.name]
    tdim, ydim, xdim = exp.dims
    with xr.open_dataset(rt.source) as src, xr.open_dataset(rt.output) as out:
        assert set(out.data_vars) >= set(exp.units)
        for var, units in exp.units.items():
            assert out[var].dims == ("sample", tdim, ydim, xdim)
            assert out[var].shape == (NUM_SAMPLES, WINDOW, src.sizes[ydim], src.sizes[xdim])
            written = out[var].attrs.get("units")
            if written != units:  # UDUNITS' spelling of units it cannot parse as written (Ferret's
                # M/S → m/s) is the same units, provided the file's own spelling is kept beside it
                assert (written, out[var].attrs.get("original_units")) == (units.lower(), units), (
                    f"{var}: units {written!r}, input {units!r}"
                )
                assert not udunits_parses(units) and udunits_parses(written)
            assert out[var].attrs.get("long_name") == exp.long_names[var]
            if "standard_name" in src[var].attrs:
                assert out[var].attrs.get("standard_name") == src[var].attrs["standard_name"]
            # physical units, not standardised ones: the mean lies within 3 std of the input's
            values = out[var].values
            assert np.isfinite(values).any()
            real = src[var].values
            assert abs(np.nanmean(values) - np.nanmean(real)) < 3 * np.nanstd(real)
        for dim in (ydim, xdim):
            np.testing.assert_array_equal(out[dim].values, src[dim].values)
        for dim in exp.dims:
            kept = {k: v for k, v in src[dim].attrs.items() if k in COORD_ATTRS}
            assert {k: out[dim].attrs.get(k) for k in kept} == kept, f"{dim}: attrs not kept"


def udunits_parses(units: str) -> bool:
    try:
        cf_units.Unit(units)
    except ValueError:
        return False
    return True


def _seconds(delta) -> float:
    """A time difference (numpy timedelta64 or datetime.timedelta) in seconds."""
    if isinstance(delta, datetime.timedelta):
        return delta.total_seconds()
    return float(delta / np.timedelta64(1, "s"))


def _calendar(var: netCDF4.Variable) -> str:
    """A time variable's calendar, with CF's default and its alias made one name."""
    calendar = str(getattr(var, "calendar", "standard")).lower()
    return "standard" if calendar == "gregorian" else calendar


def check_time(rt: RoundTrip) -> None:
    """Dates decode in the input's calendar and time units and continue after its last time."""
    exp = EXPECTED[rt.name]
    tdim = exp.dims[0]
    with netCDF4.Dataset(rt.source) as nc_in, netCDF4.Dataset(rt.output) as nc_out:
        t_in, t_out = nc_in[tdim], nc_out[tdim]
        if exp.calendar is not None:
            assert " since " in getattr(t_out, "units", ""), f"{tdim} has no date units: {t_out}"
            assert _calendar(t_out) == _calendar(t_in)
            assert t_out.units.split()[0] == t_in.units.split()[0]  # hours stay hours, days days
            epoch = [cftime.num2date(0, v.units, calendar=_calendar(t_in)) for v in (t_in, t_out)]
            assert epoch[0] == epoch[1], f"time units {t_out.units!r}, input {t_in.units!r}"
    with xr.open_dataset(rt.source) as src, xr.open_dataset(rt.output) as out:
        before, after = src[tdim].values, out[tdim].values
    assert after.shape == (WINDOW,)
    if exp.calendar is None:  # numbers without units: they continue with the input's step
        assert np.issubdtype(after.dtype, np.number)
        step = before[-1] - before[-2]
        np.testing.assert_allclose(after, before[-1] + step * np.arange(1, WINDOW + 1))
        return
    decoded = np.issubdtype(after.dtype, np.datetime64) or isinstance(after[0], cftime.datetime)
    assert decoded, f"{tdim} does not decode to dates: {after!r}"
    if isinstance(after[0], cftime.datetime):
        assert after[0].calendar == exp.calendar
    if exp.step == "monthly":
        months = [(int(str(t)[:4]), int(str(t)[5:7])) for t in (before[-1], *after)]
        index = [12 * y + m for y, m in months]
        assert np.diff(index).tolist() == [1] * WINDOW, (
            f"not consecutive months after the input: {after}"
        )
        return
    step = before[-1] - before[-2]
    for k, t in enumerate(after, start=1):
        late = _seconds(t - before[-1]) - k * _seconds(step)
        assert abs(late) < 1, f"step {k}: {t}, but the input ends {before[-1]} with steps of {step}"


def check_cf(rt: RoundTrip) -> None:
    """The output has no CF error beyond those its input already had (Ferret's "M/S", ...)."""
    inherited = set(cf_errors(rt.source))
    new = [e for e in cf_errors(rt.output) if e not in inherited]
    assert new == [], "\n".join(new)


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_output_keeps_dimension_names_units_and_coordinate_attrs(round_trips, name):
    round_trips[name].require("fit", "generate")
    check_names_units_and_attrs(round_trips[name])


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_output_dates_continue_the_input_in_its_calendar(round_trips, name):
    round_trips[name].require("fit", "generate")
    check_time(round_trips[name])


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_output_passes_the_cf_checker(round_trips, name):
    round_trips[name].require("fit", "generate")
    check_cf(round_trips[name])


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_evaluate_scores_every_variable(round_trips, name):
    rt = round_trips[name]
    rt.require("fit", "generate", "evaluate")
    metrics = json.loads((rt.evaluation / "metrics.json").read_text())
    assert set(metrics["variables"]) == set(EXPECTED[name].units)
    for var, m in metrics["variables"].items():
        for key in ("rapsd_lsd_db", "acf_rmse", "w1"):
            assert np.isfinite(m[key]) and m[key] >= 0, (var, key, m[key])


def test_land_stays_missing_and_only_land(round_trips):
    rt = round_trips["sst_masked"]
    rt.require("fit", "generate")
    with xr.open_dataset(rt.output) as out:
        missing = np.isnan(out["sst"].values)  # (sample, time, lat, lon)
    assert (missing == land_mask()).all()


@pytest.mark.parametrize("name", ["cmip_360_day", "cmip_noleap"])
def test_packed_input_comes_out_as_floats_in_kelvin(round_trips, name):
    rt = round_trips[name]
    rt.require("fit", "generate")
    with netCDF4.Dataset(rt.output) as nc:
        tas = nc["tas"]
        assert tas.dtype.kind == "f"  # unpacked: no scale_factor/add_offset pair left on floats
        assert not {"scale_factor", "add_offset"} & set(tas.ncattrs())
        values = np.ma.filled(tas[:], np.nan)
    assert np.isfinite(values).all()  # the 6 filled input cells are not a static mask
    assert 250 < np.mean(values) < 330


def test_monthly_output_has_month_bounds(round_trips):
    rt = round_trips["monthly"]
    rt.require("fit", "generate")
    with netCDF4.Dataset(rt.output) as nc:
        time = nc["time"]
        assert "bounds" in time.ncattrs(), "monthly output has no time bounds"
        bounds = cftime.num2date(nc[time.bounds][:], time.units, calendar=_calendar(time))
        stamps = cftime.num2date(time[:], time.units, calendar=_calendar(time))
    for stamp, (lo, hi) in zip(stamps, bounds):
        assert (lo.day, lo.hour, hi.day, hi.hour) == (1, 0, 1, 0)  # first of the month to the next
        assert (lo.year * 12 + lo.month) + 1 == hi.year * 12 + hi.month
        assert lo < stamp < hi


def test_rotated_pole_works_on_rlat_rlon_or_fails_clearly(round_trips):
    rt = round_trips["rotated_pole"]
    for step in ("inspect", "fit"):
        run = rt.runs[step]
        assert run.returncode in (0, 2), (
            f"`stgan {step}` exited {run.returncode}:\n{run.stderr[-2500:]}"
        )
        if run.returncode == 2:  # refused: say why, in terms of this grid, and write nothing
            msg = _error_line(run)
            assert "rlat" in msg or "rotated" in msg, msg
            if step == "fit":
                assert not rt.checkpoint.exists()
                return
    rt.require(*STEPS)
    check_names_units_and_attrs(rt)
    check_time(rt)
    check_cf(rt)  # a grid_mapping attribute kept needs its rotated_pole variable kept too
