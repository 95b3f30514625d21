"""Every registered metric states its units; metrics.json takes them from the metrics; the
waves metric through the registry; PRDC that separates real data from noise."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import prdc as prdc_reference
import pytest
import xarray as xr

import stgan
from stgan.data.synthetic import make_grf
from stgan.data.waves import make_waves
from stgan.data.windows import complete_windows
from stgan.io.netcdf import write_netcdf
from stgan.metrics.base import VALUE, Metric
from stgan.metrics.diversity import feature_prdc, prdc_features
from stgan.metrics.registry import METRICS, compare, metric_units


def _waves_windows(seed: int, time: int) -> tuple[np.ndarray, dict]:
    ds = make_waves(time=time, height=16, width=16, seed=seed)
    return complete_windows(ds["wave"].values.astype(float), (8, 16, 16)), dict(ds["wave"].attrs)


@pytest.fixture(scope="module")
def every_result() -> dict[str, dict]:
    """Each metric's own result on waves data (so that the waves metric has something to
    say) with training windows (so that memorisation does)."""
    real, attrs = _waves_windows(0, 256)
    gen, _ = _waves_windows(1, 256)
    return {
        key: compare(real, gen, metrics=[key], train=gen[::2], attrs=attrs)
        for key in METRICS.keys()
    }


def test_every_metric_is_a_dataclass_with_units_and_a_definition():
    assert METRICS.keys() == [
        "acf",
        "distribution",
        "diversity",
        "gridpoint",
        "increments",
        "maps",
        "memorisation",
        "octaves",
        "prdc",
        "seasonal_cycle",
        "spectrum",
        "tpsd",
        "waves",
    ]
    for key in METRICS.keys():
        cls = METRICS.get(key)
        assert issubclass(cls, Metric) and dataclasses.is_dataclass(cls), key
        assert cls.units and all(cls.units.values()), key
        assert len(cls.description) > 20, key
    assert metric_units(["spectrum"]) == {
        "rapsd_lsd_db": "dB",
        "spectral_slope_real": "1",
        "spectral_slope_generated": "1",
    }
    assert metric_units()["w1_tdiff"] == f"{VALUE} per time step"


def test_each_metric_returns_exactly_the_scalars_it_gives_units_for(every_result):
    for key, result in every_result.items():
        scalars = {k for k, v in result.items() if not isinstance(v, list)}
        units = METRICS.get(key).units
        # mode_counts_* are lists of counts, with a unit; every other list is a curve.
        counted = {k for k in result if k.startswith("mode_counts_")}
        assert scalars | counted == set(units), key


def test_metrics_json_units_are_the_metrics_own(tmp_path):
    ds = make_waves(time=128, height=16, width=16, seed=0)
    write_netcdf(ds, tmp_path / "real.nc")
    gen = ds["wave"].values[:64].reshape(8, 8, 16, 16)
    gen_ds = xr.Dataset(
        {"wave": (("sample", "time", "y", "x"), gen, dict(ds["wave"].attrs))},
        coords={"y": ds["y"], "x": ds["x"]},
    )
    write_netcdf(gen_ds, tmp_path / "gen.nc")
    evaluation = stgan.evaluate(
        tmp_path / "real.nc", tmp_path / "gen.nc", train=tmp_path / "real.nc"
    )
    evaluation.save(tmp_path / "ev")
    written = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert written == json.loads(json.dumps(evaluation.to_dict()))
    assert written["units"] == {**metric_units(), "cross_channel_correlation_error": "1"}
    wave = written["variables"]["wave"]
    for key in METRICS.keys():
        for name, unit in METRICS.get(key).units.items():
            assert name in wave, (key, name)  # every metric ran on waves data with --train
            assert written["units"][name] == unit
    # The report defines each metric with its units.
    report = (tmp_path / "ev" / "report.md").read_text()
    assert "- **spectrum**: log-spectral distance" in report and "`rapsd_lsd_db` (dB)" in report


@pytest.mark.known_answer("metric", "waves")
def test_waves_coverage_through_the_registry():
    # Real episodes cover all 8 modes; "generated" windows of one mode's episodes cover one.
    real, attrs = _waves_windows(0, 512)
    source = make_waves(time=1024, height=16, width=16, seed=1)
    modes = source["mode"].values
    starts = [t for t in range(0, 1024 - 8, 8) if (modes[t : t + 8] == 5).all()][:16]
    gen = np.stack([source["wave"].values[t : t + 8] for t in starts]).astype(float)
    m = compare(real, gen, metrics=["waves"], attrs=attrs)
    assert m["modes_covered_real"] == 8 and m["modes_covered_generated"] == 1
    assert m["mode_counts_generated"][5] == sum(m["mode_counts_generated"])
    assert m["high_quality_fraction_generated"] > 0.9
    # Data without the waves attributes: nothing to say.
    assert compare(real, gen, metrics=["waves"]) == {}

    # stgan.evaluate passes labelled data's attributes on, with the metrics' units.
    def dataset(x, dims):
        return xr.Dataset({"wave": (dims, x, {**attrs, "units": "m"})})

    ds = stgan.evaluate(
        dataset(real.reshape(-1, 16, 16), ("time", "y", "x")),
        dataset(gen, ("sample", "time", "y", "x")),
        metrics=["waves", "distribution"],
    ).metrics.sel(variable="wave")
    assert int(ds["modes_covered_generated"]) == 1
    assert ds["modes_covered_real"].attrs["units"] == "count" and ds["w1"].attrs["units"] == "m"


# --- PRDC ------------------------------------------------------------------------------------
def _grf_windows(seed: int, n: int = 64) -> np.ndarray:
    values = make_grf(time=8 * n, height=16, width=16, seed=seed)["field"].values.astype(float)
    return complete_windows(values, (8, 16, 16))


def test_prdc_tells_real_data_from_noise():
    real, other = _grf_windows(100), _grf_windows(101)
    same = feature_prdc(real, other)
    # Measured over 15 pairs of independent draws of this GRF (64 windows each): precision
    # 0.83-0.95, recall 0.83-0.98, density 0.74-1.23 (mean 0.99), coverage 0.92-1.0 (mean
    # 0.967; Naeem et al. 2020, eq. 8: 1 − Π_{i=1..5} (64 − i) / (128 − i) = 0.971).
    assert same["precision"] >= 0.8 and same["recall"] >= 0.8
    assert same["coverage"] >= 0.9 and 0.7 <= same["density"] <= 1.3
    # White noise of the same mean and variance: measured exactly 0 for all four.
    noise = np.random.default_rng(0).normal(real.mean(), real.std(), size=real.shape)
    assert max(feature_prdc(real, noise).values()) < 0.05


def test_prdc_features_are_usable_when_a_real_feature_is_constant():
    # Every GRF frame has the same spatial mean (k = 0 removed), so the window mean hardly
    # varies over real windows; standardising by that spread alone (1e-8) once made every
    # noise window an outlier with a huge k-NN ball, and recall of noise 1.0.
    real = _grf_windows(102)
    assert np.std(real.mean(axis=(1, 2, 3))) < 1e-6
    noise = np.random.default_rng(1).normal(real.mean(), real.std(), size=real.shape)
    fr, fn = prdc_features(real, noise)
    assert np.abs(fn[:, 0]).max() < 20  # the window mean, in floored real spreads
    assert feature_prdc(real, noise)["recall"] == 0.0


def test_feature_prdc_equals_the_reference_package_on_the_same_features():
    real, gen = _grf_windows(103, n=40), _grf_windows(104, n=30)
    ours = feature_prdc(real, gen, k=5)
    ref = prdc_reference.compute_prdc(*prdc_features(real, gen), nearest_k=5)
    for key in ("precision", "recall", "density", "coverage"):
        assert ours[key] == pytest.approx(float(ref[key]), abs=1e-12)
