"""``seasonal_cycle``: the per-cell mean of each calendar month, generated vs real.

A generator that knows no calendar makes every month look like the annual mean: its mean map
can be right while each month is off by the amplitude of the seasonal cycle. This metric sees
that, in units of the real local temporal std, so that it reads like the map errors.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from stgan.errors import StganError
from stgan.metrics.base import Inputs, Metric, none_if_nan
from stgan.metrics.registry import METRICS

MONTHS = np.arange(1, 13)


def _check_months(months: np.ndarray, windows: np.ndarray, role: str) -> np.ndarray:
    months = np.asarray(months)
    if months.shape != windows.shape[:2]:
        raise StganError(
            f"the {role} months are shaped {months.shape}, but the {role} windows need one "
            f"month per window and step, {windows.shape[:2]}"
        )
    if months.size and not np.isin(months, MONTHS).all():
        raise StganError(f"the {role} months must be calendar months 1 to 12")
    return months


def monthly_means(windows: np.ndarray, months: np.ndarray) -> dict[int, np.ndarray]:
    """Calendar month → the (H, W) mean of every step of that month in (N, T, H, W) windows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cells masked at every step
        return {int(m): np.nanmean(windows[months == m], axis=0) for m in np.unique(months)}


def _domain_mean(field: np.ndarray, weights: np.ndarray) -> float:
    keep = np.isfinite(field)
    return float(field[keep] @ weights[keep] / weights[keep].sum()) if keep.any() else np.nan


def seasonal_cycle_error(
    real: np.ndarray,
    generated: np.ndarray,
    real_months: np.ndarray,
    generated_months: np.ndarray,
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    """The seasonal-cycle error of generated (N, T, H, W) vs real (M, T, H, W) windows.

    For each calendar month present in both sets, the per-cell means of the real and of the
    generated steps of that month; at each cell the RMS over those months of ``(gen_month_mean
    − real_month_mean) / std_real``, with ``std_real`` the cell's std over every real step;
    then the mean over cells with ``weights`` (H, W) (area weights; default uniform). Cells
    missing in either set, or constant in the real data, are left out.

    Parameters
    ----------
    real, generated : numpy.ndarray
        The windows.
    real_months, generated_months : numpy.ndarray
        (M, T) and (N, T) calendar month (1–12) of each step.
    weights : numpy.ndarray, optional
        (H, W) area weights.

    Returns
    -------
    dict
        ``seasonal_cycle_error`` (NaN with fewer than two months in both sets or no usable
        cell), ``seasonal_cycle_months`` (the months compared) and the weighted domain means of
        each month, ``seasonal_cycle_real`` and ``seasonal_cycle_generated`` (12 values, January
        first, NaN for a month absent from that set).

    Examples
    --------
    >>> months = np.tile(np.arange(1, 13), (2, 1))  # two windows of Jan … Dec
    >>> real = np.broadcast_to(np.sin(np.pi * np.arange(12) / 6)[None, :, None, None], (2, 12, 2, 2))
    >>> out = seasonal_cycle_error(real, np.zeros_like(real), months, months)
    >>> round(out["seasonal_cycle_error"], 12), out["seasonal_cycle_months"]  # cycle removed
    (1.0, 12)
    """
    r, g = np.asarray(real, dtype=np.float64), np.asarray(generated, dtype=np.float64)
    if r.shape[-2:] != g.shape[-2:]:
        raise StganError(f"real and generated grids differ: {r.shape[-2:]} and {g.shape[-2:]}")
    mean_r = monthly_means(r, _check_months(real_months, r, "real"))
    mean_g = monthly_means(g, _check_months(generated_months, g, "generated"))
    w = np.ones(r.shape[-2:]) if weights is None else np.broadcast_to(weights, r.shape[-2:])
    curves = {
        f"seasonal_cycle_{label}": [
            _domain_mean(means[m], w) if m in means else np.nan for m in MONTHS
        ]
        for label, means in (("real", mean_r), ("generated", mean_g))
    }
    common = sorted(set(mean_r) & set(mean_g))
    error = np.nan
    if len(common) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # cells masked at every step
            std = np.nanstd(r, axis=(0, 1))
        diff = np.stack([mean_g[m] - mean_r[m] for m in common])  # (months, H, W)
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = np.sqrt(np.mean(diff**2, axis=0)) / std
        keep = np.isfinite(rms) & (std > 0)
        if keep.any():
            error = float(rms[keep] @ w[keep] / w[keep].sum())
    return {"seasonal_cycle_error": error, "seasonal_cycle_months": len(common), **curves}


@METRICS.register("seasonal_cycle")
@dataclass(frozen=True)
class SeasonalCycle(Metric):
    """Per-cell monthly means, generated vs real, in units of the real local std.

    Needs the calendar month of every step (``Inputs.real_months`` and
    ``generated_months``: ``stgan evaluate`` reads them from the real data's and the
    generated file's time axes). Without dates (a numeric time axis), or with fewer than two
    months present in both sets, ``seasonal_cycle_error`` is None and
    ``seasonal_cycle_months`` says how many months the sets share (0 without dates).
    """

    units = {"seasonal_cycle_error": "1", "seasonal_cycle_months": "count"}
    description = (
        "at each grid cell, the RMS over calendar months present in both sets of "
        "(mean_gen(month) − mean_real(month)) / std_real, averaged over cells; null without "
        "dates or with fewer than two shared months"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """The error, the months compared and the domain-mean cycles of both sets (curves,
        January first, null for a month absent from a set; none without dates)."""
        if inputs.real_months is None or inputs.generated_months is None:
            return {"seasonal_cycle_error": None, "seasonal_cycle_months": 0}
        out = seasonal_cycle_error(
            inputs.real,
            inputs.generated,
            inputs.real_months,
            inputs.generated_months,
            inputs.weights,
        )
        return {
            k: none_if_nan(v) if np.isscalar(v) else [none_if_nan(x) for x in v]
            for k, v in out.items()
        }
