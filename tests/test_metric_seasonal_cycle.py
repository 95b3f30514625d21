"""The ``seasonal_cycle`` metric: known answers for a sine cycle removed, shifted and flipped,
area weights, months in one set only; and through ``stgan.evaluate`` the months read from the
files' time axes (a 360_day calendar) or absent (a numeric time axis)."""

from __future__ import annotations

import math

import cftime
import numpy as np
import pytest
import xarray as xr

import stgan
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf
from stgan.metrics.base import Inputs
from stgan.metrics.registry import METRICS
from stgan.report.markdown import render_markdown
from stgan.report.months import generated_months
from tests.window_months import real_window_months

KEY = "seasonal_cycle"
AMPLITUDE = 3.0
CYCLE = AMPLITUDE * np.sin(2 * np.pi * np.arange(12) / 12)  # January first


def _compute(real, generated, real_months, generated_months, **options) -> dict:
    inputs = Inputs(
        real=real,
        generated=generated,
        real_months=real_months,
        generated_months=generated_months,
        **options,
    )
    return METRICS.get(KEY)().compute(inputs)


def _field(cycle: np.ndarray, n: int, height: int = 3, width: int = 4) -> np.ndarray:
    """``n`` windows of Jan … Dec: the cycle plus a different constant at each cell."""
    offset = np.arange(height * width, dtype=float).reshape(height, width)
    return np.broadcast_to(cycle[None, :, None, None] + offset, (n, 12, height, width)).copy()


MONTHS = np.arange(1, 13)


@pytest.mark.known_answer("metric", "seasonal_cycle")
def test_seasonal_cycle_of_a_sine_removed_shifted_and_flipped():
    real = _field(CYCLE, 3)
    months_r, months_g = np.tile(MONTHS, (3, 1)), np.tile(MONTHS, (2, 1))
    # The sine sampled at 12 equally spaced months has population std A / sqrt(2) and RMS the
    # same, so at every cell the real local std is A / sqrt(2).
    same = _compute(real, _field(CYCLE, 2), months_r, months_g)
    assert same["seasonal_cycle_error"] == pytest.approx(0.0, abs=1e-12)
    assert same["seasonal_cycle_months"] == 12
    # Cycle removed: the error is RMS(A sin) / (A / sqrt(2)) = 1 exactly.
    flat = _compute(real, _field(np.zeros(12), 2), months_r, months_g)
    assert flat["seasonal_cycle_error"] == pytest.approx(1.0, rel=1e-12)
    # Shifted one month late: sin(θ − π/6) − sin θ = −2 sin(π/12) cos(θ − π/12), whose RMS is
    # sqrt(2) sin(π/12) A, so the error is 2 sin(π/12) = 0.5176.
    late = _compute(real, _field(np.roll(CYCLE, 1), 2), months_r, months_g)
    assert late["seasonal_cycle_error"] == pytest.approx(2 * math.sin(math.pi / 12), rel=1e-12)
    # Six months out (sign flipped): twice the cycle removed.
    flipped = _compute(real, _field(-CYCLE, 2), months_r, months_g)
    assert flipped["seasonal_cycle_error"] == pytest.approx(2.0, rel=1e-12)
    # The domain-mean cycles: the sine plus the mean offset (0 … 11 → 5.5), January first.
    np.testing.assert_allclose(flat["seasonal_cycle_real"], CYCLE + 5.5, rtol=1e-12)
    np.testing.assert_allclose(flat["seasonal_cycle_generated"], np.full(12, 5.5), rtol=1e-12)


def test_seasonal_cycle_weights_cells_and_counts_shared_months_only():
    real = _field(CYCLE, 2)
    months = np.tile(MONTHS, (2, 1))
    # Cycle removed in the first row only (error 1 there, 0 elsewhere); that row weighs half.
    gen = real.copy()
    gen[:, :, 0] = _field(np.zeros(12), 2)[:, :, 0]
    weights = np.ones((3, 4))
    weights[0] = 2.0  # 4 cells of weight 2 in row 0: 8 of 16 in total
    out = _compute(real, gen, months, months, weights=weights)
    assert out["seasonal_cycle_error"] == pytest.approx(0.5, rel=1e-12)
    # Generated windows of Jan … Jun only: the RMS is over those 6 months; flat against the
    # sine, sum_{m<6} sin²(πm/6) = 3, RMS A·sqrt(1/2), so 1 again; July … December are null.
    half = _compute(real, _field(np.zeros(12), 2)[:, :6], months, months[:, :6])
    assert half["seasonal_cycle_months"] == 6
    assert half["seasonal_cycle_error"] == pytest.approx(1.0, rel=1e-12)
    assert half["seasonal_cycle_generated"][6:] == [None] * 6
    # One shared month: no cycle to compare, and no crash.
    one = _compute(real, real[:, :1], months, months[:, :1])
    assert one["seasonal_cycle_error"] is None and one["seasonal_cycle_months"] == 1
    # No dates: nothing to compare, and it says so by its count.
    none = _compute(real, real, None, None)
    assert none == {"seasonal_cycle_error": None, "seasonal_cycle_months": 0}
    with pytest.raises(StganError, match="calendar months 1 to 12"):
        _compute(real, real, months, months + 1)
    with pytest.raises(StganError, match="one month per window and step"):
        _compute(real, real, months[:, :5], months)


def test_real_window_months_follow_the_windows_kept():
    # 24 steps of a 2 x 4 grid cut into (6, 2, 2) windows: 4 time blocks x 2 tiles; a
    # missing value in the second block's first tile drops that window only.
    values = np.ones((24, 2, 4))
    values[:, 0, 0] = np.nan  # a static mask is no missing value
    values[7, 1, 1] = np.nan
    months = np.arange(24) % 12 + 1
    got = real_window_months(months, values, (6, 2, 2))
    blocks = [months[i * 6 : (i + 1) * 6] for i in range(4)]
    expected = [blocks[0], blocks[0], blocks[1], blocks[2], blocks[2], blocks[3], blocks[3]]
    np.testing.assert_array_equal(got, expected)
    assert real_window_months(None, values, (6, 2, 2)) is None


def test_generated_months_from_a_shared_or_a_per_sample_time_coordinate():
    values = np.zeros((2, 3, 1, 1))
    shared = xr.DataArray(
        values, dims=("sample", "t", "y", "x"), coords={"t": _cftime_months(1, 2030)[4:7]}
    )
    np.testing.assert_array_equal(generated_months(shared, "t"), [[5, 6, 7], [5, 6, 7]])
    dates = np.array(
        [[np.datetime64(f"2030-{m:02d}-01") for m in row] for row in ([1, 2, 3], [7, 8, 9])]
    )
    own = shared.drop_vars("t").assign_coords(t=(("sample", "t"), dates))
    np.testing.assert_array_equal(generated_months(own, "t"), [[1, 2, 3], [7, 8, 9]])
    numeric = shared.assign_coords(t=np.arange(3.0))
    assert generated_months(numeric, "t") is None
    assert generated_months(shared.drop_vars("t"), "t") is None


def _cftime_months(years: int, start_year: int) -> np.ndarray:
    return np.array(
        [cftime.Datetime360Day(start_year + i // 12, i % 12 + 1, 16) for i in range(12 * years)]
    )


def _dataset(values: np.ndarray, times: np.ndarray | None, dims: tuple[str, ...]) -> xr.Dataset:
    coords = {"y": np.arange(values.shape[-2]), "x": np.arange(values.shape[-1])}
    if times is not None:
        coords["time"] = ("time", times)
    return xr.Dataset({"tas": (dims, values, {"units": "K"})}, coords=coords)


def test_evaluate_reads_months_of_a_360_day_calendar_from_both_files(tmp_path):
    # Real: 4 years of the sine cycle in a 360_day calendar, starting in March, so each
    # 12-step window runs March … February; generated: the cycle removed, dated from January.
    real = _field(np.roll(CYCLE, -2), 4).reshape(48, 3, 4)
    real_times = np.array(
        [cftime.Datetime360Day(2000 + (i + 2) // 12, (i + 2) % 12 + 1, 16) for i in range(48)]
    )
    write_netcdf(_dataset(real, real_times, ("time", "y", "x")), tmp_path / "real.nc")
    gen = _field(np.zeros(12), 2)
    gen_ds = _dataset(gen, _cftime_months(1, 2030), ("sample", "time", "y", "x"))
    write_netcdf(gen_ds, tmp_path / "gen.nc")
    with xr.open_dataset(tmp_path / "gen.nc") as check:
        assert check["time"].values[0].calendar == "360_day"
    evaluation = stgan.evaluate(
        tmp_path / "real.nc", tmp_path / "gen.nc", metrics=["seasonal_cycle", "octaves", "maps"]
    )
    metrics = evaluation.to_dict()["variables"]["tas"]
    assert metrics["seasonal_cycle_months"] == 12
    # The files hold float32: the answers within its precision.
    assert metrics["seasonal_cycle_error"] == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(metrics["seasonal_cycle_real"], CYCLE + 5.5, atol=1e-5)
    # The report shows the cycles, the octaves and the maps (with their errors), captioned.
    saved = evaluation.save(tmp_path / "report")
    page = saved["html_path"].read_text()
    markdown = saved["report_path"].read_text()
    for stem in ("seasonal_tas", "octaves_tas", "maps_tas"):
        assert (tmp_path / "report" / f"{stem}.png").stat().st_size > 1000
        assert f'<img alt="{stem}"' in page and f"![{stem}]({stem}.png)" in markdown
    assert "*Seasonal cycle of tas: the area-weighted domain mean" in markdown
    # The generated mean is the real one at every cell: the mean-map error is 0.
    assert (
        "Map errors (|generated − real| in real std units, averaged over cells): mean 0.000"
        in (evaluation.captions["maps_tas"])
    )
    assert "| seasonal-cycle error (local std) |" in markdown
    # The figures draw the metrics' curves: the cycles month by month, one bar per octave.
    real_line, gen_line = evaluation.figures["seasonal_tas"].axes[0].lines
    np.testing.assert_allclose(real_line.get_ydata(), metrics["seasonal_cycle_real"])
    np.testing.assert_allclose(gen_line.get_ydata(), metrics["seasonal_cycle_generated"])
    bars = evaluation.figures["octaves_tas"].axes[0].patches
    assert [b.get_height() for b in bars] == metrics["rapsd_lsd_db_octaves"]
    # Generated samples dated one month late against the real months: the shifted answer.
    late = _field(np.roll(CYCLE, 1), 2)
    write_netcdf(
        _dataset(late, _cftime_months(1, 2030), ("sample", "time", "y", "x")),
        tmp_path / "late.nc",
    )
    got = stgan.evaluate(tmp_path / "real.nc", tmp_path / "late.nc", metrics=["seasonal_cycle"])
    assert got.to_dict()["variables"]["tas"]["seasonal_cycle_error"] == pytest.approx(
        2 * math.sin(math.pi / 12), rel=1e-6
    )
    # The metrics Dataset lays the cycles along month 1 … 12.
    cycle = got.metrics["seasonal_cycle_real"].sel(variable="tas")
    assert cycle["month"].values.tolist() == list(range(1, 13))


def test_evaluate_without_dates_has_no_seasonal_cycle():
    real = _dataset(_field(CYCLE, 2).reshape(24, 3, 4), np.arange(24.0), ("time", "y", "x"))
    gen = _dataset(_field(CYCLE, 2), None, ("sample", "time", "y", "x"))
    metrics = stgan.evaluate(real, gen, metrics=["seasonal_cycle"]).to_dict()
    assert metrics["variables"]["tas"]["seasonal_cycle_error"] is None
    assert metrics["variables"]["tas"]["seasonal_cycle_months"] == 0
    assert "seasonal_cycle_real" not in metrics["variables"]["tas"]  # so no figure of it
    markdown = render_markdown(metrics, {})
    assert "Seasonal-cycle error of tas undefined (–): the time axes have no dates." in markdown
