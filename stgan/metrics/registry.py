"""The metric registry: every comparison of generated with real windows is a key.

``compare(real, generated, metrics=[...])`` runs the chosen entries on (N, T, H, W) arrays of
one variable and merges their results; ``stgan evaluate --metrics`` and the in-training
callback choose by key, and an unknown key fails with the list of valid ones. Each entry takes
an :class:`Inputs` (the two sets plus shared options and a cache of the spectra and ACFs that
several entries use) and returns a dict of scalars and curves; :data:`UNITS` states each
scalar's unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stgan.errors import StganError
from stgan.metrics.directions import direction_counts
from stgan.metrics.distribution import (
    gridpoint_distances,
    increment_distances,
    ks_statistic,
    quantile_errors,
    wasserstein1,
)
from stgan.metrics.diversity import feature_prdc, memorisation, pairwise_distance_ratio
from stgan.metrics.spectral import fill_frames, log_spectral_distance, mean_rapsd, spectral_slope
from stgan.metrics.temporal import (
    acf_rmse,
    efolding_time,
    integral_timescale,
    temporal_acf,
    temporal_psd,
)
from stgan.registry import Registry

METRICS = Registry("metric")

VALUE = "units of the variable"
UNITS = {
    "rapsd_lsd_db": "dB",
    "spectral_slope_real": "1",
    "spectral_slope_generated": "1",
    "acf_rmse": "1",
    "integral_real": "time steps",
    "integral_generated": "time steps",
    "efolding_real": "time steps",
    "efolding_generated": "time steps",
    "tpsd_lsd_db": "dB",
    "w1": VALUE,
    "ks": "1",
    "q01": VALUE,
    "q50": VALUE,
    "q99": VALUE,
    "q99.9": VALUE,
    "w1_gridpoint": VALUE,
    "ks_gridpoint": "1",
    "w1_gradient": VALUE + " per grid cell",
    "w1_tdiff": VALUE + " per time step",
    "diversity_ratio": "1",
    "directions_generated": "sectors",
    "directions_real": "sectors",
    "direction_ratio": "1",
    "precision": "1",
    "recall": "1",
    "density": "1",
    "coverage": "1",
    "nn_distance_generated": VALUE,
    "nn_distance_heldout": VALUE,
    "memorisation_ratio": "1",
    "copy_fraction": "1",
}


def _none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else value  # JSON has no NaN


@dataclass
class Inputs:
    """Real (M, T, H, W) and generated (N, T, H, W) windows of one variable, and options.

    ``weights``: (H, W) area weights (None: every cell alike); ``wavenumbers``: RAPSD ring
    convention; ``train``: training windows, for the memorisation test only.
    """

    real: np.ndarray
    generated: np.ndarray
    max_lag: int = 10
    weights: np.ndarray | None = None
    wavenumbers: str = "index"
    train: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def spectra(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean RAPSD of the real and the generated frames, and the bin frequencies."""
        if "spectra" not in self._cache:
            p_real, freq = mean_rapsd(fill_frames(self.real), wavenumbers=self.wavenumbers)
            p_gen, _ = mean_rapsd(fill_frames(self.generated), wavenumbers=self.wavenumbers)
            self._cache["spectra"] = (p_real, p_gen, freq)
        return self._cache["spectra"]

    def acfs(self) -> tuple[np.ndarray, np.ndarray]:
        """Temporal ACF (lags 0 … min(max_lag, T − 1)) of both sets, averaged over windows."""
        if "acfs" not in self._cache:
            nlags = min(self.max_lag, self.real.shape[1] - 1)
            self._cache["acfs"] = tuple(
                np.nanmean(temporal_acf(x, nlags, weights=self.weights), axis=0)
                for x in (self.real, self.generated)
            )
        return self._cache["acfs"]


@METRICS.register("spectrum")
def _spectrum(d: Inputs) -> dict[str, Any]:
    p_real, p_gen, freq = d.spectra()
    can_fit_slope = p_real.size >= 5
    return {
        # Bin 0 is the window mean, not a spatial scale: left out of the distance.
        "rapsd_lsd_db": float(log_spectral_distance(p_real[1:], p_gen[1:])),
        "spectral_slope_real": spectral_slope(p_real, freq) if can_fit_slope else None,
        "spectral_slope_generated": spectral_slope(p_gen, freq) if can_fit_slope else None,
        "rapsd_freq": freq.tolist(),
        "rapsd_real": p_real.tolist(),
        "rapsd_generated": p_gen.tolist(),
    }


@METRICS.register("acf")
def _acf(d: Inputs) -> dict[str, Any]:
    acf_real, acf_gen = d.acfs()
    return {
        "acf_rmse": float(acf_rmse(acf_real, acf_gen)),
        "integral_real": integral_timescale(acf_real),
        "integral_generated": integral_timescale(acf_gen),
        "efolding_real": _none_if_nan(efolding_time(acf_real)),
        "efolding_generated": _none_if_nan(efolding_time(acf_gen)),
        "acf_real": acf_real.tolist(),
        "acf_generated": acf_gen.tolist(),
    }


@METRICS.register("tpsd")
def _tpsd(d: Inputs) -> dict[str, Any]:
    t = d.real.shape[1]
    freq, psd_real = temporal_psd(d.real, nperseg=t)
    _, psd_gen = temporal_psd(d.generated, nperseg=t)
    # Bin 0 is ~0 after Welch's mean removal; a constant set has no power anywhere.
    usable = (freq > 0) & (psd_real > 0) & (psd_gen > 0)
    lsd = float(log_spectral_distance(psd_real[usable], psd_gen[usable])) if usable.any() else None
    return {
        "tpsd_lsd_db": lsd,
        "tpsd_freq": freq.tolist(),
        "tpsd_real": psd_real.tolist(),
        "tpsd_generated": psd_gen.tolist(),
    }


@METRICS.register("distribution")
def _distribution(d: Inputs) -> dict[str, Any]:
    w = d.weights
    return {
        "w1": wasserstein1(d.real, d.generated, a_weights=w, b_weights=w),
        "ks": ks_statistic(d.real, d.generated, a_weights=w, b_weights=w),
        **quantile_errors(d.real, d.generated, weights=w),
    }


@METRICS.register("gridpoint")
def _gridpoint(d: Inputs) -> dict[str, Any]:
    return gridpoint_distances(d.real, d.generated, weights=d.weights)


@METRICS.register("increments")
def _increments(d: Inputs) -> dict[str, Any]:
    return increment_distances(d.real, d.generated, weights=d.weights)


@METRICS.register("diversity")
def _diversity(d: Inputs) -> dict[str, Any]:
    enough = len(d.generated) > 1 and len(d.real) > 1
    out = {"diversity_ratio": pairwise_distance_ratio(d.generated, d.real) if enough else None}
    return {**out, **direction_counts(d.generated, d.real)}


PRDC_K = 5  # Naeem et al. (2020)


@METRICS.register("prdc")
def _prdc(d: Inputs) -> dict[str, Any]:
    if min(len(d.real), len(d.generated)) <= PRDC_K:
        return dict.fromkeys(("precision", "recall", "density", "coverage"))
    return feature_prdc(d.real, d.generated, k=PRDC_K)


@METRICS.register("memorisation")
def _memorisation(d: Inputs) -> dict[str, Any]:
    if d.train is None:
        return {}  # needs the training windows (stgan evaluate --train)
    out = memorisation(d.generated, d.train, d.real)
    return {k: _none_if_nan(v) for k, v in out.items()}


def compare(
    real: np.ndarray,
    generated: np.ndarray,
    *,
    metrics: list[str] | tuple[str, ...] | None = None,
    max_lag: int = 10,
    weights: np.ndarray | None = None,
    wavenumbers: str = "index",
    train: np.ndarray | None = None,
) -> dict[str, Any]:
    """Run the ``metrics`` entries (default: all) on generated vs real (·, T, H, W) windows."""
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
    )
    result: dict[str, Any] = {}
    for key in metrics or METRICS.keys():
        result.update(METRICS.get(key)(inputs))
    return result
