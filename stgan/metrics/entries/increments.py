"""``increments``: spatial gradients and temporal differences, generated vs real."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import VALUE, Inputs, Metric
from stgan.metrics.distribution import increment_distances
from stgan.metrics.registry import METRICS


@METRICS.register("increments")
@dataclass(frozen=True)
class Increments(Metric):
    """W1 of the spatial-gradient magnitudes (per grid cell) and of the temporal differences
    (per time step): too smooth or too rough fields, too slow or too fast changes."""

    units = {"w1_gradient": VALUE + " per grid cell", "w1_tdiff": VALUE + " per time step"}
    description = "W1 of spatial-gradient magnitudes and of temporal differences x_{t+1} − x_t"

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """``w1_gradient`` and ``w1_tdiff``."""
        return increment_distances(inputs.real, inputs.generated, weights=inputs.weights)
