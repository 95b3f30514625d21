"""More metrics: against scipy, against closed forms, and moving the right way when degraded."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage, stats

from stgan.data.synthetic import make_grf
from stgan.metrics import (
    efolding_time,
    integral_timescale,
    ks_statistic,
    mean_rapsd,
    pairwise_distance_ratio,
    quantile_errors,
    spectral_slope,
)
from stgan.metrics.registry import compare


def test_ks_matches_scipy_on_unequal_samples():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 7)), rng.normal(0.3, 1.2, size=513)
    # Reference: scipy.stats.ks_2samp, the two-sided statistic.
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a.ravel(), b).statistic, abs=1e-12)


def test_quantile_errors_are_signed_differences_of_numpy_quantiles():
    rng = np.random.default_rng(1)
    real, gen = rng.gamma(2.0, size=20000), rng.gamma(2.0, size=20000) * 0.9
    errors = quantile_errors(real, gen)
    assert list(errors) == ["q01", "q50", "q99", "q99.9"]
    assert errors["q99.9"] == pytest.approx(np.quantile(gen, 0.999) - np.quantile(real, 0.999))
    assert errors["q99"] < 0  # a generator 10% too weak has too weak extremes


def test_timescales_of_an_exact_ar1_acf():
    phi = 0.8
    acf = phi ** np.arange(200)
    assert integral_timescale(acf) == pytest.approx(1 / (1 - phi), rel=1e-12)  # Σ φ^k
    # e-folding: φ^k = 1/e at k = −1/ln φ = 4.48; linear interpolation between lags 4 and 5.
    k = 4 + (phi**4 - 1 / math.e) / (phi**4 - phi**5)
    assert efolding_time(acf) == pytest.approx(k, rel=1e-12)
    assert abs(efolding_time(acf) - (-1 / math.log(phi))) < 0.05


def test_spectral_slope_of_a_grf():
    field = make_grf(time=64, height=64, width=64, slope=3.0, seed=0)["field"].values
    p, f = mean_rapsd(field - field.mean())
    assert spectral_slope(p, f) == pytest.approx(-3.0, abs=0.15)


def _windows(seed: int, n: int = 24):
    x = make_grf(time=n * 8, height=32, width=32, phi=0.8, seed=seed)["field"].values
    return x.reshape(n, 8, 32, 32).astype(np.float64)


def test_headline_metrics_move_the_right_way_when_data_are_degraded():
    real, gen = _windows(0), _windows(1)
    base = compare(real, gen, max_lag=7)
    # Smoothed in space → power lost at small scales → larger log-spectral distance.
    smooth = ndimage.gaussian_filter(gen, sigma=(0, 0, 1.5, 1.5))
    assert compare(real, smooth, max_lag=7)["rapsd_lsd_db"] > base["rapsd_lsd_db"] + 3
    # Time-shuffled inside each window → temporal correlation destroyed → larger ACF error.
    rng = np.random.default_rng(2)
    shuffled = np.stack([w[rng.permutation(8)] for w in gen])
    shuffled_error = compare(real, shuffled, max_lag=7)["acf_rmse"]
    assert shuffled_error > base["acf_rmse"] + 0.1 and shuffled_error > 10 * base["acf_rmse"]
    # One sample repeated → no diversity.
    assert pairwise_distance_ratio(gen, real) == pytest.approx(1.0, abs=0.1)
    assert pairwise_distance_ratio(np.repeat(gen[:1], len(gen), axis=0), real) < 1e-6
    # Independent data of the same process are close on every metric.
    assert base["rapsd_lsd_db"] < 1.0 and base["acf_rmse"] < 0.05 and base["w1"] < 0.5


@pytest.mark.parametrize(("n", "nperseg"), [(64, 16), (101, 32), (40, 40), (50, 15)])
def test_temporal_psd_matches_scipy_welch(n, nperseg):
    from scipy import signal

    from stgan.metrics import temporal_psd

    x = np.random.default_rng(3).normal(size=(2, n, 4, 5))
    freq, psd = temporal_psd(x, nperseg=nperseg)
    # Reference: scipy.signal.welch per series (Hann, 50 % overlap, density), then averaged.
    series = np.moveaxis(x, 1, -1).reshape(-1, n)
    ref_f, ref = signal.welch(series, nperseg=nperseg, axis=-1)
    np.testing.assert_allclose(freq, ref_f, rtol=1e-12)
    np.testing.assert_allclose(psd, ref.mean(axis=0), rtol=1e-10)


def test_temporal_psd_of_ar1_follows_the_closed_form():
    from stgan.metrics import temporal_psd

    phi = 0.7
    x = make_grf(time=4096, height=8, width=8, phi=phi, seed=0)["field"].values
    freq, psd = temporal_psd((x - 280.0) / 5.0, nperseg=128)
    # AR(1) with unit variance: S(f) = (1 − φ²) / |1 − φ e^{−2πif}|², one-sided ×2.
    exact = 2 * (1 - phi**2) / np.abs(1 - phi * np.exp(-2j * np.pi * freq)) ** 2
    # Bin 1 is left out: removing each segment's mean also removes power next to f = 0.
    np.testing.assert_allclose(psd[2:-1], exact[2:-1], rtol=0.15)


def test_cross_channel_correlation_error():
    from stgan.metrics import cross_channel_correlation_error

    rng = np.random.default_rng(4)
    a = rng.normal(size=(50, 1, 8, 6))
    real = np.concatenate([a, a + 0.5 * rng.normal(size=a.shape)], axis=1)  # corr ≈ 0.894
    independent = rng.normal(size=real.shape)
    rho = np.corrcoef(real[:, 0].ravel(), real[:, 1].ravel())[0, 1]
    rho_ind = np.corrcoef(independent[:, 0].ravel(), independent[:, 1].ravel())[0, 1]
    assert cross_channel_correlation_error(real, independent) == pytest.approx(
        abs(rho - rho_ind), rel=1e-9
    )
    assert cross_channel_correlation_error(real, real) == 0.0


def test_evaluate_reports_waves_mode_coverage(tmp_path):
    import json

    import xarray as xr

    import stgan
    from stgan.data.waves import make_waves
    from stgan.io.netcdf import write_netcdf

    real = make_waves(time=512, seed=0)
    write_netcdf(real, tmp_path / "real.nc")
    # A collapsed "generator": 24 windows cut from the episodes of one mode only.
    source = make_waves(time=1024, seed=1)
    modes = source["mode"].values
    starts = [t for t in range(0, 1024 - 8, 8) if (modes[t : t + 8] == 3).all()][:24]
    windows = np.stack([source["wave"].values[t : t + 8] for t in starts])
    gen = xr.Dataset(
        {"wave": (("sample", "time", "y", "x"), windows, dict(real["wave"].attrs))},
        coords={"y": real["y"], "x": real["x"]},
    )
    write_netcdf(gen, tmp_path / "gen.nc")
    evaluation = stgan.evaluate(tmp_path / "real.nc", tmp_path / "gen.nc")
    evaluation.save(tmp_path / "ev")
    m = json.loads((tmp_path / "ev" / "metrics.json").read_text())["variables"]["wave"]
    assert m["modes_covered_real"] == 8
    assert m["modes_covered_generated"] == 1
    assert m["high_quality_fraction_generated"] > 0.9
    counts = m["mode_counts_generated"]  # every high-quality window is of mode 3
    assert counts[3] == round(m["high_quality_fraction_generated"] * len(windows)) == sum(counts)
    assert len(m["mode_counts_real"]) == 8 and min(m["mode_counts_real"]) > 0
    assert evaluation.to_dict()["variables"]["wave"]["diversity_ratio"] < 1
