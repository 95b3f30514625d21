"""``prdc``: precision, recall, density and coverage on summary features of each window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import Inputs, Metric
from stgan.metrics.diversity import feature_prdc
from stgan.metrics.registry import METRICS


@METRICS.register("prdc")
@dataclass(frozen=True)
class Prdc(Metric):
    """Naeem et al. (2020) k-nearest-neighbour precision/recall/density/coverage on the
    standardised summary features of :func:`stgan.metrics.diversity.prdc_features`.

    Precision: share of generated windows inside some real k-NN ball (realism); recall: share
    of real windows inside some generated ball; density: real balls per generated window ÷ k
    (≈ 1 when matched); coverage: share of real balls holding a generated window (collapse
    lowers it; ≈ 1 − 2^−k for two draws of one distribution of equal size). All None when a
    set has k windows or fewer.
    """

    k: int = 5  # Naeem et al. (2020)

    units = {"precision": "1", "recall": "1", "density": "1", "coverage": "1"}
    description = (
        "Naeem et al. (2020) precision, recall, density, coverage with k = 5 nearest "
        "neighbours on standardised summary features (quantiles, log RAPSD, ACF) per window"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """``precision``, ``recall``, ``density`` and ``coverage``."""
        if min(len(inputs.real), len(inputs.generated)) <= self.k:
            return dict.fromkeys(self.units)
        return feature_prdc(inputs.real, inputs.generated, k=self.k)
