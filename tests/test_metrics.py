"""Tests for stgan.metrics: reference implementations (pysteps, statsmodels, scipy) and known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stgan.errors import StganError
from stgan.metrics import (
    acf_rmse,
    log_spectral_distance,
    mean_rapsd,
    rapsd,
    temporal_acf,
    wasserstein1,
)

pysteps_spectral = pytest.importorskip("pysteps.utils.spectral")
stattools = pytest.importorskip("statsmodels.tsa.stattools")
scipy_stats = pytest.importorskip("scipy.stats")

# Square, non-square, odd; the last is large enough for the index_add ring sums (above the
# size where the dense ring matrix is used).
SIZES = [(32, 32), (24, 40), (31, 31), (17, 29), (150, 290)]


def ref_rapsd(field: np.ndarray, **kwargs):
    # Reference: pysteps.utils.spectral.rapsd; fft_method=np.fft makes it transform the field
    # (its default None would treat the input as an already shifted spectrum).
    return pysteps_spectral.rapsd(field, fft_method=np.fft, **kwargs)


def ring_counts(h: int, w: int, n_bins: int) -> np.ndarray:
    """Cells per ring, from the definition (centred grid, rounded radius)."""
    yc = np.arange(h)[:, None] - h // 2
    xc = np.arange(w)[None, :] - w // 2
    ring = np.rint(np.hypot(yc, xc)).astype(int)
    return np.bincount(ring.ravel())[:n_bins]


# --------------------------------------------------------------------------- rapsd


@pytest.mark.parametrize("shape", SIZES)
def test_rapsd_matches_pysteps(shape):
    field = np.random.default_rng(1).standard_normal(shape)
    spectrum, freq = rapsd(field, return_freq=True)
    ref_spectrum, ref_freq = ref_rapsd(field, return_freq=True)
    assert spectrum.shape == ref_spectrum.shape == (max(shape) // 2 + max(shape) % 2,)
    np.testing.assert_allclose(spectrum, ref_spectrum, rtol=1e-6, atol=0)
    np.testing.assert_allclose(freq, ref_freq, rtol=0, atol=0)
    np.testing.assert_allclose(rapsd(field), ref_spectrum, rtol=1e-6, atol=0)


@pytest.mark.parametrize("shape", [(32, 32), (17, 29)])
def test_rapsd_batch_equals_per_frame(shape):
    fields = np.random.default_rng(2).standard_normal((5, 3, *shape))
    batched = rapsd(fields)
    assert batched.shape == (5, 3, max(shape) // 2 + max(shape) % 2)
    for i in range(5):
        for j in range(3):
            np.testing.assert_allclose(batched[i, j], ref_rapsd(fields[i, j]), rtol=1e-6, atol=0)


def test_rapsd_keeps_kind_and_dtype():
    fields = np.random.default_rng(3).standard_normal((4, 24, 40))
    out_np32 = rapsd(fields.astype(np.float32))
    assert isinstance(out_np32, np.ndarray) and out_np32.dtype == np.float32
    out_np64, freq_np = rapsd(fields, return_freq=True)
    assert isinstance(out_np64, np.ndarray) and out_np64.dtype == np.float64
    assert isinstance(freq_np, np.ndarray)

    out_t, freq_t = rapsd(torch.from_numpy(fields), return_freq=True)
    assert isinstance(out_t, torch.Tensor) and out_t.dtype == torch.float64
    assert isinstance(freq_t, torch.Tensor)
    np.testing.assert_allclose(out_t.numpy(), out_np64, rtol=1e-12, atol=0)
    out_t32 = rapsd(torch.from_numpy(fields).float())
    assert out_t32.dtype == torch.float32
    # float32 input: the FFT still runs in float64, so only the float32 ring means differ.
    np.testing.assert_allclose(
        out_t32.numpy(), rapsd(fields.astype(np.float32).astype(np.float64)), rtol=1e-6, atol=0
    )


@pytest.mark.parametrize("shape", [(16, 16), (150, 290)])
def test_rapsd_is_differentiable(shape):
    x = torch.randn(2, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x.requires_grad_(True)
    rapsd(x)[:, 0].sum().backward()
    # Bin 0 is the single zero-frequency cell, (sum x)^2 / (HW), whose gradient is
    # 2 sum(x) / (HW) in every cell of that field.
    h, w = shape
    expected = (2 * x.detach().sum((-2, -1)) / (h * w))[:, None, None].expand_as(x)
    torch.testing.assert_close(x.grad, expected, rtol=1e-9, atol=1e-12)


def test_rapsd_normalize_sums_to_one():
    fields = np.random.default_rng(4).standard_normal((3, 31, 31))
    spectra = rapsd(fields, normalize=True)
    np.testing.assert_allclose(spectra.sum(-1), np.ones(3), rtol=1e-12)
    # Reference: pysteps normalize=True divides by the sum as well.
    np.testing.assert_allclose(spectra[0], ref_rapsd(fields[0], normalize=True), rtol=1e-6)


def test_rapsd_white_noise_is_flat():
    # Unit-variance white noise has expected power 1 per cell with the 1/(H*W) normalisation.
    fields = np.random.default_rng(5).standard_normal((400, 32, 32))
    spectrum = rapsd(fields).mean(0)
    tail = spectrum[1:]
    assert np.all(np.abs(tail / tail.mean() - 1) < 0.10)
    assert abs(tail.mean() - 1.0) < 0.02


def test_rapsd_sinusoid_peaks_at_its_wavenumber():
    h, w, k0 = 32, 32, 5
    x = np.cos(2 * np.pi * k0 * np.arange(w) / w)[None, :].repeat(h, axis=0)
    spectrum = rapsd(x)
    assert int(np.argmax(spectrum)) == k0
    # All power sits in the two cells (0, +-k0): |F|^2 / (HW) = (HW/2)^2 / (HW) = HW/4 each,
    # so the ring-5 mean is 2 * HW/4 over the ring's cell count; every other bin is ~0.
    count = ring_counts(h, w, len(spectrum))[k0]
    assert spectrum[k0] == pytest.approx(2 * (h * w / 4) / count, rel=1e-12)
    assert np.max(np.delete(spectrum, k0)) < 1e-20 * spectrum[k0]


@pytest.mark.parametrize("shape", [(32, 32), (17, 29)])
def test_parseval(shape):
    h, w = shape
    x = np.random.default_rng(6).standard_normal(shape)
    power = np.abs(np.fft.fftshift(np.fft.fft2(x))) ** 2 / (h * w)
    # Parseval with this normalisation: sum of the power grid = sum of x^2.
    assert power.sum() == pytest.approx(np.sum(x**2), rel=1e-12)
    # rapsd's ring means times ring sizes give back the power in the kept rings, and the
    # corners beyond the last bin hold the rest.
    spectrum = rapsd(x)
    counts = ring_counts(h, w, len(spectrum))
    yc = np.arange(h)[:, None] - h // 2
    xc = np.arange(w)[None, :] - w // 2
    kept = np.rint(np.hypot(yc, xc)) < len(spectrum)
    assert np.sum(spectrum * counts) == pytest.approx(power[kept].sum(), rel=1e-12)
    # A constant field c: everything is in bin 0, which equals c^2 * H * W = sum of x^2.
    assert rapsd(np.full(shape, 3.0))[0] == pytest.approx(9.0 * h * w, rel=1e-12)


def test_mean_rapsd_averages_linear_power():
    fields = np.random.default_rng(7).standard_normal((2, 3, 24, 40))
    spectrum, freq = mean_rapsd(fields)
    ref = np.mean([ref_rapsd(f) for f in fields.reshape(-1, 24, 40)], axis=0)
    np.testing.assert_allclose(spectrum, ref, rtol=1e-6)
    np.testing.assert_allclose(freq, np.arange(20) / 40)


def test_rapsd_rejects_bad_input():
    with pytest.raises(StganError):
        rapsd(np.zeros(8))
    bad = np.zeros((8, 8))
    bad[2, 3] = np.nan
    with pytest.raises(StganError):
        rapsd(bad)


# --------------------------------------------------------------------------- spectral distance


def test_log_spectral_distance_known_answers():
    p = np.array([4.0, 2.0, 1.0, 0.5, 0.01])
    assert log_spectral_distance(p, p) == 0.0
    # 10*log10(10 p) - 10*log10(p) = 10 dB in every bin.
    assert log_spectral_distance(10 * p, p) == pytest.approx(10.0, abs=1e-12)
    assert log_spectral_distance(torch.tensor(p), torch.tensor(p / 10)) == pytest.approx(10.0)
    # One bin off by 100x (20 dB) out of 4: sqrt(20^2 / 4) = 10 dB.
    q = np.array([1.0, 1.0, 1.0, 1.0])
    assert log_spectral_distance(q, np.array([100.0, 1.0, 1.0, 1.0])) == pytest.approx(10.0)
    with pytest.raises(StganError):
        log_spectral_distance(p, np.zeros_like(p))
    with pytest.raises(StganError):
        log_spectral_distance(p, p[:3])


# --------------------------------------------------------------------------- temporal ACF


def ref_mean_acf(series_by_point: np.ndarray, nlags: int, adjusted: bool) -> np.ndarray:
    # Reference: statsmodels.tsa.stattools.acf per point (direct sums), then averaged.
    return np.mean(
        [stattools.acf(s, nlags=nlags, adjusted=adjusted, fft=False) for s in series_by_point],
        axis=0,
    )


@pytest.mark.parametrize("adjusted", [False, True])
def test_temporal_acf_matches_statsmodels(adjusted):
    x = np.random.default_rng(8).standard_normal((2, 50, 4, 5)).cumsum(axis=1)  # (B, T, H, W)
    out = temporal_acf(x, 10, adjusted=adjusted)
    assert out.shape == (2, 11)
    for b in range(2):
        points = x[b].reshape(50, -1).T
        np.testing.assert_allclose(
            out[b], ref_mean_acf(points, 10, adjusted), rtol=1e-6, atol=1e-12
        )


def test_temporal_acf_dim_and_kind():
    x = np.random.default_rng(9).standard_normal((3, 4, 40))  # time last
    out = temporal_acf(torch.from_numpy(x), 5, dim=-1)  # no axes after time: one ACF per series
    assert isinstance(out, torch.Tensor) and out.shape == (3, 4, 6)
    ref = stattools.acf(x[1, 2], nlags=5, fft=False)
    np.testing.assert_allclose(out[1, 2].numpy(), ref, rtol=1e-6, atol=1e-12)
    out32 = temporal_acf(x.astype(np.float32), 5, dim=-1)
    assert isinstance(out32, np.ndarray) and out32.dtype == np.float32


def test_temporal_acf_skips_constant_points():
    x = np.random.default_rng(10).standard_normal((30, 2, 3))
    x[:, 0, 0] = 0.1  # zero variance: no ACF, left out of the average
    out = temporal_acf(x, 4)
    points = x.reshape(30, -1).T[1:]
    np.testing.assert_allclose(out, ref_mean_acf(points, 4, False), rtol=1e-6, atol=1e-12)
    assert np.isnan(temporal_acf(np.ones((10, 2, 2)), 3)).all()


def test_temporal_acf_ar1_known_answer():
    phi, n = 0.7, 4000
    rng = np.random.default_rng(11)
    noise = rng.standard_normal((n + 200, 8, 8))
    x = np.zeros_like(noise)
    for t in range(1, n + 200):
        x[t] = phi * x[t - 1] + noise[t]
    acf = temporal_acf(x[200:], 5)  # burn-in dropped
    # AR(1): rho_k = phi^k.
    np.testing.assert_allclose(acf, phi ** np.arange(6), rtol=0, atol=0.03)


def test_temporal_acf_nlags_too_large():
    with pytest.raises(StganError, match=r"nlags=12.*T=12"):
        temporal_acf(np.zeros((12, 2, 2)), 12)


def test_acf_rmse_known_answer():
    a = np.array([1.0, 0.5, 0.25])
    b = np.array([1.0, 0.5, 0.75])
    # Lags 1..2 only: sqrt((0^2 + 0.5^2) / 2).
    assert acf_rmse(a, b) == pytest.approx(np.sqrt(0.125), rel=1e-12)
    assert acf_rmse(torch.tensor(a), torch.tensor(a)) == 0.0
    with pytest.raises(StganError):
        acf_rmse(a, b[:2])


# --------------------------------------------------------------------------- distribution


@pytest.mark.parametrize(
    ("shape_a", "shape_b"), [((1000,), (1000,)), ((7, 13), (50,)), ((3, 4, 5), (2, 211))]
)
def test_wasserstein1_matches_scipy(shape_a, shape_b):
    rng = np.random.default_rng(12)
    a = rng.standard_normal(shape_a)
    b = rng.gamma(2.0, 1.0, shape_b)
    # Reference: scipy.stats.wasserstein_distance on the flattened samples.
    ref = scipy_stats.wasserstein_distance(a.ravel(), b.ravel())
    assert wasserstein1(a, b) == pytest.approx(ref, abs=1e-9)
    assert wasserstein1(torch.from_numpy(a), torch.from_numpy(b)) == pytest.approx(ref, abs=1e-9)


def test_wasserstein1_drops_nans_and_known_answer():
    a = np.array([0.0, np.nan, 1.0])
    b = np.array([[2.0, np.nan], [3.0, np.nan]])
    # Shifting {0, 1} by 2 moves every unit of mass a distance 2.
    assert wasserstein1(a, b) == pytest.approx(2.0, abs=1e-12)
    assert wasserstein1(a, a) == 0.0
    with pytest.raises(StganError):
        wasserstein1(np.array([np.nan]), b)
