"""Real-style climate files in, CF files out: ``inspect → fit → generate → evaluate`` per convention.

Each fixture of :mod:`cf_fixtures` (a Ferret, CMIP, GrADS, station, monthly, land-masked and
rotated-pole file, written with netCDF4 the way those tools write them) goes through the CLI with
no manual edit: ``stgan inspect FILE``, a 2-step ``stgan fit`` of a tiny model, ``stgan generate``
and ``stgan evaluate --real FILE --generated OUT``. fit, generate and evaluate are real processes,
run once per fixture, two side by side (one torch thread each); inspect, which writes nothing,
runs through the CLI's entry point in this process. The tests read what the runs left: exit
codes, the generated file's dates, names, units and attributes, and its CF errors. Bad inputs
end in one ``stgan: error:`` line, exit status 2 and no file written.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import cf_units
import cftime
import netCDF4
import numpy as np
import pytest
import xarray as xr
from cf_checker import cf_errors
from cf_fixtures import BAD_INPUTS, FIXTURES, land_mask, unrotate, write_cmip, write_station
from conftest import TINY_FIT

from stgan.cli import main

REPO = Path(__file__).resolve().parents[1]
DEMO = str(REPO / "configs" / "demo.yaml")
NUM_SAMPLES = 8
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


def stgan(*args: str) -> subprocess.CompletedProcess:
    """A real ``stgan`` process, on one torch thread so that two can share two cores."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "stgan.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=REPO,
        check=False,
    )


def stgan_inspect(*args: str) -> subprocess.CompletedProcess:
    """``stgan inspect`` through the CLI's own entry point, in this process.

    ``stgan.cli.main`` is what the console script runs; calling it here saves the ~8 s of
    imports a process pays, which for ``inspect`` (no file written, nothing to kill) is all
    a process would add. A traceback or an argparse exit is recorded as a process would show it.
    """
    argv = ["inspect", *args]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse refusing an option
            code = exit_.code if isinstance(exit_.code, int) else 1
        except Exception:  # noqa: BLE001 - what an uncaught error looks like from a process: exit 1, a traceback
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def fit_args(data: Path, root: Path, *extra: str) -> list[str]:
    return [
        "fit",
        "--config",
        DEMO,
        "--data.path",
        str(data),
        "--trainer.max_steps",
        "2",
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
        *extra,
    ]


@dataclass
class RoundTrip:
    """One fixture's pass through the CLI: the processes that ran and the files they wrote."""

    name: str
    source: Path
    root: Path
    runs: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)

    @property
    def checkpoint(self) -> Path:
        return self.root / "run" / "logs" / "version_0" / "checkpoints" / "last.ckpt"

    @property
    def output(self) -> Path:
        return self.root / "generated.nc"

    @property
    def evaluation(self) -> Path:
        return self.root / "evaluation"

    def require(self, *steps: str) -> None:
        """Fail with the step's own error message unless each of ``steps`` ran and exited 0."""
        for step in steps:
            run = self.runs.get(step)
            if run is None:
                pytest.fail(f"{self.name}: `stgan {step}` did not run: an earlier step failed")
            if run.returncode != 0:
                pytest.fail(
                    f"{self.name}: `stgan {step}` exited {run.returncode}:\n{run.stderr[-2500:]}"
                )


def run_round_trip(rt: RoundTrip) -> RoundTrip:
    """fit, generate, evaluate on ``rt.source`` in ``rt.root`` as processes, each step if it can run."""
    rt.runs["fit"] = stgan(*fit_args(rt.source, rt.root / "run"))
    if rt.runs["fit"].returncode == 0 and rt.checkpoint.is_file():
        rt.runs["generate"] = stgan(
            "generate",
            "--checkpoint",
            str(rt.checkpoint),
            "--num-samples",
            str(NUM_SAMPLES),
            "--output",
            str(rt.output),
            "--seed",
            "0",
        )
    if rt.runs.get("generate") is not None and rt.runs["generate"].returncode == 0:
        rt.runs["evaluate"] = stgan(
            "evaluate",
            "--real",
            str(rt.source),
            "--generated",
            str(rt.output),
            "--output-dir",
            str(rt.evaluation),
        )
    return rt


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory) -> dict[str, RoundTrip]:
    root = tmp_path_factory.mktemp("cf_round_trip")
    trips = []
    for name, write in FIXTURES.items():  # here, one by one: netCDF4 (HDF5) is not thread-safe
        (root / name).mkdir()
        trips.append(RoundTrip(name, write(root / name / f"{name}.nc"), root / name))
    with ThreadPoolExecutor(max_workers=2) as pool:  # threads that only wait for processes
        done = {rt.name: rt for rt in pool.map(run_round_trip, trips)}
    for rt in done.values():  # in this process, one after the other: stdout is redirected
        rt.runs["inspect"] = stgan_inspect(str(rt.source))
    return done


# --- the CF checker helper can fail ------------------------------------------------------------


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


# --- the round trip ----------------------------------------------------------------------------


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


def _error_line(run: subprocess.CompletedProcess) -> str:
    """The one ``stgan: error:`` line of a failed command (Lightning may log before it)."""
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("stgan: error: ")]
    assert "Traceback" not in run.stderr, run.stderr[-2500:]
    assert len(errors) == 1 and lines[-1] == errors[0], run.stderr[-2500:]
    return errors[0]


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


# --- bad input: one clear message, exit status 2, nothing written ------------------------------


def _bad_input(case: str, tmp_path: Path) -> tuple[Path, dict[str, str], list[str]]:
    """The file of ``case``, the dims mapping to pass (if any), and what the message must name."""
    if case == "missing_dim":
        return write_station(tmp_path / "station.nc"), {"time": "nope"}, ["nope", "timestep"]
    path = BAD_INPUTS[case](tmp_path / f"{case}.nc")
    expected = {
        "no_time_axis": ["time", "member", "dims"],  # what is missing, what is there, the fix
        "two_time_axes": ["start_time", "'time'", "dims"],
        "bad_calendar": ["lunar", "calendar"],
    }
    return path, {}, expected[case]


BAD_CASES = [*BAD_INPUTS, "missing_dim"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_fit_fails_clearly_and_writes_nothing(tmp_path, case):
    path, dims, names = _bad_input(case, tmp_path)
    extra = (
        ["--data.dims", "{" + ", ".join(f"{k}: {v}" for k, v in dims.items()) + "}"] if dims else []
    )
    run = stgan(*fit_args(path, tmp_path / "run", *extra))
    assert run.returncode == 2, run.stderr[-2500:]
    msg = _error_line(run)
    for name in names:
        assert name in msg, f"{name!r} not in: {msg}"
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert written == [], f"files left behind: {written}"


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_inspect_fails_clearly(tmp_path, case):
    path, dims, names = _bad_input(case, tmp_path)
    extra = ["--dims", "{" + ", ".join(f"{k}: {v}" for k, v in dims.items()) + "}"] if dims else []
    run = stgan_inspect(str(path), *extra)
    assert run.returncode == 2, run.stderr[-2500:]
    msg = _error_line(run)
    for name in names:
        assert name in msg, f"{name!r} not in: {msg}"
    assert run.stdout == ""
