"""Which travelling-wave mode each window is, and how clean a wave of it: the truth of `waves`.

The windows of :func:`stgan.data.waves.make_waves` data, real or generated, are labelled with
their nearest mode by :func:`label_windows` and scored by how much of them one plane wave of that
mode explains; :func:`mode_coverage` counts the modes a set of windows covers with clean waves.

Labelling
---------
:func:`label_windows` takes windows ``(N, T, H, W)``. For each window (mean removed):

1. *Fold to positive temporal frequency.* ``G(y, x) = sum_t x(t, y, x) exp(-i omega t)``: the
   slice of the 3D Fourier transform at temporal frequency ``+1/period`` (evaluated at exactly
   that frequency, so ``T`` need not hold whole periods). A wave ``cos(k.r - omega t + phi)``
   appears there as ``exp(-i (k.r + phi))``.
2. *Direction.* The 2D FFT of ``G`` zero-padded to ``(4H, 4W)`` peaks at ``-k``; the
   wave's direction is the angle of minus the strongest ``(ky, kx)`` component.
3. *Label.* The mode whose angle is nearest (circularly).
4. *Quality.* The least-squares fit of ``a cos(psi) + b sin(psi) + c`` with the label's phase
   function ``psi = k (x cos theta + y sin theta) - omega t`` at the expected wavenumber and
   frequency; ``quality = 1 - residual variance / total variance`` (the fit's R^2, in [0, 1]).

A clean wave with amplitude ``A`` and noise ``sigma`` has quality ``(A^2/2) / (A^2/2 + sigma^2)``
(0.98 for the defaults); white noise has quality ~``2 / (T H W)``.
"""

from __future__ import annotations

import math

import numpy as np

from stgan.data.synthetic import _check_float, _check_int
from stgan.data.waves import _check_length, mode_angles
from stgan.errors import StganError

__all__ = ["HIGH_QUALITY", "label_windows", "mode_coverage"]

HIGH_QUALITY = 0.6
"""Quality from which a window counts as a clean sample of its mode: one plane wave of that
mode explains at least 60% of its variance, 1.5 times as much as everything else together.
It is above 0.5 because an equal superposition of two modes (e.g. a standing wave = modes
``m`` and ``m + K/2``) scores exactly 0.5 for either: such mixtures must not count. A clean
wave with the default noise scores 0.98 and stays above the threshold up to noise std
``A / sqrt(3)`` (0.58 for ``A = 1``). A window straddling two episodes with a share ``f`` of
its steps in one mode scores about ``f^2`` for that mode, so it passes only when
``f >= 0.77``."""

_PAD = 4  # zero-padding factor of the spatial FFT in label_windows
_CHUNK = 64  # windows per zero-padded FFT batch (bounded memory)


def _as_windows(x: object) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    try:
        array = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise StganError(
            f"windows must be a numeric array shaped (N, T, H, W), got {type(x).__name__}: {err}"
        ) from None
    if array.ndim != 4:
        raise StganError(
            f"windows must be shaped (N, T, H, W), got shape {array.shape}; "
            "pass one variable, e.g. x[:, 0] for (N, C, T, H, W)"
        )
    n, t, h, w = array.shape
    if n < 1 or t < 2 or h < 2 or w < 2:
        raise StganError(f"windows must have N >= 1 and T, H, W >= 2, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise StganError(
            f"{int((~np.isfinite(array)).any(axis=(1, 2, 3)).sum())} of {n} windows "
            "contain NaN or inf; fill or drop them before labelling"
        )
    return array


def label_windows(
    x: np.ndarray,
    *,
    modes: int = 8,
    wavelength: float = 8.0,
    period: float = 8.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Label each window with its nearest wave mode and score how clean a wave of it is.

    Parameters
    ----------
    x : numpy.ndarray
        Windows shaped ``(N, T, H, W)`` in physical units (a torch tensor is accepted); rows
        are ``y``, columns ``x``, 1 cell apart, steps 1 apart. ``T`` need not hold whole periods
        and windows need not be square.
    modes : int
        Number of modes ``K`` of the dataset (>= 2).
    wavelength, period : float
        The dataset's wavelength (cells) and period (steps), each > 2.

    Returns
    -------
    labels : numpy.ndarray
        ``(N,)`` int64 in ``0 .. K-1``: the mode whose direction ``2 pi m / K`` is nearest the
        direction of the strongest spatial Fourier component at temporal frequency
        ``1/period``.
    quality : numpy.ndarray
        ``(N,)`` float64 in ``[0, 1]``: R^2 of the least-squares fit of one plane wave of the
        labelled mode (free amplitude and phase, expected wavenumber and frequency, plus a
        constant). 0 for a constant window.

    Raises
    ------
    StganError
        If ``x`` is not a finite 4D array or an argument is out of range.
    """
    angles = mode_angles(modes)
    wavelength = _check_length("wavelength", wavelength)
    period = _check_length("period", period)
    x = _as_windows(x)
    n, t, h, w = x.shape
    k = 2.0 * math.pi / wavelength
    omega = 2.0 * math.pi / period
    x = x - x.mean(axis=(1, 2, 3), keepdims=True)

    # 1-3: direction of the strongest component at temporal frequency +omega.
    steps = np.arange(t, dtype=np.float64)
    folded = np.einsum("ntyx,t->nyx", x, np.exp(-1j * omega * steps))
    fy = np.fft.fftfreq(_PAD * h)
    fx = np.fft.fftfreq(_PAD * w)
    direction = np.empty(n)
    for start in range(0, n, _CHUNK):
        power = np.abs(np.fft.fft2(folded[start : start + _CHUNK], s=(_PAD * h, _PAD * w))) ** 2
        peak = power.reshape(power.shape[0], -1).argmax(axis=1)
        iy, ix = np.unravel_index(peak, (_PAD * h, _PAD * w))
        direction[start : start + _CHUNK] = np.arctan2(
            -fy[iy], -fx[ix]
        )  # the wave travels along -peak
    offset = (direction[:, None] - angles[None, :] + np.pi) % (2.0 * np.pi) - np.pi
    labels = np.abs(offset).argmin(axis=1).astype(np.int64)

    # 4: R^2 of cos/sin regressors of every mode (centred, so a constant is in the fit).
    yy = np.arange(h, dtype=np.float64)[:, None]
    xx = np.arange(w, dtype=np.float64)[None, :]
    regressors = np.empty((2 * len(angles), t * h * w))
    for m, theta in enumerate(angles):
        psi = (k * (xx * math.cos(theta) + yy * math.sin(theta)))[None] - omega * steps[
            :, None, None
        ]
        regressors[2 * m] = np.cos(psi).ravel()
        regressors[2 * m + 1] = np.sin(psi).ravel()
    regressors -= regressors.mean(axis=1, keepdims=True)
    flat = x.reshape(n, -1)
    projections = flat @ regressors.T  # (N, 2K)
    total = np.einsum("ij,ij->i", flat, flat)
    explained = np.empty(n)
    for m in range(len(angles)):
        basis = regressors[2 * m : 2 * m + 2]
        inverse = np.linalg.pinv(basis @ basis.T)
        chosen = labels == m
        b = projections[chosen, 2 * m : 2 * m + 2]
        explained[chosen] = np.einsum("ni,ij,nj->n", b, inverse, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        quality = np.where(total > 0, explained / np.where(total > 0, total, 1.0), 0.0)
    return labels, np.clip(quality, 0.0, 1.0)


def mode_coverage(
    labels: np.ndarray,
    quality: np.ndarray,
    *,
    modes: int = 8,
    threshold: float = HIGH_QUALITY,
) -> dict:
    """Which modes a set of windows covers, counting only high-quality windows.

    A mode is *covered* when at least ``max(1, ceil(0.01 * N))`` of the ``N`` windows are
    labelled with it and have ``quality >= threshold``: the 1% floor keeps a handful of stray
    near-waves in a large sample from counting as a mode the generator has learnt.

    Parameters
    ----------
    labels, quality : numpy.ndarray
        ``(N,)`` outputs of :func:`label_windows`.
    modes : int
        Number of modes ``K`` (>= 2).
    threshold : float
        Quality from which a window counts as a clean sample of its mode, in ``[0, 1]``.

    Returns
    -------
    dict
        ``modes_covered`` (int, 0 .. K), ``high_quality_fraction`` (float, share of windows
        with ``quality >= threshold``), ``counts`` (list of K ints: high-quality windows per
        mode), ``min_count`` (int, the coverage floor), ``threshold`` and ``windows`` (N).

    Raises
    ------
    StganError
        If the inputs are empty, of different lengths, or out of range.
    """
    modes = _check_int("modes", modes, 2)
    threshold = _check_float("threshold", threshold)
    if not 0.0 <= threshold <= 1.0:
        raise StganError(
            f"threshold must be in [0, 1], got {threshold}; the default is {HIGH_QUALITY}"
        )
    labels = np.asarray(labels)
    quality = np.asarray(quality, dtype=np.float64)
    if labels.ndim != 1 or quality.shape != labels.shape or labels.size == 0:
        raise StganError(
            f"labels and quality must be non-empty 1D arrays of one length, got shapes "
            f"{labels.shape} and {quality.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= modes:
        raise StganError(
            f"labels must be integers in 0 .. {modes - 1}; did modes match label_windows?"
        )
    high = quality >= threshold
    counts = np.bincount(labels[high], minlength=modes)
    min_count = max(1, math.ceil(0.01 * labels.size))
    return {
        "modes_covered": int((counts >= min_count).sum()),
        "high_quality_fraction": float(high.mean()),
        "counts": [int(c) for c in counts],
        "min_count": int(min_count),
        "threshold": threshold,
        "windows": int(labels.size),
    }
