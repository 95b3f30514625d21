"""The tasks' metric tables: each task against the truth, and against a simple baseline.

=============  =====================================  =======================================
task           metric                                 baseline
=============  =====================================  =======================================
downscaling    LSD over the wavenumbers finer than    the coarse input repeated onto the grid
               the input resolves; RMSE
nowcasting     CRPS of the ensemble per lead time;    persistence (the last input frame);
               correlation with the last input frame  the truth's own correlation
               per lead time (the ACF at lag = lead)
gap filling    RMSE inside the gap                    linear interpolation (:func:`linear_fill`)
=============  =====================================  =======================================

Each table function takes NumPy arrays of one variable in physical units, NaN off the
domain (the static mask), and returns a :class:`pandas.DataFrame`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator
from scipy.spatial import Delaunay

from stgan.metrics.spectral import rapsd


def crps_ensemble(members: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """CRPS of an ensemble (members on axis 0) against ``truth``, element by element.

    ``CRPS = mean_i |x_i − y| − ½ mean_{i,j} |x_i − x_j|``: the CRPS of the ensemble's
    empirical distribution (Gneiting & Raftery 2007, eq. 21; properscoring's
    ``crps_ensemble``). The pair term is computed from the sorted members,
    ``Σ_{i,j} |x_i − x_j| = 2 Σ_i (2i − m − 1) x_(i)``, in O(m log m). One member: the
    absolute error.
    """
    x = np.sort(np.asarray(members, np.float64), axis=0)
    m = x.shape[0]
    spread = np.tensordot(2 * np.arange(1, m + 1) - m - 1, x, axes=(0, 0)) * 2 / m**2
    return np.abs(x - truth).mean(axis=0) - 0.5 * spread


def lsd_finer(generated: np.ndarray, truth: np.ndarray, factor: int) -> float:
    """Log-spectral distance (dB) over the wavenumbers finer than a grid coarsened by ``factor``.

    Spectra (:func:`stgan.metrics.spectral.rapsd`, NaN cells at the field's mean) are
    averaged over all frames of each set in linear power; the distance
    ``sqrt(mean_k (10·log10 P_truth(k) − 10·log10 P_gen(k))²)`` runs over the bins of
    frequency above the coarse grid's Nyquist, ``1 / (2·factor)`` cycles per cell: the
    scales the input does not hold.
    """

    def spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, np.float64).reshape(-1, *np.shape(x)[-2:])
        x = np.where(np.isfinite(x), x, np.nanmean(x))
        power, freq = rapsd(x, return_freq=True)
        return power.mean(axis=0), np.asarray(freq)

    p_gen, freq = spectrum(generated)
    p_truth, _ = spectrum(truth)
    fine = freq > 1 / (2 * factor)
    diff = 10 * np.log10(p_truth[fine]) - 10 * np.log10(p_gen[fine])
    return float(np.sqrt(np.mean(diff**2)))


def _rmse(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    err = (np.asarray(a, np.float64) - b) ** 2
    where = np.isfinite(err) if where is None else where & np.isfinite(err)
    return float(np.sqrt(err[where].mean()))


def downscaling_table(
    generated: np.ndarray, truth: np.ndarray, coarse: np.ndarray, factor: int
) -> pd.DataFrame:
    """Downscaled samples (S, T, H, W) against the truth (T, H, W).

    Rows: ``stgan`` (every sample) and ``coarse input`` (the baseline: ``coarse`` (T, H, W),
    the input repeated onto the grid); columns: ``lsd_finer_db`` (:func:`lsd_finer`) and
    ``rmse`` (pooled over samples, steps and cells).
    """
    rows = {"stgan": generated, "coarse input": coarse[None]}
    return pd.DataFrame(
        {
            "lsd_finer_db": [lsd_finer(x, truth, factor) for x in rows.values()],
            "rmse": [_rmse(x, truth[None]) for x in rows.values()],
        },
        index=pd.Index(list(rows), name="method"),
    )


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two fields over their finite cells (pooled)."""
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def nowcasting_table(generated: np.ndarray, truth: np.ndarray, last: np.ndarray) -> pd.DataFrame:
    """A nowcast ensemble (S, L, H, W) against the truth (L, H, W) per lead time 1..L.

    ``last`` (H, W) is the input's last frame: persistence's forecast at every lead.
    Columns: ``crps`` (:func:`crps_ensemble`, mean over cells) and ``crps_persistence`` (its
    absolute error: a one-member ensemble); ``acf`` the correlation of each member's frame
    with ``last`` (mean over members), ``acf_truth`` the truth's: the autocorrelation at lag
    = lead that a good nowcast shares with the data (persistence's is 1 at every lead).
    """
    leads = np.arange(1, truth.shape[0] + 1)
    crps = crps_ensemble(generated, truth[None])
    return pd.DataFrame(
        {
            "crps": np.nanmean(crps, axis=(1, 2)),
            "crps_persistence": np.nanmean(np.abs(truth - last), axis=(1, 2)),
            "acf": [
                np.mean([_correlation(member[i], last) for member in generated])
                for i in range(len(leads))
            ],
            "acf_truth": [_correlation(frame, last) for frame in truth],
        },
        index=pd.Index(leads, name="lead"),
    )


def linear_fill(values: np.ndarray, domain: np.ndarray | None = None) -> np.ndarray:
    """(T, H, W) ``values`` with their NaN cells filled by linear interpolation.

    A cell with known steps on both sides of a gap is interpolated in time (per cell,
    linearly between its known neighbours in time); any other missing cell (a gap over
    every step, or at the record's ends) in space, per frame, from that frame's known
    cells: linear on their Delaunay triangulation (``scipy.interpolate.griddata``'s
    ``linear``), nearest outside their convex hull.
    ``domain`` (H, W) bool marks the cells to fill (default: all; a static mask's cells are
    left NaN).
    """
    x = np.array(values, np.float64)
    t, h, w = x.shape
    domain = np.ones((h, w), bool) if domain is None else np.asarray(domain, bool)
    steps = np.arange(t)
    for i, j in zip(*np.nonzero(domain & np.isnan(x).any(axis=0))):
        known = np.isfinite(x[:, i, j])
        if known.sum() < 2:
            continue
        first, last = steps[known][[0, -1]]
        inner = ~known & (steps > first) & (steps < last)
        x[inner, i, j] = np.interp(steps[inner], steps[known], x[known, i, j])
    yy, xx = np.mgrid[:h, :w]
    triangulations: dict[bytes, Delaunay] = {}  # one per pattern of known cells (a box: one)
    for k in range(t):
        known, missing = np.isfinite(x[k]) & domain, np.isnan(x[k]) & domain
        if not missing.any() or known.sum() < 3:
            continue
        points = np.column_stack([yy[known], xx[known]]).astype(np.float64)
        targets = np.column_stack([yy[missing], xx[missing]])
        key = known.tobytes()
        if key not in triangulations:
            triangulations[key] = Delaunay(points)
        filled = LinearNDInterpolator(triangulations[key], x[k][known])(targets)
        outside = np.isnan(filled)
        if outside.any():
            nearest = NearestNDInterpolator(points, x[k][known])
            filled[outside] = nearest(targets[outside])
        x[k][missing] = filled
    return x


def gap_filling_table(
    generated: np.ndarray, truth: np.ndarray, gappy: np.ndarray, domain: np.ndarray | None = None
) -> pd.DataFrame:
    """Filled samples (S, T, H, W) against the truth (T, H, W), inside the gap only.

    The gap is where ``gappy`` (T, H, W, the input) is NaN within ``domain``. Rows:
    ``stgan`` (each sample; RMSE pooled), ``stgan ensemble mean`` and ``linear
    interpolation`` (:func:`linear_fill`); columns ``rmse_in_gap`` and ``cells``.
    """
    h, w = truth.shape[-2:]
    domain = np.ones((h, w), bool) if domain is None else np.asarray(domain, bool)
    gap = np.isnan(gappy) & domain
    rows = {
        "stgan": generated,
        "stgan ensemble mean": np.mean(generated, axis=0)[None],
        "linear interpolation": linear_fill(gappy, domain)[None],
    }
    cells = int(gap.sum())
    return pd.DataFrame(
        {
            "rmse_in_gap": [
                _rmse(x, truth[None], gap[None].repeat(len(x), 0)) for x in rows.values()
            ],
            "cells": [cells] * len(rows),
        },
        index=pd.Index(list(rows), name="method"),
    )
