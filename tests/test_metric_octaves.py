"""The ``octaves`` metric: a generated field whose power is 10 times the real one in one octave
of wavenumber only is exactly 10 dB off there and 0 elsewhere, while the headline distance
spreads it over every bin; the octave edges of any grid; the labelled metrics Dataset."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

import stgan
from stgan.metrics.entries.octaves import octave_edges
from stgan.metrics.registry import compare
from stgan.metrics.spectral import ring_radius


def _scaled_in_rings(x: np.ndarray, lo: int, hi: int, power: float) -> np.ndarray:
    """``x`` (…, H, W) with the power of its Fourier coefficients in rings lo ≤ k < hi times
    ``power``. A ring holds each coefficient with its conjugate partner, so the field stays
    real."""
    h, w = x.shape[-2:]
    ring = ring_radius(h, w, "index")  # on the fftshift-ed grid, as the RAPSD's rings
    gain = np.where((ring >= lo) & (ring < hi), math.sqrt(power), 1.0)
    spectrum = np.fft.fftshift(np.fft.fft2(x), axes=(-2, -1)) * gain
    out = np.fft.ifft2(np.fft.ifftshift(spectrum, axes=(-2, -1)))
    assert np.abs(out.imag).max() < 1e-12
    return out.real


@pytest.fixture(scope="module")
def real() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(6, 4, 16, 16))


@pytest.mark.known_answer("metric", "octaves")
def test_ten_times_the_power_in_one_octave_is_ten_db_there_only(real):
    # 16 x 16: bins 0 … 7, octaves k in [1, 2), [2, 4), [4, 8).
    m = compare(real, _scaled_in_rings(real, 2, 4, 10.0), metrics=["octaves", "spectrum"])
    assert m["rapsd_octave_edges"] == [1, 2, 4, 8]
    np.testing.assert_allclose(m["rapsd_lsd_db_octaves"], [0.0, 10.0, 0.0], atol=1e-9)
    assert m["rapsd_lsd_db_worst_octave"] == pytest.approx(10.0, rel=1e-12)
    assert m["rapsd_lsd_db_largest_scale"] == pytest.approx(0.0, abs=1e-9)
    # The headline mean over the 7 linear bins k ≥ 1: 2 bins 10 dB off, 10·sqrt(2/7) = 5.35.
    assert m["rapsd_lsd_db"] == pytest.approx(10 * math.sqrt(2 / 7), rel=1e-12)
    # A deficit at the largest scale (k = 1, a tenth of the power) hides in the headline,
    # 10 / sqrt(7) = 3.78 dB, but octave 1 shows all of it.
    m = compare(real, _scaled_in_rings(real, 1, 2, 0.1), metrics=["octaves", "spectrum"])
    assert m["rapsd_lsd_db_largest_scale"] == pytest.approx(10.0, rel=1e-12)
    assert m["rapsd_lsd_db_worst_octave"] == pytest.approx(10.0, rel=1e-12)
    assert m["rapsd_lsd_db"] == pytest.approx(10 / math.sqrt(7), rel=1e-12)


def test_octave_edges_end_at_nyquist_on_any_grid():
    # 12 x 20: L = 20, bins 0 … 9; the last octave is [8, 10), two bins.
    assert octave_edges(10).tolist() == [1, 2, 4, 8, 10]
    assert octave_edges(2).tolist() == [1, 2]  # a 3 x 3 grid has bins 0, 1
    assert octave_edges(1).tolist() == []  # no spatial scale at all
    x = np.random.default_rng(1).normal(size=(3, 2, 12, 20))
    m = compare(x, _scaled_in_rings(x, 8, 10, 100.0), metrics=["octaves"])
    np.testing.assert_allclose(m["rapsd_lsd_db_octaves"], [0, 0, 0, 20.0], atol=1e-9)


def test_metrics_dataset_lays_the_octaves_on_their_lower_edge(real):
    def dataset(x, dims):
        return xr.Dataset({"field": (dims, x, {"units": "K"})})

    gen = _scaled_in_rings(real, 4, 8, 10.0)
    ds = stgan.evaluate(
        dataset(real.reshape(-1, 16, 16), ("time", "y", "x")),
        dataset(gen, ("sample", "time", "y", "x")),
        metrics=["octaves"],
    ).metrics
    curve = ds["rapsd_lsd_db_octaves"].sel(variable="field")
    assert curve["octave"].values.tolist() == [1, 2, 4]
    assert curve.attrs["units"] == "dB" and curve.attrs["metric"] == "octaves"
    np.testing.assert_allclose(curve.values, [0.0, 0.0, 10.0], atol=1e-6)  # read as float32
    assert "rapsd_octave_edges" not in ds  # a coordinate, not a metric
