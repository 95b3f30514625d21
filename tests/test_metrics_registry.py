"""The metric registry and the metrics added around it: area weights, physical wavenumbers,
per-grid-point and increment distributions, PRDC, memorisation, and the xarray layer."""

from __future__ import annotations

import json

import numpy as np
import prdc as prdc_reference
import pytest
import scipy.stats as ss
import xarray as xr

import stgan
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf
from stgan.metrics import (
    feature_prdc,
    gridpoint_distances,
    increment_distances,
    ks_statistic,
    memorisation,
    prdc,
    quantile_errors,
    rapsd,
    temporal_acf,
    wasserstein1,
)
from stgan.metrics.registry import METRICS, compare
from stgan.metrics.weights import area_weights
from tests.conftest import run_stgan

RNG = np.random.default_rng(7)


def _ar1(n, t, h, w, phi=0.8, seed=0):
    rng = np.random.default_rng(seed)
    x = np.empty((n, t, h, w))
    x[:, 0] = rng.normal(size=(n, h, w))
    for k in range(1, t):
        x[:, k] = phi * x[:, k - 1] + np.sqrt(1 - phi**2) * rng.normal(size=(n, h, w))
    return x


# --- physical wavenumbers --------------------------------------------------------------------
@pytest.mark.parametrize("h, w, axis", [(32, 64, "y"), (64, 32, "x"), (24, 40, "y")])
def test_physical_wavenumbers_put_a_sinusoid_at_its_wavelength(h, w, axis):
    wavelength = 8
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    field = np.sin(2 * np.pi * (yy if axis == "y" else xx) / wavelength)
    index, freq = rapsd(field, return_freq=True)
    physical, _ = rapsd(field, return_freq=True, wavenumbers="physical")
    assert 1 / freq[physical.argmax()] == pytest.approx(wavelength)
    # pysteps' index rings file the wave along the short side under a longer wavelength.
    short = h if axis == "y" else w
    assert 1 / freq[index.argmax()] == pytest.approx(wavelength * max(h, w) / short, rel=0.1)


def test_physical_wavenumbers_equal_index_rings_on_square_grids():
    x = RNG.normal(size=(3, 33, 33))
    np.testing.assert_array_equal(rapsd(x), rapsd(x, wavenumbers="physical"))
    with pytest.raises(StganError, match="index, physical"):
        rapsd(x, wavenumbers="metric")


# --- weights ---------------------------------------------------------------------------------
def test_weighted_w1_ks_and_quantiles_match_scipy_and_repetition():
    a, b = RNG.normal(size=(3, 4, 5, 6)), RNG.normal(0.3, 1.2, size=(2, 4, 5, 6))
    w = RNG.uniform(0.1, 1.0, size=(5, 6))
    expected = ss.wasserstein_distance(
        a.ravel(),
        b.ravel(),
        np.broadcast_to(w, a.shape).ravel(),
        np.broadcast_to(w, b.shape).ravel(),
    )
    assert wasserstein1(a, b, a_weights=w, b_weights=w) == pytest.approx(expected, rel=1e-12)
    # Integer weights act as repeated values: weighted KS = scipy's KS of the repeated samples.
    iw = RNG.integers(1, 4, size=(5, 6))

    def repeat(x):
        return np.concatenate(
            [np.repeat(x[..., i, j].ravel(), iw[i, j]) for i in range(5) for j in range(6)]
        )

    assert ks_statistic(a, b, a_weights=iw, b_weights=iw) == pytest.approx(
        ss.ks_2samp(repeat(a), repeat(b)).statistic, abs=1e-12
    )
    got = quantile_errors(a, b, weights=iw)
    for p, key in ((0.01, "q01"), (0.5, "q50"), (0.99, "q99")):
        ref = np.quantile(repeat(b), p, method="inverted_cdf") - np.quantile(
            repeat(a), p, method="inverted_cdf"
        )
        assert got[key] == pytest.approx(ref, abs=1e-12)


def test_area_weights_are_cos_latitude_with_mean_one():
    lat = np.array([-60.0, 0.0, 60.0])
    w = area_weights(lat, 4)
    assert w.shape == (3, 4) and w.mean() == pytest.approx(1.0)
    assert w[0, 0] / w[1, 0] == pytest.approx(0.5)
    with pytest.raises(StganError, match="within"):
        area_weights(np.array([0.0, 95.0]), 2)


def test_weighted_acf_is_the_weighted_mean_of_per_point_acfs():
    x = _ar1(2, 30, 3, 4, seed=1)
    w = RNG.uniform(0, 1, size=(3, 4))
    per_point = np.stack(
        [[temporal_acf(x[:, :, i : i + 1, j : j + 1], 4) for j in range(4)] for i in range(3)]
    )
    expected = np.einsum("ijnk,ij->nk", per_point, w) / w.sum()
    np.testing.assert_allclose(temporal_acf(x, 4, weights=w), expected, rtol=1e-12)


# --- per grid point and increments -----------------------------------------------------------
@pytest.mark.parametrize("n_real, n_gen", [(12, 8), (7, 20), (10, 10)])
def test_gridpoint_distances_match_a_scipy_loop(n_real, n_gen):
    a, b = RNG.normal(size=(n_real, 3, 4, 5)), RNG.normal(0.2, 1.3, size=(n_gen, 3, 4, 5))
    got = gridpoint_distances(a, b)
    ra, rb = a.reshape(-1, 20), b.reshape(-1, 20)
    w1 = np.mean([ss.wasserstein_distance(ra[:, i], rb[:, i]) for i in range(20)])
    ks = np.mean([ss.ks_2samp(ra[:, i], rb[:, i]).statistic for i in range(20)])
    assert got["w1_gridpoint"] == pytest.approx(w1, rel=1e-10)
    assert got["ks_gridpoint"] == pytest.approx(ks, rel=1e-10)


def test_gridpoint_distance_sees_values_at_the_wrong_places():
    climate = np.linspace(-3, 3, 36).reshape(6, 6)  # a fixed spatial pattern
    real = climate + 0.3 * RNG.normal(size=(20, 4, 6, 6))
    moved = climate[::-1, ::-1] + 0.3 * RNG.normal(size=(20, 4, 6, 6))  # same values, wrong cells
    same = climate + 0.3 * RNG.normal(size=(20, 4, 6, 6))
    assert wasserstein1(real, moved) < 0.1  # the pooled distribution cannot tell
    assert (
        gridpoint_distances(real, moved)["w1_gridpoint"]
        > 10 * gridpoint_distances(real, same)["w1_gridpoint"]
    )


def test_increment_distances_grow_for_smooth_and_shuffled_samples():
    real = _ar1(16, 8, 16, 16, seed=2)
    fresh = _ar1(16, 8, 16, 16, seed=3)
    smooth = (
        fresh + np.roll(fresh, 1, -1) + np.roll(fresh, 1, -2) + np.roll(fresh, (1, 1), (-2, -1))
    ) / 4
    shuffled = fresh[:, RNG.permutation(8)]
    base = increment_distances(real, fresh)
    assert increment_distances(real, smooth)["w1_gradient"] > 5 * base["w1_gradient"]
    assert increment_distances(real, shuffled)["w1_tdiff"] > 5 * base["w1_tdiff"]


# --- PRDC and memorisation -------------------------------------------------------------------
def test_prdc_matches_the_reference_package():
    real, fake = RNG.normal(size=(60, 7)), RNG.normal(0.4, 1.1, size=(45, 7))
    ours = prdc(real, fake, k=5)
    ref = prdc_reference.compute_prdc(real, fake, nearest_k=5)
    for key in ("precision", "recall", "density", "coverage"):
        assert ours[key] == pytest.approx(float(ref[key]), abs=1e-12)


def test_feature_prdc_sees_collapse():
    real, fresh = _ar1(40, 6, 12, 12, seed=4), _ar1(40, 6, 12, 12, seed=5)
    healthy = feature_prdc(real, fresh)
    collapsed = feature_prdc(real, np.repeat(fresh[:1], 40, axis=0))
    assert healthy["recall"] > 0.6 and healthy["coverage"] > 0.8
    # One repeated sample: its own ball has radius 0, so no real sample is recalled, and it
    # lies in only the few real balls around it.
    assert collapsed["recall"] == 0.0 and collapsed["coverage"] < 0.4


def test_memorisation_flags_copies_of_training_windows():
    train, heldout, fresh = (_ar1(30, 4, 8, 8, seed=s) for s in (6, 7, 8))
    honest = memorisation(fresh, train, heldout)
    copies = memorisation(train[:10] + 1e-3 * RNG.normal(size=(10, 4, 8, 8)), train, heldout)
    assert 0.8 < honest["memorisation_ratio"] < 1.25 and honest["copy_fraction"] < 0.2
    assert copies["memorisation_ratio"] < 0.01 and copies["copy_fraction"] == 1.0


# --- the registry ----------------------------------------------------------------------------
def test_registry_runs_the_chosen_entries_and_lists_valid_keys():
    real, gen = _ar1(12, 6, 8, 8, seed=9), _ar1(12, 6, 8, 8, seed=10)
    only = compare(real, gen, metrics=["spectrum", "gridpoint"])
    assert {"rapsd_lsd_db", "w1_gridpoint"} <= set(only) and "acf_rmse" not in only
    everything = compare(real, gen, train=real)
    assert {"tpsd_lsd_db", "precision", "coverage", "memorisation_ratio", "w1_gradient"} <= set(
        everything
    )
    assert set(METRICS.keys()) >= {
        "spectrum",
        "acf",
        "tpsd",
        "distribution",
        "gridpoint",
        "increments",
        "diversity",
        "prdc",
        "memorisation",
    }
    with pytest.raises(StganError, match="valid metric keys: acf, distribution, diversity"):
        compare(real, gen, metrics=["fid"])


def test_tpsd_distance_is_zero_for_identical_sets_and_grows_when_shuffled():
    real = _ar1(8, 16, 6, 6, seed=11)
    assert compare(real, real, metrics=["tpsd"])["tpsd_lsd_db"] == pytest.approx(0.0, abs=1e-12)
    shuffled = real[:, RNG.permutation(16)]
    fresh = _ar1(8, 16, 6, 6, seed=12)
    assert (
        compare(real, shuffled, metrics=["tpsd"])["tpsd_lsd_db"]
        > 2 * compare(real, fresh, metrics=["tpsd"])["tpsd_lsd_db"]
    )


# --- xarray ----------------------------------------------------------------------------------
def _latlon(values, lat, lon, dims=("time", "lat", "lon")):
    coords = {
        "lat": ("lat", lat, {"units": "degrees_north"}),
        "lon": ("lon", lon, {"units": "degrees_east"}),
    }
    return xr.DataArray(values, dims=dims, coords=coords, attrs={"units": "K"})


def test_xarray_metrics_equal_the_array_metrics_with_area_weights():
    lat, lon = np.linspace(-75, 75, 6), np.arange(0.0, 360.0, 45.0)
    series = _ar1(1, 40, 6, 8, seed=13)[0]
    gen = _ar1(5, 8, 6, 8, seed=14)
    real_da = _latlon(series, lat, lon)
    gen_da = _latlon(gen, lat, lon, dims=("sample", "time", "lat", "lon"))
    # The registry's metrics of labelled data: stgan.evaluate, which weights by cos(lat).
    real_ds, gen_ds = real_da.to_dataset(name="tas"), gen_da.to_dataset(name="tas")
    ds = stgan.evaluate(real_ds, gen_ds, metrics=["distribution", "acf"]).metrics
    weights = area_weights(lat, 8)
    expected = compare(
        series.reshape(5, 8, 6, 8), gen, metrics=["distribution", "acf"], weights=weights
    )
    assert ds.attrs["area_weighting"] == "cos(lat)"
    # evaluate reads the fields as float32, hence 1e-6 rather than float64 agreement
    assert float(ds["w1"].sel(variable="tas")) == pytest.approx(expected["w1"], rel=1e-6)
    assert float(ds["acf_rmse"].sel(variable="tas")) == pytest.approx(
        expected["acf_rmse"], rel=1e-6
    )
    assert ds["w1"].attrs["units"] == "K"
    # Without weights, the named layer pools every cell alike.
    unweighted = wasserstein1(real_da, gen_da)
    assert float(unweighted) == pytest.approx(wasserstein1(series, gen), rel=1e-12)
    spectra = rapsd(gen_da)
    assert spectra.dims == ("sample", "time", "wavenumber")
    np.testing.assert_allclose(spectra.values, rapsd(gen))
    acf = temporal_acf(gen_da, 3, weights=weights)
    assert acf.dims == ("sample", "lag")
    np.testing.assert_allclose(acf.values, temporal_acf(gen, 3, weights=weights))


# --- stgan evaluate --------------------------------------------------------------------------
def _write_latlon(path, values, lat, lon, dims):
    da = _latlon(values, lat, lon, dims)
    coords = {"time": ("time", np.arange(values.shape[-3]), {"units": "days since 2000-01-01"})}
    write_netcdf(xr.Dataset({"tas": da}).assign_coords(coords), path)


def test_evaluate_weights_by_latitude_and_runs_chosen_metrics(tmp_path):
    lat, lon = np.linspace(-80, 80, 8), np.arange(0.0, 360.0, 30.0)
    real, gen = _ar1(1, 48, 8, 12, seed=15)[0], _ar1(4, 6, 8, 12, seed=16)
    _write_latlon(tmp_path / "real.nc", real, lat, lon, ("time", "lat", "lon"))
    _write_latlon(tmp_path / "gen.nc", gen, lat, lon, ("sample", "time", "lat", "lon"))
    out = tmp_path / "eval"
    run_stgan(
        "evaluate",
        "--real",
        str(tmp_path / "real.nc"),
        "--generated",
        str(tmp_path / "gen.nc"),
        "--output-dir",
        str(out),
        "--metrics",
        "distribution",
        "gridpoint",
        "--train",
        str(tmp_path / "real.nc"),
    )
    metrics = json.loads((out / "metrics.json").read_text())
    tas = metrics["variables"]["tas"]
    assert metrics["area_weighting"] == "cos(lat)"
    w = area_weights(lat, 12)
    expected = ss.wasserstein_distance(
        real.ravel(),
        gen.ravel(),
        np.broadcast_to(w, real.shape).ravel(),
        np.broadcast_to(w, gen.shape).ravel(),
    )
    assert tas["w1"] == pytest.approx(expected, rel=1e-6)
    assert "w1_gridpoint" in tas and "rapsd_lsd_db" not in tas
    bad = run_stgan(
        "evaluate",
        "--real",
        str(tmp_path / "real.nc"),
        "--generated",
        str(tmp_path / "gen.nc"),
        "--output-dir",
        str(tmp_path / "bad"),
        "--metrics",
        "fid",
        check=False,
    )
    assert bad.returncode == 2 and "unknown metric 'fid'; valid metric keys:" in bad.stderr
    assert not (tmp_path / "bad" / "metrics.json").exists()
