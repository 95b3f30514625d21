"""The metric registry: every comparison of generated with real windows is a key.

``compare(real, generated, metrics=[...])`` runs the chosen entries on (N, T, H, W) arrays of
one variable and merges their results; ``stgan evaluate --metrics`` and the in-training
callback choose by key, and an unknown key fails with the list of valid ones. Each entry is a
:class:`stgan.metrics.base.Metric` in its own file under :mod:`stgan.metrics.entries` (found
on first lookup), carrying the units of the scalars it returns: :func:`metric_units`.

==============  ==================================================================
key             scalars
==============  ==================================================================
spectrum        rapsd_lsd_db, spectral_slope_real, spectral_slope_generated
acf             acf_rmse, integral_*, efolding_*
tpsd            tpsd_lsd_db
distribution    w1, ks, q01, q50, q99, q99.9
gridpoint       w1_gridpoint, ks_gridpoint
maps            mean_map_error, std_map_error
octaves         rapsd_lsd_db_worst_octave, rapsd_lsd_db_largest_scale
seasonal_cycle  seasonal_cycle_error, seasonal_cycle_months
increments      w1_gradient, w1_tdiff
diversity       diversity_ratio, directions_*, direction_ratio
prdc            precision, recall, density, coverage
memorisation    memorisation_ratio, copy_fraction, nn_distance_* (needs ``train``)
waves           modes_covered_*, high_quality_fraction_*, mode_counts_* (waves data)
==============  ==================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stgan.errors import StganError
from stgan.metrics.base import Inputs, Metric
from stgan.registry import Registry

METRICS = Registry("metric", package="stgan.metrics.entries")


def metric(key: str) -> Metric:
    """The metric registered under ``key``, with its default settings."""
    return METRICS.get(key)()


def metric_units(keys: list[str] | tuple[str, ...] | None = None) -> dict[str, str]:
    """Unit of every scalar the ``keys`` metrics (default: all) return, as the metrics state."""
    units: dict[str, str] = {}
    for key in keys or METRICS.keys():
        units.update(METRICS.get(key).units)
    return units


def compare(
    real: np.ndarray,
    generated: np.ndarray,
    *,
    metrics: list[str] | tuple[str, ...] | None = None,
    max_lag: int = 10,
    weights: np.ndarray | None = None,
    wavenumbers: str = "index",
    train: np.ndarray | None = None,
    attrs: dict[str, Any] | None = None,
    real_months: np.ndarray | None = None,
    generated_months: np.ndarray | None = None,
) -> dict[str, Any]:
    """Run the ``metrics`` entries (default: all) on generated vs real (·, T, H, W) windows.

    Parameters
    ----------
    real, generated : numpy.ndarray
        Windows shaped (M, T, H, W) and (N, T, H, W), T ≥ 2, in physical units.
    metrics : list of str, optional
        Registry keys; default every registered metric.
    max_lag : int
        Largest ACF lag (capped at T − 1).
    weights : numpy.ndarray, optional
        (H, W) area weights for averages over grid points.
    wavenumbers : str
        RAPSD ring convention, ``"index"`` or ``"physical"``.
    train : numpy.ndarray, optional
        Training windows, for the memorisation test.
    attrs : dict, optional
        The variable's attributes (the ``waves`` metric reads the dataset's modes there).
    real_months, generated_months : numpy.ndarray, optional
        (M, T) and (N, T) calendar months (1–12) of the windows' steps, for the seasonal cycle;
        None (default) when the steps have no dates.

    Returns
    -------
    dict
        The merged results of the chosen metrics: scalars (``None`` where undefined) and curves.
    """
    real, generated = np.asarray(real, dtype=np.float64), np.asarray(generated, dtype=np.float64)
    if real.ndim != 4 or generated.ndim != 4 or real.shape[1:] != generated.shape[1:]:
        raise StganError(
            f"compare needs real and generated windows shaped (N, T, H, W) alike; "
            f"got {real.shape} and {generated.shape}"
        )
    if real.shape[1] < 2:
        raise StganError("windows of one time step have no temporal statistics; use T >= 2")
    inputs = Inputs(
        real,
        generated,
        max_lag=max_lag,
        weights=weights,
        wavenumbers=wavenumbers,
        train=None if train is None else np.asarray(train, dtype=np.float64),
        attrs=dict(attrs or {}),
        real_months=None if real_months is None else np.asarray(real_months, dtype=np.int64),
        generated_months=(
            None if generated_months is None else np.asarray(generated_months, dtype=np.int64)
        ),
    )
    result: dict[str, Any] = {}
    for key in metrics or METRICS.keys():
        result.update(metric(key).compute(inputs))
    return result
