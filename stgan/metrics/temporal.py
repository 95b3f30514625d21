"""Temporal autocorrelation of gridded series, and a distance between two ACFs.

Conventions
-----------
The ACF of one series ``x_0 .. x_{n-1}`` with mean ``m`` at lag ``k`` is

    rho_k = sum_{t < n-k} (x_t - m)(x_{t+k} - m) / sum_t (x_t - m)**2

(the biased autocovariance over the variance, both divided by ``n``), which is
``statsmodels.tsa.stattools.acf(series, nlags=nlags, adjusted=False, fft=False)``. With
``adjusted=True`` the lag-``k`` autocovariance is divided by ``n - k`` instead of ``n``
(statsmodels' ``adjusted=True``), so ``rho_k`` is multiplied by ``n / (n - k)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import xarray as xr

from stgan.errors import StganError
from stgan.metrics.spectral import Array, _as_float64_numpy, _like_input, _to_tensor


def temporal_acf(
    x: Array,
    nlags: int | None = None,
    *,
    dim: int | str | None = None,
    adjusted: bool = False,
    weights: Array | None = None,
    max_lag: int | None = None,
    dims: Sequence[str] | None = None,
) -> Array:
    """ACF at lags ``0 .. nlags`` of every grid point's series, averaged over the grid points.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor, shape (..., T, H, W)
        Time runs along ``dim``. Every axis after ``dim`` indexes a grid point (for the default
        layout, the ``H * W`` points); every axis before it is a batch axis that is kept.
    nlags : int
        Largest lag; must be smaller than the series length ``T``. ``max_lag`` is the same,
        by the name the metric registry uses (give one of the two).
    dim : int or str, default -3
        The time axis; for a DataArray, the time dimension's name (default: detected).
    adjusted : bool, default False
        Divide the lag-``k`` autocovariance by ``T - k`` instead of ``T`` (see module docstring).
    weights : array-like, optional
        Non-negative weights of the grid points, shaped like the axes after ``dim`` (e.g.
        cos-latitude area weights (H, W)): the average over points is weighted by them.

    dims : sequence of str, optional
        DataArray only: the grid-point dimensions averaged over (default: the detected y and x
        dimensions ``x`` has).

    Returns
    -------
    same kind as ``x``, shape (``x.shape[:dim]``..., nlags + 1)
        Lag 0 is 1. Same floating dtype as ``x`` (float64 for integer input); torch input stays
        on its device. A DataArray gives a DataArray: dims (other dims..., ``lag``), ``lag`` in
        time steps and ``lag_time`` for evenly spaced dates (see
        :func:`stgan.metrics.named.temporal_acf`).

    Notes
    -----
    Grid points whose series has zero variance (constant in time, e.g. always-dry cells) have
    no defined ACF and are left out of the average, as are points whose series contains NaN;
    the mean is NaN only if no point is left. float64 input is computed in float64; other
    input in float32, with the series means from float64 sums and the ratios and the average
    over points in float64, which keeps it within ~1e-6 relative of statsmodels' float64
    result (a ratio of two sums of ``T`` products loses most digits where the ACF is near 0).

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> from stgan.metrics import temporal_acf
    >>> time = pd.date_range("2000-01-01", periods=8, freq="6h")
    >>> da = xr.DataArray(np.arange(8.0)[:, None, None] * np.ones((8, 2, 3)),
    ...                   dims=("time", "lat", "lon"), coords={"time": time})
    >>> acf = temporal_acf(da, max_lag=2)
    >>> acf.dims, (acf["lag_time"] / np.timedelta64(1, "h")).values.tolist()
    (('lag',), [0.0, 6.0, 12.0])
    """
    if nlags is not None and max_lag is not None and nlags != max_lag:
        raise StganError(f"temporal_acf: nlags={nlags} and max_lag={max_lag} differ; give one")
    nlags = max_lag if nlags is None else nlags
    if nlags is None:
        raise StganError("temporal_acf needs the largest lag: temporal_acf(x, max_lag=...)")
    if isinstance(x, xr.DataArray):
        from stgan.metrics import named

        return named.temporal_acf(x, nlags, dim=dim, dims=dims, adjusted=adjusted, weights=weights)
    if isinstance(dim, str) or dims is not None:
        raise StganError("temporal_acf: dimension names (dim=, dims=) need an xr.DataArray")
    dim = -3 if dim is None else dim
    t, was_numpy, out_dtype = _to_tensor(x)
    if t.ndim == 0:
        raise StganError("temporal_acf needs an array with a time axis; got a scalar")
    if not -t.ndim <= dim < t.ndim:
        raise StganError(f"dim={dim} is out of range for an array with {t.ndim} axes")
    dim %= t.ndim
    n = t.shape[dim]
    if not 0 <= nlags < n:
        raise StganError(
            f"nlags={nlags} must be at least 0 and smaller than the series length T={n}"
        )

    lead = t.shape[:dim]
    n_points = math.prod(t.shape[dim + 1 :])
    # float64 input is computed in float64, every other input in float32: the sums of T
    # products then agree with statsmodels' float64 loop to a few 1e-6 relative at worst
    # (tests/test_metric_precision.py, benchmarks/bench_metrics.py), at a fraction of the cost.
    # One buffer (batch, points, time + nlags): each series contiguous in time and followed by
    # nlags zeros, which the lag rows below read past the series' end.
    by_point = t.reshape(-1, n, n_points).transpose(1, 2)
    padded = t.new_empty((*by_point.shape[:-1], n + nlags))
    padded[..., n:] = 0
    centred = padded[..., :n]
    centred.copy_(by_point)
    with torch.no_grad():  # a mask only; nothing to differentiate
        low, high = torch.aminmax(centred, dim=-1)
    constant = low == high  # exact test; x - mean may not be exactly 0
    # The mean from a float64 sum: a float32 running sum would drift over long series.
    centred -= (centred.sum(-1, keepdim=True, dtype=torch.float64) / n).to(t.dtype)

    # acov[..., k] = sum_t centred[t] * centred[t + k] for every lag in one batched
    # matrix-vector product: the rows of the lag matrix are overlapping views of the padded
    # series (unfold copies nothing), so there is no loop over lags or points.
    lagged = padded.unfold(-1, n, 1)  # (B, P, nlags + 1, T)
    acov = torch.matmul(lagged, centred[..., None])[..., 0].to(torch.float64)
    if adjusted:
        lags = torch.arange(nlags + 1, dtype=torch.float64, device=acov.device)
        acov = acov * (n / (n - lags))  # rescales lag 0 by 1, so rho_0 stays 1
    acf = acov / acov[..., :1]
    acf = acf.masked_fill(constant[..., None], float("nan"))
    if weights is None:
        mean_acf = torch.nanmean(acf, dim=1)
    else:
        w = torch.as_tensor(
            np.broadcast_to(_as_float64_numpy(weights), t.shape[dim + 1 :]).ravel().copy(),
            device=acf.device,
        )[None, :, None]
        w = torch.where(torch.isnan(acf), 0.0, w)
        mean_acf = torch.nan_to_num(acf).mul(w).sum(1) / w.sum(1)
    return _like_input(mean_acf.reshape(*lead, nlags + 1), was_numpy, out_dtype)


def acf_rmse(acf_real: Array, acf_gen: Array, *, dim: str = "lag") -> float | np.ndarray:
    """Root-mean-square difference of two ACFs over lags ``1 .. n`` (lag 0 is always 1).

    Parameters
    ----------
    acf_real, acf_gen : numpy.ndarray or torch.Tensor, shape (..., nlags + 1)
        ACFs from :func:`temporal_acf`, same shape, lag 0 first, ``nlags >= 1``.

    Returns
    -------
    float or numpy.ndarray
        A float for 1-D ACFs; otherwise a float64 array of shape ``(...)``. This is an
        evaluation score: torch inputs are detached. Two DataArrays give a DataArray over
        their other (shared, exactly aligned) dimensions, the lags read along ``dim``.
    """
    if isinstance(acf_real, xr.DataArray) or isinstance(acf_gen, xr.DataArray):
        from stgan.metrics import named

        return named.acf_rmse(acf_real, acf_gen, dim=dim)
    real, gen = _as_float64_numpy(acf_real), _as_float64_numpy(acf_gen)
    if real.shape != gen.shape or real.ndim == 0 or real.shape[-1] < 2:
        raise StganError(
            f"acf_rmse needs two ACFs of the same shape (..., nlags + 1) with nlags >= 1; "
            f"got {real.shape} and {gen.shape}"
        )
    rmse = np.sqrt(np.mean((real[..., 1:] - gen[..., 1:]) ** 2, axis=-1))
    return float(rmse) if rmse.ndim == 0 else rmse


def integral_timescale(acf: Array) -> float:
    """``Σ_{k=0}^{K} ρ_k`` up to (not including) the first lag where the ACF drops to ≤ 0.

    In time steps. For an AR(1) process with coefficient φ and a long enough ACF this tends to
    ``1 / (1 − φ)`` (the one-sided sum); a truncated ACF gives a lower bound.
    """
    rho = _as_float64_numpy(acf).ravel()
    nonpositive = np.flatnonzero(rho <= 0)
    stop = nonpositive[0] if nonpositive.size else rho.size
    return float(rho[:stop].sum())


def efolding_time(acf: Array) -> float:
    """First lag where the ACF falls below 1/e, linearly interpolated; NaN if it never does.

    In time steps. For AR(1), ``ρ_k = φ^k`` gives ``−1 / ln φ``.
    """
    rho = _as_float64_numpy(acf).ravel()
    below = np.flatnonzero(rho < 1 / math.e)
    if not below.size or below[0] == 0:
        return float("nan")
    k = below[0]
    return float(k - 1 + (rho[k - 1] - 1 / math.e) / (rho[k - 1] - rho[k]))


def series_psd(x: Array, nperseg: int) -> np.ndarray:
    """Welch PSD of every series along the last axis of ``x``: (..., n) → (..., nperseg // 2 + 1).

    The conventions of :func:`temporal_psd` (``1 <= nperseg <= n``), float64; the spectrum of a
    series holding a missing (or infinite) value is NaN.
    """
    t, _, _ = _to_tensor(x, "x")
    series = t.to(torch.float64).reshape(-1, t.shape[-1])
    step = nperseg - nperseg // 2  # scipy's default overlap is nperseg // 2
    segments = series.unfold(-1, nperseg, step)  # (S, n_seg, nperseg)
    segments = segments - segments.mean(dim=-1, keepdim=True)
    window = torch.hann_window(nperseg, periodic=True, dtype=torch.float64)
    spectra = torch.fft.rfft(segments * window, dim=-1).abs() ** 2 / (window**2).sum()
    spectra[..., 1:] *= 2  # one-sided: fold the negative frequencies ...
    if nperseg % 2 == 0:
        spectra[..., -1] /= 2  # ... except Nyquist, which has no mirror
    psd = spectra.mean(dim=1).masked_fill(~torch.isfinite(series).all(dim=1)[:, None], torch.nan)
    return psd.reshape(*t.shape[:-1], -1).detach().cpu().numpy()


def temporal_psd(
    x: Array,
    *,
    nperseg: int | None = None,
    dim: int | str | None = None,
    keep: str | Sequence[str] = (),
) -> tuple[np.ndarray, np.ndarray] | xr.DataArray:
    """Welch power spectral density along time, averaged over grid points and leading axes.

    Hann window, 50 % overlap, segment mean removed, one-sided density with unit sampling
    rate (frequencies in cycles per time step): the conventions of
    ``scipy.signal.welch(series, nperseg=nperseg)``, averaged over every series. NaN series
    are left out. Returns ``(freq, psd)``, both 1-D float64. ``dim`` is the time axis (default
    -3).

    An ``xr.DataArray`` gives one DataArray, dims (``keep``..., ``frequency``): ``dim`` is then
    a dimension name (default: the detected time dimension); see
    :func:`stgan.metrics.named.temporal_psd`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from stgan.metrics import temporal_psd
    >>> da = xr.DataArray(np.random.default_rng(0).normal(size=(2, 64, 3, 3)),
    ...                   dims=("member", "time", "y", "x"))
    >>> temporal_psd(da, nperseg=16, keep="member").dims
    ('member', 'frequency')
    """
    if isinstance(x, xr.DataArray):
        from stgan.metrics import named

        return named.temporal_psd(x, dim=dim, keep=keep, nperseg=nperseg)
    if isinstance(dim, str) or keep:
        raise StganError("temporal_psd: dimension names (dim=, keep=) need an xr.DataArray")
    t, _, _ = _to_tensor(x, "x")
    t = torch.movedim(t, -3 if dim is None else dim, -1)
    n = t.shape[-1]
    nperseg = min(nperseg or 256, n)
    spectra = series_psd(t, nperseg).reshape(-1, nperseg // 2 + 1)
    spectra = spectra[~np.isnan(spectra).any(axis=1)]
    if not len(spectra):
        raise StganError("temporal_psd: every series holds a missing value")
    return np.fft.rfftfreq(nperseg), spectra.mean(axis=0)
