"""``acf``: temporal autocorrelation of generated vs real windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import Inputs, Metric, none_if_nan
from stgan.metrics.registry import METRICS
from stgan.metrics.temporal import acf_rmse, efolding_time, integral_timescale


@METRICS.register("acf")
@dataclass(frozen=True)
class Acf(Metric):
    """RMSE between the two sets' temporal ACFs, and each set's time scales.

    ACF per grid point ``ρ_k = Σ_{t<n−k}(x_t−x̄)(x_{t+k}−x̄) / Σ(x_t−x̄)²`` (area-weighted mean
    over points, mean over windows), lags 0 … min(max_lag, T − 1); RMSE over lags ≥ 1. The
    integral time scale is Σ ρ_k up to the first zero crossing; the e-folding time is the lag
    where ρ falls below 1/e (None when it never does within the window).
    """

    units = {
        "acf_rmse": "1",
        "integral_real": "time steps",
        "integral_generated": "time steps",
        "efolding_real": "time steps",
        "efolding_generated": "time steps",
    }
    description = (
        "RMSE over lags 1 … max_lag of the temporal ACF per grid point; integral time scale "
        "Σρ_k to the first zero crossing; e-folding lag where ρ < 1/e"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """RMSE, time scales and both ACF curves (``acf_real``, ``acf_generated``)."""
        acf_real, acf_gen = inputs.acfs()
        return {
            "acf_rmse": float(acf_rmse(acf_real, acf_gen)),
            "integral_real": integral_timescale(acf_real),
            "integral_generated": integral_timescale(acf_gen),
            "efolding_real": none_if_nan(efolding_time(acf_real)),
            "efolding_generated": none_if_nan(efolding_time(acf_gen)),
            "acf_real": acf_real.tolist(),
            "acf_generated": acf_gen.tolist(),
        }
