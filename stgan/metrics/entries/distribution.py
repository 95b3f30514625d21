"""``distribution``: the pooled values of generated vs real windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import VALUE, Inputs, Metric
from stgan.metrics.distribution import ks_statistic, quantile_errors, wasserstein1
from stgan.metrics.registry import METRICS


@METRICS.register("distribution")
@dataclass(frozen=True)
class Distribution(Metric):
    """Wasserstein-1 and Kolmogorov–Smirnov distances of all values pooled (area-weighted),
    and the signed quantile errors ``q_gen(p) − q_real(p)`` at p = 1, 50, 99, 99.9 %."""

    units = {"w1": VALUE, "ks": "1", "q01": VALUE, "q50": VALUE, "q99": VALUE, "q99.9": VALUE}
    description = (
        "Wasserstein-1 ∫|F_real − F_gen| and KS max|F_real − F_gen| of the pooled values; "
        "generated − real quantiles at 1, 50, 99, 99.9 %"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """``w1``, ``ks`` and the quantile errors ``q01`` … ``q99.9``."""
        w = inputs.weights
        real, gen = inputs.real, inputs.generated
        return {
            "w1": wasserstein1(real, gen, a_weights=w, b_weights=w),
            "ks": ks_statistic(real, gen, a_weights=w, b_weights=w),
            **quantile_errors(real, gen, weights=w),
        }
