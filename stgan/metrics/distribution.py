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
