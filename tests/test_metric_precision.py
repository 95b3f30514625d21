"""float32 input to rapsd and temporal_acf is computed in float32: known answers from the
float64 references (pysteps, statsmodels) on the same values hold to 1e-5 relative, also for
a steep spectrum six decades deep and for series with a large mean (kelvin)."""

from __future__ import annotations

import numpy as np
from pysteps.utils import spectral as pysteps_spectral
from statsmodels.tsa import stattools

from stgan.metrics import rapsd, temporal_acf


def test_rapsd_float32_holds_to_1e5_on_a_steep_spectrum():
    rng = np.random.default_rng(0)
    k = np.hypot(np.fft.fftfreq(64)[:, None], np.fft.fftfreq(64)[None])
    k[0, 0] = 1.0
    # Power ∝ k^-4 around a mean of 5: the last bins hold ~1e-6 of the first.
    noise = np.fft.fft2(rng.standard_normal((6, 64, 64)))
    fields = (np.real(np.fft.ifft2(noise * k**-2)) + 5).astype(np.float32)
    # Reference: pysteps.utils.spectral.rapsd per field, float64, on the float32 values.
    ref = np.stack(
        [pysteps_spectral.rapsd(f, fft_method=np.fft) for f in fields.astype(np.float64)]
    )
    assert ref.max() / ref.min() > 5e5
    out = rapsd(fields)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=0)


def test_temporal_acf_float32_holds_to_1e5_with_a_large_mean():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((600, 6, 6))
    x = np.zeros_like(noise)
    for t in range(1, len(noise)):
        x[t] = 0.7 * x[t - 1] + noise[t]
    cube = (x[100:] + 280).astype(np.float32)  # AR(1) anomalies on 280 K
    series = cube.reshape(500, -1).T.astype(np.float64)
    # Reference: statsmodels.tsa.stattools.acf per point (direct sums, float64), averaged.
    ref = np.mean([stattools.acf(s, nlags=12, fft=False) for s in series], axis=0)
    out = temporal_acf(cube, 12)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=0)
