"""``gridpoint``: each grid point's values, generated vs real."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import VALUE, Inputs, Metric
from stgan.metrics.distribution import gridpoint_distances
from stgan.metrics.registry import METRICS


@METRICS.register("gridpoint")
@dataclass(frozen=True)
class Gridpoint(Metric):
    """W1 and KS of the values at each grid point (over windows and steps), averaged over
    points (area-weighted): sees right values at the wrong places, which pooling cannot."""

    units = {"w1_gridpoint": VALUE, "ks_gridpoint": "1"}
    description = "W1 / KS of each grid point's values, averaged over grid points"

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """``w1_gridpoint`` and ``ks_gridpoint``."""
        return gridpoint_distances(inputs.real, inputs.generated, weights=inputs.weights)
