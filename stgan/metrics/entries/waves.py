"""``waves``: mode coverage of data made by ``stgan make-data waves``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stgan.data.wave_labels import label_windows, mode_coverage
from stgan.metrics.base import Inputs, Metric
from stgan.metrics.registry import METRICS


@METRICS.register("waves")
@dataclass(frozen=True)
class WavesCoverage(Metric):
    """Modes covered and the high-quality fraction of both sets, for travelling-wave data.

    Each window is labelled with its nearest of the K wave modes and scored by how cleanly one
    wave of that mode fits it (:func:`stgan.data.wave_labels.label_windows`); a mode is covered
    when enough windows are high-quality waves of it
    (:func:`stgan.data.wave_labels.mode_coverage`). The dataset is recognised by the variable's
    ``modes``, ``wavelength`` and ``period`` attributes (which generated files inherit); other
    data give nothing.
    """

    units = {
        "modes_covered_real": "count",
        "modes_covered_generated": "count",
        "high_quality_fraction_real": "1",
        "high_quality_fraction_generated": "1",
        "mode_counts_real": "count",
        "mode_counts_generated": "count",
    }
    description = (
        "wave modes with enough high-quality windows (R² of one plane wave ≥ threshold), "
        "share of such windows, and their count per mode"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """``modes_covered_*``, ``high_quality_fraction_*`` and ``mode_counts_*`` (K counts)."""
        attrs = inputs.attrs
        if not {"modes", "wavelength", "period"} <= set(attrs):
            return {}
        options = {
            "modes": int(attrs["modes"]),
            "wavelength": float(attrs["wavelength"]),
            "period": float(attrs["period"]),
        }
        out = {}
        for label, x in (("real", inputs.real), ("generated", inputs.generated)):
            labels, quality = label_windows(np.nan_to_num(x), **options)
            coverage = mode_coverage(labels, quality, modes=options["modes"])
            out[f"modes_covered_{label}"] = int(coverage["modes_covered"])
            out[f"high_quality_fraction_{label}"] = float(coverage["high_quality_fraction"])
            out[f"mode_counts_{label}"] = coverage["counts"]  # high-quality windows per mode
        return out
