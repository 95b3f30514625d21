"""Distances between the value distributions of two samples."""

from __future__ import annotations

import numpy as np

from stgan.errors import StganError
from stgan.metrics.spectral import Array, _as_float64_numpy


def _pooled_sorted(x: Array, name: str) -> np.ndarray:
    values = _as_float64_numpy(x).ravel()
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise StganError(f"{name} has no values left after dropping NaNs")
    if np.isinf(values).any():
        raise StganError(f"{name} contains inf; the Wasserstein distance would be undefined")
    return np.sort(values)


def wasserstein1(a: Array, b: Array) -> float:
    """1-D Wasserstein-1 (earth mover's) distance between the pooled values of ``a`` and ``b``.

    ``W1 = integral |F_a(v) - F_b(v)| dv`` with ``F_a``, ``F_b`` the empirical CDFs of all
    values of each array (any shapes, flattened; NaNs dropped). The two samples may have
    different sizes: the integral runs exactly over the merged, sorted values, between which
    both CDFs are constant. Equals ``scipy.stats.wasserstein_distance(a.ravel(), b.ravel())``.

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        Samples in the same units; torch inputs are detached and computed in float64.

    Returns
    -------
    float
        The distance, in the units of the values.

    Raises
    ------
    StganError
        If a sample is empty after dropping NaNs or holds an infinite value.
    """
    a_sorted = _pooled_sorted(a, "a")
    b_sorted = _pooled_sorted(b, "b")
    merged = np.sort(np.concatenate([a_sorted, b_sorted]))
    # On [merged[i], merged[i+1]) each CDF is the fraction of its values <= merged[i].
    cdf_a = np.searchsorted(a_sorted, merged[:-1], side="right") / a_sorted.size
    cdf_b = np.searchsorted(b_sorted, merged[:-1], side="right") / b_sorted.size
    return float(np.sum(np.abs(cdf_a - cdf_b) * np.diff(merged)))


def ks_statistic(a: Array, b: Array) -> float:
    """Two-sample Kolmogorov–Smirnov statistic ``max_v |F_a(v) − F_b(v)|`` of the pooled values.

    Equals ``scipy.stats.ks_2samp(a.ravel(), b.ravel()).statistic`` (NaNs dropped). Unitless,
    in [0, 1].
    """
    a_sorted = _pooled_sorted(a, "a")
    b_sorted = _pooled_sorted(b, "b")
    merged = np.concatenate([a_sorted, b_sorted])
    cdf_a = np.searchsorted(a_sorted, merged, side="right") / a_sorted.size
    cdf_b = np.searchsorted(b_sorted, merged, side="right") / b_sorted.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


QUANTILES = (0.01, 0.5, 0.99, 0.999)


def quantile_errors(real: Array, generated: Array, q: tuple[float, ...] = QUANTILES) -> dict[str, float]:
    """``generated`` minus ``real`` quantiles of the pooled values, keyed ``q01``, ``q50``, ``q99``, ``q99.9``.

    Signed, in the units of the values: a negative ``q99.9`` error means the generator's
    extremes are too weak. Linear interpolation between order statistics (numpy's default).
    """
    r = _pooled_sorted(real, "real")
    g = _pooled_sorted(generated, "generated")
    return {_quantile_key(p): float(np.quantile(g, p) - np.quantile(r, p)) for p in q}


def _quantile_key(p: float) -> str:
    """0.01 → 'q01', 0.5 → 'q50', 0.999 → 'q99.9'."""
    percent = f"{100 * p:g}"
    return "q" + (percent.zfill(2) if "." not in percent else percent)


def pairwise_distance_ratio(generated: Array, real: Array) -> float:
    """Mean pairwise RMS distance among generated samples ÷ the same among real samples.

    Samples are the first axis (each flattened, NaNs set to 0 in both sets alike). About 1 for
    a generator as diverse as the data; near 0 for mode collapse (all samples alike).
    """

    def mean_pairwise(x: np.ndarray) -> float:
        flat = np.nan_to_num(_as_float64_numpy(x).reshape(len(x), -1))
        # Distances do not change under a shift; centring avoids cancellation in |a|²+|b|²−2a·b.
        flat = flat - flat.mean(axis=0)
        if len(flat) < 2:
            raise StganError("the diversity ratio needs at least two samples in each set")
        sq = (flat**2).sum(1)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * flat @ flat.T, 0) / flat.shape[1]
        iu = np.triu_indices(len(flat), 1)
        return float(np.sqrt(d2[iu]).mean())

    return mean_pairwise(generated) / mean_pairwise(real)


def cross_channel_correlation_error(real: Array, generated: Array) -> float:
    """RMS difference of the off-diagonal channel correlation matrices (pooled values).

    ``real`` and ``generated`` are (N, C, ...) with C ≥ 2 variables on one grid; each
    channel's values are pooled over samples, time and space (NaN cells dropped jointly).
    Unitless, in [0, 2].
    """

    def corr(x: Array) -> np.ndarray:
        values = np.moveaxis(_as_float64_numpy(x), 1, 0).reshape(_as_float64_numpy(x).shape[1], -1)
        values = values[:, np.isfinite(values).all(axis=0)]
        return np.corrcoef(values)

    c_real, c_gen = corr(real), corr(generated)
    if c_real.ndim < 2 or c_real.shape[0] < 2:
        raise StganError("cross-channel correlation needs at least two variables")
    off = ~np.eye(c_real.shape[0], dtype=bool)
    return float(np.sqrt(np.mean((c_real[off] - c_gen[off]) ** 2)))
