"""Tests for the synthetic Gaussian random field: its statistics must match the known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from stgan.data.synthetic import FILL_VALUE, MASKS, island_mask, make_grf, missing_step_indices
from stgan.errors import StganError


def _rapsd(frame: np.ndarray) -> np.ndarray:
    """Radially averaged power spectrum, rings of integer radius in cycles per max(H, W).

    Power is |fftshift(fft2(x))|^2 / (H*W); the radius is measured on the centred grid with
    the indices scaled by L/H and L/W (L = max(H, W)) so rings are isotropic in physical
    wavenumber, then rounded. For a square grid this is exactly pysteps' ``rapsd``.
    """
    height, width = frame.shape
    length = max(height, width)
    ky = (np.arange(height) - height // 2) * (length / height)
    kx = (np.arange(width) - width // 2) * (length / width)
    ring = np.rint(np.hypot(ky[:, None], kx[None, :])).astype(int).ravel()
    power = (np.abs(np.fft.fftshift(np.fft.fft2(frame))) ** 2 / frame.size).ravel()
    n = length // 2
    return np.bincount(ring, power)[:n] / np.bincount(ring)[:n]


def _anomaly(ds: xr.Dataset, name: str = "field") -> np.ndarray:
    """Standardised values (x in the docstring's notation) as float64."""
    da = ds[name]
    return (da.values.astype(np.float64) - da.attrs["mean"]) / da.attrs["std"]


def _fitted_slope(x: np.ndarray) -> float:
    spectrum = np.mean([_rapsd(frame) for frame in x], axis=0)
    length = max(x.shape[1:])
    k = np.arange(2, length // 2 - 1)  # wavenumbers 2 .. L/2 - 2
    return float(np.polyfit(np.log(k), np.log(spectrum[k]), 1)[0])


@pytest.mark.parametrize("slope", [2.0, 3.0])
@pytest.mark.parametrize("shape", [(64, 64), (48, 64)])
def test_spectral_slope(slope, shape):
    # phi=0: 64 independent frames, so the time-mean spectrum is smooth enough for a 0.15 tolerance.
    ds = make_grf(time=64, height=shape[0], width=shape[1], slope=slope, phi=0.0, seed=1)
    fitted = _fitted_slope(_anomaly(ds))
    assert fitted == pytest.approx(-slope, abs=0.15)


def test_rapsd_matches_pysteps_on_square_grid():
    spectral = pytest.importorskip("pysteps.utils.spectral")
    frame = _anomaly(make_grf(time=2, height=64, width=64, seed=3))[0]
    np.testing.assert_allclose(_rapsd(frame), spectral.rapsd(frame, fft_method=np.fft), rtol=1e-10)


@pytest.mark.parametrize("phi", [0.5, 0.9])
def test_acf_is_phi_to_the_k(phi):
    x = _anomaly(make_grf(time=2000, height=16, width=16, phi=phi, seed=2))
    a = x - x.mean(axis=0)
    var = (a * a).mean(axis=0)
    n = a.shape[0]
    acf = np.array([((a[k:] * a[:-k]).sum(axis=0) / n / var).mean() for k in range(1, 6)])
    np.testing.assert_allclose(acf, phi ** np.arange(1, 6), atol=0.05)


def test_mean_and_std():
    height = width = 32
    time, slope, phi, seed = 512, 3.0, 0.8, 4
    ds = make_grf(time=time, height=height, width=width, slope=slope, phi=phi, seed=seed)
    values = ds["field"].values.astype(np.float64)

    # Mean: the k=0 Fourier mode is zero, so every frame's spatial mean is exactly `mean`;
    # the only error is float32 rounding (spacing 3e-5 at 280).
    np.testing.assert_allclose(values.mean(axis=(1, 2)), 280.0, atol=1e-3)

    # Std: the sample variance S of x (about the exactly known mean) is a Gaussian quadratic
    # form, so Var(S) = 2 tr(C^2) / N^2 exactly, with N = T*H*W and
    # tr(C^2) = sum_{t,s} phi^(2|t-s|) * sum_k lambda_k^2, where lambda_k = k^-slope
    # (scaled to mean 1 over the H*W modes, k=0 excluded) are the spatial covariance's
    # eigenvalues. Low wavenumbers dominate at slope 3, so this is ~4% here; allow 4 sigma.
    ky = np.fft.fftfreq(height) * height
    kx = np.fft.fftfreq(width) * width
    k = np.hypot(ky[:, None], kx[None, :]).ravel()
    lam = np.zeros_like(k)
    lam[k > 0] = k[k > 0] ** -slope
    lam *= lam.size / lam.sum()
    lags = np.abs(np.subtract.outer(np.arange(time), np.arange(time)))
    sigma_s = math.sqrt(2.0 * np.sum(phi ** (2.0 * lags)) * np.sum(lam**2)) / (
        time * height * width
    )
    variance = np.mean((values - 280.0) ** 2) / 5.0**2
    assert 0.01 < sigma_s < 0.1  # the tolerance is meaningful, not vacuous
    assert variance == pytest.approx(1.0, abs=4 * sigma_s)
    assert math.sqrt(variance) * 5.0 == pytest.approx(
        5.0, abs=5.0 * 2 * sigma_s
    )  # d(sqrt S) ~ dS/2


def test_mean_and_std_are_applied():
    ds = make_grf(time=64, height=16, width=16, mean=-3.0, std=0.5, seed=5)
    values = ds["field"].values.astype(np.float64)
    np.testing.assert_allclose(values.mean(axis=(1, 2)), -3.0, atol=1e-5)
    reference = make_grf(time=64, height=16, width=16, seed=5)["field"].values.astype(np.float64)
    np.testing.assert_allclose((values + 3.0) / 0.5, (reference - 280.0) / 5.0, atol=1e-3)


def test_seed_determinism():
    a = make_grf(time=20, height=16, width=24, seed=7)["field"].values
    b = make_grf(time=20, height=16, width=24, seed=7)["field"].values
    c = make_grf(time=20, height=16, width=24, seed=8)["field"].values
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 1.0  # independent fields with std 5 differ by ~5.6 on average


def test_shorter_series_is_prefix_of_longer():
    short = make_grf(time=10, height=8, width=8, seed=9)["field"].values
    long = make_grf(time=300, height=8, width=8, seed=9)["field"].values
    np.testing.assert_array_equal(short, long[:10])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time": 1},
        {"time": 0},
        {"height": 3},
        {"width": 2},
        {"height": 8.5},
        {"time": True},
        {"phi": 1.0},
        {"phi": -0.1},
        {"phi": float("nan")},
        {"slope": -1.0},
        {"std": 0.0},
        {"std": -2.0},
        {"mean": float("inf")},
        {"seed": -1},
        {"variable": ""},
        {"variable": "time"},
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(StganError):
        make_grf(**kwargs)


def test_cf_attributes_and_netcdf_roundtrip(tmp_path):
    ds = make_grf(time=12, height=8, width=10, slope=2.5, phi=0.6, seed=11, variable="tas")
    assert ds.attrs["Conventions"] == "CF-1.8"
    assert ds.attrs["source"] == "stgan make-data grf"
    assert {"title", "history"} <= set(ds.attrs)
    da = ds["tas"]
    assert da.dims == ("time", "y", "x") and da.dtype == np.float32
    assert da.attrs["units"] == "K"
    assert da.attrs["long_name"] == "Gaussian random field with power-law spectrum"
    assert (
        da.attrs["slope"],
        da.attrs["phi"],
        da.attrs["mean"],
        da.attrs["std"],
        da.attrs["seed"],
    ) == (
        2.5,
        0.6,
        280.0,
        5.0,
        11,
    )
    np.testing.assert_array_equal(ds["x"].values, np.arange(10) + 0.5)
    np.testing.assert_array_equal(ds["y"].values, np.arange(8) + 0.5)
    assert ds["time"].values[0] == np.datetime64("2000-01-01")
    assert np.all(np.diff(ds["time"].values) == np.timedelta64(1, "D"))

    path = tmp_path / "grf.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        np.testing.assert_array_equal(back["tas"].values, da.values)
        assert back["tas"].dtype == np.float32
        np.testing.assert_array_equal(back["time"].values, ds["time"].values)
        assert back["tas"].attrs["units"] == "K"
        assert back["time"].attrs["axis"] == "T" and back["time"].attrs["standard_name"] == "time"
        for name, axis in (("y", "Y"), ("x", "X")):
            attrs = back[name].attrs
            assert attrs["units"] == "km" and attrs["axis"] == axis
            assert attrs["standard_name"] == f"projection_{name}_coordinate"
            assert "_FillValue" not in back[name].encoding
        assert back.attrs["Conventions"] == "CF-1.8"


# ---- Masked variant -------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(32, 32), (48, 64), (20, 50), (64, 24), (4, 4)])
def test_island_mask_is_a_static_ellipse_of_a_fifth_of_the_grid(shape):
    height, width = shape
    ds = make_grf(time=6, height=height, width=width, seed=1, mask="island")
    values = ds["field"].values
    land = np.isnan(values[0])
    np.testing.assert_array_equal(np.isnan(values), np.broadcast_to(land, values.shape))  # static
    np.testing.assert_array_equal(land, island_mask(height, width))
    assert land.sum() == round(0.2 * height * width)
    assert 0.15 <= land.mean() <= 0.25
    assert ds["field"].attrs["masked_fraction"] == pytest.approx(land.mean())
    # Centred at (0.4 H, 0.6 W) in cell-centre coordinates, inside the ellipse d <= ~1.
    rows, cols = np.nonzero(land)
    assert (rows + 0.5).mean() == pytest.approx(0.4 * height, abs=0.5)
    assert (cols + 0.5).mean() == pytest.approx(0.6 * width, abs=0.5)
    y = (np.arange(height) + 0.5 - 0.4 * height) / (0.2 * height)
    x = (np.arange(width) + 0.5 - 0.6 * width) / (0.32 * width)
    d = y[:, None] ** 2 + x[None, :] ** 2
    assert d[land].max() <= d[~land].min()  # the blob is exactly the innermost cells
    if min(shape) >= 20:
        assert 0.7 < d[land].max() < 1.3
        assert land[0].sum() == land[-1].sum() == land[:, 0].sum() == land[:, -1].sum() == 0


def test_masking_only_replaces_values_with_nan():
    plain = make_grf(time=40, height=16, width=24, seed=2)["field"].values
    masked = make_grf(time=40, height=16, width=24, seed=2, mask="island", missing_steps=5)[
        "field"
    ].values
    finite = np.isfinite(masked)
    assert finite.sum() == (16 * 24 - round(0.2 * 16 * 24)) * (40 - 5)  # 307 sea cells on 35 steps
    np.testing.assert_array_equal(masked[finite], plain[finite])
    assert np.isfinite(plain).all()


@pytest.mark.parametrize("time, count", [(100, 1), (100, 7), (12, 10), (365, 30)])
def test_missing_steps_are_whole_frames_spread_over_the_record(time, count):
    ds = make_grf(time=time, height=8, width=8, seed=3, missing_steps=count)
    values = ds["field"].values
    empty = np.isnan(values).all(axis=(1, 2))
    steps = np.flatnonzero(empty)
    assert len(steps) == count
    assert np.isfinite(values[~empty]).all()  # no other gaps
    assert steps[0] >= 1 and steps[-1] <= time - 2
    # One step in each of `count` equal strata of the steps 1 .. time-2.
    edges = 1 + np.arange(count + 1) * (time - 2) // count
    np.testing.assert_array_equal(np.searchsorted(edges, steps, side="right") - 1, np.arange(count))
    np.testing.assert_array_equal(ds["field"].attrs["missing_step_indices"], steps)
    assert ds["field"].attrs["missing_steps"] == count
    if count == time - 2:
        np.testing.assert_array_equal(steps, np.arange(1, time - 1))


def test_missing_steps_are_deterministic_per_seed():
    a = missing_step_indices(1000, 10, 4)
    np.testing.assert_array_equal(a, missing_step_indices(1000, 10, 4))
    assert not np.array_equal(a, missing_step_indices(1000, 10, 5))
    field = make_grf(time=1000, height=4, width=4, seed=4, missing_steps=10)["field"].values
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(field).all(axis=(1, 2))), a)
    assert missing_step_indices(50, 0, 4).size == 0


def test_default_has_no_missing_values():
    da = make_grf(time=10, height=8, width=8)["field"]
    assert np.isfinite(da.values).all()
    assert (
        da.attrs["mask"] == "none"
        and da.attrs["missing_steps"] == 0
        and da.attrs["masked_fraction"] == 0.0
    )
    assert "missing_step_indices" not in da.attrs
    assert MASKS == ("none", "island")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mask": "land"}, "'none', 'island'"),
        ({"mask": None}, "'none', 'island'"),
        ({"mask": "Island"}, "'none', 'island'"),
        ({"missing_steps": -1}, "missing_steps"),
        ({"missing_steps": 11, "time": 12}, "time - 2 = 10"),
        ({"missing_steps": 1, "time": 2}, "time - 2 = 0"),
        ({"missing_steps": 2.5}, "missing_steps"),
        ({"missing_steps": True}, "missing_steps"),
    ],
)
def test_bad_mask_arguments_raise(kwargs, message):
    with pytest.raises(StganError, match=message):
        make_grf(**kwargs)


def test_masked_netcdf_roundtrip_uses_fill_value(tmp_path):
    ds = make_grf(time=20, height=10, width=14, seed=6, mask="island", missing_steps=3)
    assert ds["field"].encoding["_FillValue"] == FILL_VALUE == np.float32(-9999.0)
    assert "mask='island', missing_steps=3" in ds.attrs["history"]
    path = tmp_path / "masked.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        np.testing.assert_array_equal(back["field"].values, ds["field"].values)  # NaN where NaN
        assert back["field"].dtype == np.float32
        assert back["field"].encoding["_FillValue"] == np.float32(-9999.0)
        assert back["field"].attrs["mask"] == "island" and back["field"].attrs["missing_steps"] == 3
        np.testing.assert_array_equal(
            back["field"].attrs["missing_step_indices"], ds["field"].attrs["missing_step_indices"]
        )
    with xr.open_dataset(path, mask_and_scale=False) as raw:  # on disk: -9999 marks the gaps
        stored = raw["field"].values
        assert raw["field"].attrs["_FillValue"] == np.float32(-9999.0)
        np.testing.assert_array_equal(stored == np.float32(-9999.0), np.isnan(ds["field"].values))
        assert not np.isnan(stored).any()
