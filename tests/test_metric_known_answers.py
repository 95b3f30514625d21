"""Each registered metric, called through the registry, on inputs whose answer is known by hand.

A generated set that is an exact transform of the real one (a scale, a shift, a copy) fixes
every metric's value: a power scales by the square of the amplitude, an ACF ignores scale and
shift, a Wasserstein-1 distance of a shifted set is the shift. The metric table of
``tests/test_known_answers.py`` points here, so a new metric without such a test fails CI.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from stgan.metrics.base import Inputs
from stgan.metrics.registry import METRICS


def _compute(key: str, real: np.ndarray, generated: np.ndarray, **options) -> dict:
    return METRICS.get(key)().compute(Inputs(real=real, generated=generated, **options))


@pytest.fixture(scope="module")
def real() -> np.ndarray:
    # (windows, T, H, W) float64 noise: every value distinct, so no ties in any ranking.
    return np.random.default_rng(0).normal(size=(12, 6, 16, 16))


@pytest.mark.known_answer("metric", "spectrum")
def test_spectrum_of_twice_the_field_is_six_db_away(real):
    # Doubling the amplitude multiplies every bin's power by 4: 10·log10(4) = 6.0206 dB in
    # every bin, so the root-mean-square over bins is that too; the slopes are unchanged.
    m = _compute("spectrum", real, 2 * real)
    assert m["rapsd_lsd_db"] == pytest.approx(10 * math.log10(4), rel=1e-9)
    assert m["spectral_slope_generated"] == pytest.approx(m["spectral_slope_real"], abs=1e-9)
    assert _compute("spectrum", real, real)["rapsd_lsd_db"] == 0.0


@pytest.mark.known_answer("metric", "tpsd")
def test_tpsd_of_twice_the_field_is_six_db_away(real):
    m = _compute("tpsd", real, 2 * real)  # Welch's PSD is quadratic in the values too
    assert m["tpsd_lsd_db"] == pytest.approx(10 * math.log10(4), rel=1e-9)


@pytest.mark.known_answer("metric", "acf")
def test_acf_of_two_sign_patterns_by_hand():
    # T = 4 at every point. Real: (1, −1, 1, −1), mean 0, Σx² = 4:
    #   ρ1 = (−1 −1 −1)/4 = −3/4, ρ2 = (1 + 1)/4 = 1/2, ρ3 = −1/4.
    # Generated: (1, 1, −1, −1): ρ1 = (1 − 1 + 1)/4 = 1/4, ρ2 = (−1 − 1)/4 = −1/2, ρ3 = −1/4.
    # Differences over lags 1-3: 1, −1, 0 → RMSE = sqrt(2/3). Integral time scales stop at
    # the first ρ ≤ 0: real 1 (ρ1 < 0), generated 1 + 1/4.
    real = np.broadcast_to(np.array([1.0, -1, 1, -1])[None, :, None, None], (3, 4, 4, 4))
    gen = np.broadcast_to(np.array([1.0, 1, -1, -1])[None, :, None, None], (3, 4, 4, 4))
    m = _compute("acf", real, 3 * gen + 7, max_lag=3)  # scale and shift do not matter
    assert m["acf_real"] == pytest.approx([1, -0.75, 0.5, -0.25])
    assert m["acf_generated"] == pytest.approx([1, 0.25, -0.5, -0.25])
    assert m["acf_rmse"] == pytest.approx(math.sqrt(2 / 3))
    assert m["integral_real"] == pytest.approx(1.0)
    assert m["integral_generated"] == pytest.approx(1.25)


@pytest.mark.known_answer("metric", "distribution")
def test_distribution_of_a_shifted_field_is_the_shift(real):
    # W1 between a set and the set shifted by c is |c| (the monotone coupling moves every
    # value by c); every quantile moves by c.
    m = _compute("distribution", real, real + 0.5)
    assert m["w1"] == pytest.approx(0.5, rel=1e-9)
    for key in ("q01", "q50", "q99", "q99.9"):
        assert m[key] == pytest.approx(0.5, rel=1e-9)
    same = _compute("distribution", real, real.copy())
    assert same["w1"] == 0.0 and same["ks"] == 0.0


@pytest.mark.known_answer("metric", "gridpoint")
def test_gridpoint_distances_of_a_shifted_field_are_the_shift(real):
    m = _compute("gridpoint", real, real - 0.25)
    assert m["w1_gridpoint"] == pytest.approx(0.25, rel=1e-9)
    assert _compute("gridpoint", real, real.copy())["ks_gridpoint"] == 0.0


@pytest.mark.known_answer("metric", "increments")
def test_increments_ignore_a_shift_and_double_with_the_field(real):
    shifted = _compute("increments", real, real + 3.0)
    assert shifted["w1_gradient"] == pytest.approx(0.0, abs=1e-12)
    assert shifted["w1_tdiff"] == pytest.approx(0.0, abs=1e-12)
    # W1(a, 2a) = mean|a| for the monotone map a → 2a; a field of zeros has zero increments,
    # so W1(a, 0) = mean|a| too.
    doubled = _compute("increments", real, 2 * real)
    flat = _compute("increments", real, np.zeros_like(real))
    assert doubled["w1_gradient"] == pytest.approx(flat["w1_gradient"], rel=1e-9)
    mean_abs_tdiff = np.abs(np.diff(real, axis=1)).mean()
    assert doubled["w1_tdiff"] == pytest.approx(mean_abs_tdiff, rel=1e-9)


@pytest.mark.known_answer("metric", "diversity")
def test_diversity_ratio_scales_with_the_field_and_is_zero_for_copies(real):
    assert _compute("diversity", real, 2 * real)["diversity_ratio"] == pytest.approx(2.0)
    copies = np.broadcast_to(real[:1], real.shape)
    assert _compute("diversity", real, copies)["diversity_ratio"] == 0.0


@pytest.mark.known_answer("metric", "prdc")
def test_prdc_of_the_real_set_itself(real):
    # Generated = real: every window lies in its own k-NN ball (precision, recall and coverage
    # 1). A ball's radius is the distance to its centre's k-th neighbour and balls are open
    # (distance < radius, as the prdc package counts), so each ball holds its centre and its
    # k − 1 nearest neighbours (no ties in continuous noise): k windows per ball, and
    # density = (1 / kN) · N·k = 1 (Naeem et al. 2020, eq. 3).
    m = _compute("prdc", real, real.copy())
    assert m["precision"] == m["recall"] == m["coverage"] == 1.0
    assert m["density"] == pytest.approx(1.0)


@pytest.mark.known_answer("metric", "memorisation")
def test_memorisation_of_copied_training_windows(real):
    # A generator that returns its training windows is at distance 0 from them: ratio 0, and
    # every generated window is nearer than any held-out one.
    train, heldout = real[:6], real[6:]
    m = _compute("memorisation", heldout, train.copy(), train=train)
    assert m["nn_distance_generated"] == 0.0
    assert m["memorisation_ratio"] == 0.0 and m["copy_fraction"] == 1.0
    assert m["nn_distance_heldout"] > 0.5  # unit-variance noise windows are far apart


@pytest.mark.known_answer("metric", "maps")
def test_map_errors_of_a_shift_and_a_stretch_in_local_std_units(real):
    mean, std = real.mean(axis=(0, 1)), real.std(axis=(0, 1))
    # Shifted by half the local std: the mean map is 0.5 std off everywhere, the std map exact.
    m = _compute("maps", real, real + 0.5 * std)
    assert m["mean_map_error"] == pytest.approx(0.5, rel=1e-12)
    assert m["std_map_error"] == pytest.approx(0.0, abs=1e-12)
    # Stretched about the local mean by 3: the std map is 2 std off, the mean map exact.
    m = _compute("maps", real, mean + 3 * (real - mean))
    assert m["mean_map_error"] == pytest.approx(0.0, abs=1e-12)
    assert m["std_map_error"] == pytest.approx(2.0, rel=1e-12)
    # The area weights weigh the cells: one cell off by 4 std with weight 1 of 4 in total.
    shifted = real.copy()
    shifted[..., 0, 0] += 4 * std[0, 0]
    weights = np.full((16, 16), 3 / 255)
    weights[0, 0] = 1.0
    m = _compute("maps", real, shifted, weights=weights)
    assert m["mean_map_error"] == pytest.approx(4 * 1 / 4, rel=1e-9)
