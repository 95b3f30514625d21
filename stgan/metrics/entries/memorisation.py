"""``memorisation``: are generated windows copies of training windows?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import VALUE, Inputs, Metric, none_if_nan
from stgan.metrics.diversity import memorisation
from stgan.metrics.registry import METRICS


@METRICS.register("memorisation")
@dataclass(frozen=True)
class Memorisation(Metric):
    """Median distance of generated windows to their nearest training window ÷ the same for
    the real (compared) windows: ≈ 1 or above for a generator that learnt the distribution,
    → 0 for one that copies. Needs the training windows (``stgan evaluate --train``); without
    them it returns nothing."""

    units = {
        "nn_distance_generated": VALUE,
        "nn_distance_heldout": VALUE,
        "memorisation_ratio": "1",
        "copy_fraction": "1",
    }
    description = (
        "median nearest-training-neighbour RMS distance of generated ÷ real windows; share of "
        "generated windows nearer to training than any real window"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """The ratio, the share of copies and both median distances (empty without ``train``)."""
        if inputs.train is None:
            return {}
        out = memorisation(inputs.generated, inputs.train, inputs.real)
        return {k: none_if_nan(v) for k, v in out.items()}
