"""Distances between the value distributions of two samples: pooled, per grid point, and of
spatial gradients and temporal differences.

Weights (optional everywhere) are per-value weights broadcast to the array's shape, e.g. the
cos-latitude area weights of :func:`stgan.metrics.weights.area_weights` shaped (H, W): a
value then counts in proportion to the area of its cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import xarray as xr

from stgan.errors import StganError
from stgan.metrics.spectral import Array, _as_float64_numpy


def _pooled_sorted(
    x: Array, name: str, weights: Array | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted finite values of ``x`` and their cumulative weight fractions (0 first, 1 last)."""
    values = _as_float64_numpy(x)
    w = (
        np.ones_like(values)
        if weights is None
        else np.broadcast_to(_as_float64_numpy(weights), values.shape)
    )
    values, w = values.ravel(), w.ravel()
    keep = ~np.isnan(values)
    values, w = values[keep], w[keep]
    if values.size == 0:
        raise StganError(f"{name} has no values left after dropping NaNs")
    if np.isinf(values).any():
        raise StganError(f"{name} contains inf; its distribution distances would be undefined")
    if (w < 0).any() or not w.sum() > 0:
        raise StganError(f"weights of {name} must be non-negative with a positive sum")
    order = np.argsort(values, kind="stable")
    cumulative = np.concatenate([[0.0], np.cumsum(w[order])])
    return values[order], cumulative / cumulative[-1]


def _cdf(sorted_values: np.ndarray, cumulative: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Empirical (weighted) CDF ``P(X <= at)``."""
    return cumulative[np.searchsorted(sorted_values, at, side="right")]


def wasserstein1(
    a: Array,
    b: Array,
    *,
    a_weights: Array | None = None,
    b_weights: Array | None = None,
    keep: str | Sequence[str] = (),
) -> float | xr.DataArray:
    """1-D Wasserstein-1 (earth mover's) distance between the pooled values of ``a`` and ``b``.

    ``W1 = integral |F_a(v) - F_b(v)| dv`` with ``F_a``, ``F_b`` the empirical (optionally
    weighted) CDFs of all values of each array (any shapes, flattened; NaNs dropped). The two
    samples may have different sizes: the integral runs exactly over the merged, sorted values,
    between which both CDFs are constant. Equals ``scipy.stats.wasserstein_distance(a.ravel(),
    b.ravel(), u_weights, v_weights)``.

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        Samples in the same units; torch inputs are detached and computed in float64.
    a_weights, b_weights : array-like, optional
        Non-negative weights broadcastable to ``a`` / ``b`` (e.g. area weights (H, W)); for
        DataArrays, DataArrays matched by dimension name.
    keep : str or sequence of str
        DataArrays only: dimensions both share that are kept (one distance per index) rather
        than pooled; by default every value is pooled.

    Returns
    -------
    float
        The distance, in the units of the values. Two DataArrays give a DataArray of dims
        ``keep`` (0-d by default), see :func:`stgan.metrics.named_distribution.wasserstein1`.

    Raises
    ------
    StganError
        If a sample is empty after dropping NaNs or holds an infinite value.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from stgan.metrics import wasserstein1
    >>> real = xr.DataArray(np.zeros((2, 5, 4)), dims=("level", "time", "x"),
    ...                     coords={"level": [850, 500]}, attrs={"units": "K"})
    >>> gen = real + xr.DataArray([1.0, 3.0], dims="level", coords={"level": [850, 500]})
    >>> wasserstein1(real, gen, keep="level").values.tolist()
    [1.0, 3.0]
    """
    return _two_samples("wasserstein1", _w1, a, b, a_weights, b_weights, keep)


def _w1(a_sorted: np.ndarray, a_cum: np.ndarray, b_sorted: np.ndarray, b_cum: np.ndarray) -> float:
    """W1 of two sorted samples, each with its CDF at its values (from :func:`_pooled_sorted`)."""
    merged = np.sort(np.concatenate([a_sorted, b_sorted]))
    # On [merged[i], merged[i+1]) each CDF is the weight fraction of its values <= merged[i].
    gap = np.abs(_cdf(a_sorted, a_cum, merged[:-1]) - _cdf(b_sorted, b_cum, merged[:-1]))
    return float(np.sum(gap * np.diff(merged)))


def ks_statistic(
    a: Array,
    b: Array,
    *,
    a_weights: Array | None = None,
    b_weights: Array | None = None,
    keep: str | Sequence[str] = (),
) -> float | xr.DataArray:
    """Two-sample Kolmogorov–Smirnov statistic ``max_v |F_a(v) − F_b(v)|`` of the pooled values.

    Equals ``scipy.stats.ks_2samp(a.ravel(), b.ravel()).statistic`` (NaNs dropped); with
    weights, the same statistic of the weighted empirical CDFs (integer weights act as repeated
    values). Unitless, in [0, 1]. Two DataArrays give a DataArray of dims ``keep``, pooling
    the values over every other dimension, as :func:`wasserstein1` does.
    """
    return _two_samples("ks_statistic", _ks, a, b, a_weights, b_weights, keep)


def _ks(a_sorted: np.ndarray, a_cum: np.ndarray, b_sorted: np.ndarray, b_cum: np.ndarray) -> float:
    """KS statistic of two sorted samples with their CDFs: the largest gap is at a value."""
    merged = np.concatenate([a_sorted, b_sorted])
    return float(np.max(np.abs(_cdf(a_sorted, a_cum, merged) - _cdf(b_sorted, b_cum, merged))))


def _two_samples(
    name: str,
    score: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], float],
    a: Array,
    b: Array,
    a_weights: Array | None,
    b_weights: Array | None,
    keep: str | Sequence[str],
) -> float | xr.DataArray:
    """``score`` of the two pooled, sorted samples and their CDFs; DataArrays go to the
    function ``name`` of :mod:`stgan.metrics.named_distribution`."""
    if isinstance(a, xr.DataArray) or isinstance(b, xr.DataArray):
        from stgan.metrics import named_distribution

        named = getattr(named_distribution, name)
        return named(a, b, keep=keep, a_weights=a_weights, b_weights=b_weights)
    if keep:
        raise StganError(f"{name}: dimension names (keep=) need two xr.DataArray samples")
    return score(*_pooled_sorted(a, "a", a_weights), *_pooled_sorted(b, "b", b_weights))


QUANTILES = (0.01, 0.5, 0.99, 0.999)


def quantile_errors(
    real: Array, generated: Array, q: tuple[float, ...] = QUANTILES, *, weights: Array | None = None
) -> dict[str, float]:
    """``generated`` minus ``real`` pooled quantiles, keyed ``q01``, ``q50``, ``q99``, ``q99.9``.

    Signed, in the units of the values: a negative ``q99.9`` error means the generator's
    extremes are too weak. Unweighted: linear interpolation between order statistics (numpy's
    default); weighted (``weights`` broadcast to both arrays): the inverse of the weighted CDF.
    """

    def quantiles(x: Array, name: str) -> np.ndarray:
        values, cum = _pooled_sorted(x, name, weights)
        if weights is None:
            return np.quantile(values, q)
        idx = np.searchsorted(cum[1:], np.asarray(q) - 1e-12, side="left")
        return values[np.minimum(idx, values.size - 1)]

    diff = quantiles(generated, "generated") - quantiles(real, "real")
    return {_quantile_key(p): float(d) for p, d in zip(q, diff)}


def _quantile_key(p: float) -> str:
    """0.01 → 'q01', 0.5 → 'q50', 0.999 → 'q99.9'."""
    percent = f"{100 * p:g}"
    return "q" + (percent.zfill(2) if "." not in percent else percent)


def _per_point(x: Array) -> torch.Tensor:
    """(N, T, H, W) → (H·W, N·T) float64: each grid point's values over samples and time."""
    t = torch.as_tensor(_as_float64_numpy(x))
    if t.ndim < 3:
        raise StganError(
            f"per-grid-point distances need (..., H, W) arrays; got shape {tuple(t.shape)}"
        )
    return t.reshape(-1, t.shape[-2] * t.shape[-1]).T.contiguous()


def gridpoint_distances(
    real: Array, generated: Array, *, weights: Array | None = None
) -> dict[str, float]:
    """W1 and KS between real and generated values at each grid point, averaged over points.

    Each grid point's distribution pools its values over samples and time; the per-point
    statistics equal ``scipy.stats.wasserstein_distance`` / ``ks_2samp`` of those values and are
    averaged with ``weights`` (H, W) (area weights; default uniform). Points with a missing
    value in either set (a static mask) are left out. Unlike the pooled W1, this sees a
    generator that puts the right values at the wrong places (a climatology error).

    Returns
    -------
    dict
        ``w1_gridpoint`` (units of the values) and ``ks_gridpoint`` (unitless).
    """
    r, g = _per_point(real), _per_point(generated)
    if r.shape[0] != g.shape[0]:
        raise StganError(f"real and generated grids differ: {r.shape[0]} and {g.shape[0]} points")
    w = (
        torch.ones(r.shape[0], dtype=torch.float64)
        if weights is None
        else torch.as_tensor(
            np.broadcast_to(_as_float64_numpy(weights), real.shape[-2:]).ravel().copy()
        )
    )
    keep = torch.isfinite(r).all(1) & torch.isfinite(g).all(1)
    if not bool(keep.any()):
        raise StganError("no grid point has complete values in both sets")
    r, g, w = r[keep].sort(dim=1).values, g[keep].sort(dim=1).values, w[keep]
    n, m = r.shape[1], g.shape[1]
    # W1 as the area between the quantile functions: on each interval between the merged
    # breakpoints i/n and j/m both are constant, with the same breakpoints at every point.
    f64 = torch.float64
    u = torch.unique(
        torch.cat([torch.arange(1, n + 1, dtype=f64) / n, torch.arange(1, m + 1, dtype=f64) / m])
    )
    du = torch.diff(torch.cat([u.new_zeros(1), u]))
    ia = (torch.ceil(u * n - 1e-9) - 1).long().clamp(0, n - 1)
    ib = (torch.ceil(u * m - 1e-9) - 1).long().clamp(0, m - 1)
    w1 = ((r[:, ia] - g[:, ib]).abs() * du).sum(1)
    # KS: both CDFs at every value of either sample.
    merged = torch.cat([r, g], dim=1)
    cdf_r = torch.searchsorted(r, merged, right=True).double() / n
    cdf_g = torch.searchsorted(g, merged, right=True).double() / m
    ks = (cdf_r - cdf_g).abs().amax(1)
    return {
        "w1_gridpoint": float((w1 * w).sum() / w.sum()),
        "ks_gridpoint": float((ks * w).sum() / w.sum()),
    }


def gradient_magnitude(x: Array) -> np.ndarray:
    """``sqrt(dx² + dy²)`` from forward differences, per grid cell: (..., H − 1, W − 1)."""
    v = _as_float64_numpy(x)
    if v.ndim < 2 or min(v.shape[-2:]) < 2:
        raise StganError(f"spatial gradients need fields of at least 2 x 2; got shape {v.shape}")
    dx = np.diff(v, axis=-1)[..., :-1, :]
    dy = np.diff(v, axis=-2)[..., :, :-1]
    return np.sqrt(dx**2 + dy**2)


def increment_distances(
    real: Array, generated: Array, *, weights: Array | None = None
) -> dict[str, float]:
    """W1 between the distributions of spatial-gradient magnitudes and of temporal differences.

    (N, T, H, W) inputs. Gradients are forward differences per grid cell (a field that is too
    smooth has too few large gradients); temporal differences are ``x[t + 1] − x[t]`` per
    time step (too slow or too jumpy evolution). ``weights`` (H, W) are cropped to the
    gradients' (H − 1, W − 1) grid.

    Returns
    -------
    dict
        ``w1_gradient`` (units per grid cell) and ``w1_tdiff`` (units per time step).
    """
    r, g = _as_float64_numpy(real), _as_float64_numpy(generated)
    if r.shape[-3] < 2:
        raise StganError("temporal differences need at least two time steps")
    w_grad = None if weights is None else np.asarray(weights)[..., :-1, :-1]
    return {
        "w1_gradient": wasserstein1(
            gradient_magnitude(r), gradient_magnitude(g), a_weights=w_grad, b_weights=w_grad
        ),
        "w1_tdiff": wasserstein1(
            np.diff(r, axis=-3), np.diff(g, axis=-3), a_weights=weights, b_weights=weights
        ),
    }


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
