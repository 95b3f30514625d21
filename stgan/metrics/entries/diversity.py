"""``diversity``: how different generated samples are from each other, and how many ways
they travel, against the real windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import Inputs, Metric
from stgan.metrics.directions import direction_counts
from stgan.metrics.diversity import pairwise_distance_ratio
from stgan.metrics.registry import METRICS


@METRICS.register("diversity")
@dataclass(frozen=True)
class Diversity(Metric):
    """Mean pairwise RMS distance among generated windows ÷ the same among real windows (≈ 1
    as diverse as the data, ≈ 0 mode collapse; None with fewer than two windows in a set),
    and the effective number of dominant propagation directions of each set."""

    units = {
        "diversity_ratio": "1",
        "directions_generated": "sectors",
        "directions_real": "sectors",
        "direction_ratio": "1",
    }
    description = (
        "mean pairwise distance generated ÷ real; effective number of propagation directions "
        "of each set and their ratio"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """``diversity_ratio``, ``directions_*`` and ``direction_ratio``."""
        gen, real = inputs.generated, inputs.real
        enough = len(gen) > 1 and len(real) > 1
        out = {"diversity_ratio": pairwise_distance_ratio(gen, real) if enough else None}
        return {**out, **direction_counts(gen, real)}
