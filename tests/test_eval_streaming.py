"""The evaluation streams the real file in blocks: the same windows, months and metrics as
cutting the whole array in memory (complete_windows + compare), and an evenly spaced
subsample when the windows are capped."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import stgan
from stgan.data.windows import complete_windows
from stgan.io.source import GridSource
from stgan.metrics.registry import compare
from stgan.report import real_windows
from stgan.report.months import generated_months
from tests.conftest import run_stgan
from tests.window_months import real_window_months

WINDOW = (4, 6, 6)
METRICS = ["spectrum", "acf", "distribution", "maps", "seasonal_cycle"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A real file of 43 steps (10 windows in time, 3 steps left over) on a 12 x 12 grid
    (4 tiles per block), with a static hole, a transient gap and monthly dates."""
    rng = np.random.default_rng(0)
    values = rng.standard_normal((43, 12, 12)).astype(np.float32) + 280
    values[:, 0, 0] = np.nan  # missing at every step: kept as NaN, windows stay
    values[9, 7, 8] = np.nan  # one gap: drops the window (block 2, tile 3)
    time = pd.date_range("2000-01-01", periods=43, freq="MS")
    coords = {
        "time": time,
        "y": ("y", np.arange(12.0), {"units": "km"}),
        "x": ("x", np.arange(12.0), {"units": "km"}),
    }
    real = xr.Dataset({"field": (("time", "y", "x"), values, {"units": "K"})}, coords=coords)
    gen = xr.Dataset(
        {
            "field": (
                ("sample", "time", "y", "x"),
                rng.standard_normal((3, *WINDOW)) + 280,
                {"units": "K"},
            )
        },
        coords={"time": time[:4], "y": np.arange(6.0), "x": np.arange(6.0)},
    )
    folder = tmp_path_factory.mktemp("streaming")
    real.to_netcdf(folder / "real.nc")
    gen.to_netcdf(folder / "gen.nc")
    return folder / "real.nc", folder / "gen.nc", values.astype(np.float64), gen


def _assert_same(got, expected):
    if isinstance(expected, dict):
        assert got.keys() == expected.keys()
        for key in expected:
            _assert_same(got[key], expected[key])
    elif expected is None or isinstance(expected, str):
        assert got == expected
    else:
        np.testing.assert_allclose(np.asarray(got, float), np.asarray(expected, float), rtol=1e-12)


def test_streamed_evaluation_equals_the_in_memory_windows(files, monkeypatch):
    real_path, gen_path, values, gen = files
    # In memory: the whole array cut at once (the way evaluation read it before streaming).
    months = real_window_months(
        pd.DatetimeIndex(xr.open_dataset(real_path).time).month.values, values, WINDOW
    )
    windows = complete_windows(values, WINDOW)
    assert len(windows) == 10 * 4 - 1  # the gap drops one window, the static hole none
    expected = compare(
        windows,
        gen["field"].values,
        metrics=METRICS,
        max_lag=3,
        real_months=months,
        generated_months=generated_months(gen["field"], "time"),
    )
    # Streamed: one block of windows per read, so every pass reads the file ten times over.
    monkeypatch.setattr(real_windows, "READ_BYTES", 1)
    ev = stgan.evaluate(real_path, gen_path, metrics=METRICS, max_lag=3)
    assert ev.to_dict()["n_real_windows"] == 39
    _assert_same(ev.to_dict()["variables"]["field"], {"units": "K", **expected})


def test_capped_windows_are_evenly_spaced(files, monkeypatch):
    real_path, _, values, _ = files
    monkeypatch.setattr(real_windows, "READ_BYTES", 1)
    source = GridSource(str(real_path))
    try:
        (got,), (got_months,) = real_windows.read_real_windows(source, slice(0, 43), WINDOW, 5)
    finally:
        source.close()
    # 39 complete windows → numbers 0, 10, 19, 28, 38 among them (first, last, equal steps).
    pick = [0, 10, 19, 28, 38]
    np.testing.assert_array_equal(got, complete_windows(values, WINDOW)[pick])
    all_months = real_window_months(np.arange(43) % 12 + 1, values, WINDOW)
    np.testing.assert_array_equal(got_months, all_months[pick])


def test_cli_caps_the_real_windows(files, tmp_path):
    real_path, gen_path, _, _ = files
    common = ["evaluate", "--real", str(real_path), "--generated", str(gen_path)]
    common += ["--metrics", "distribution"]
    run_stgan(*common, "--output-dir", str(tmp_path / "ev"), "--max-real-windows", "5")
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["n_real_windows"] == 5
    bad = run_stgan(
        *common, "--output-dir", str(tmp_path / "bad"), "--max-real-windows", "0", check=False
    )
    assert bad.returncode != 0 and "max_real_windows must be at least 1, got 0" in bad.stderr
    assert not (tmp_path / "bad" / "metrics.json").exists()
