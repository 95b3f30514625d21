"""``maps``: the mean and standard-deviation maps, generated vs real, in local std units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stgan.errors import StganError
from stgan.metrics.base import Inputs, Metric
from stgan.metrics.registry import METRICS


def map_errors(
    real: np.ndarray, generated: np.ndarray, weights: np.ndarray | None = None
) -> dict[str, float]:
    """Mean and std map errors of generated (N, T, H, W) vs real (M, T, H, W) windows.

    At each grid cell the mean and the standard deviation are taken over every window and
    step; the errors are ``|mean_gen − mean_real| / std_real`` and ``|std_gen − std_real| /
    std_real``, averaged over cells with ``weights`` (H, W) (area weights; default uniform).
    Cells missing in either set, or constant in the real data, are left out.

    Examples
    --------
    >>> real = np.random.default_rng(0).normal(size=(4, 8, 3, 3))
    >>> m = map_errors(real, real + real.std(axis=(0, 1)))  # shifted by one local std
    >>> round(m["mean_map_error"], 6), round(m["std_map_error"], 6)
    (1.0, 0.0)
    """
    r = np.asarray(real, dtype=np.float64)
    g = np.asarray(generated, dtype=np.float64)
    if r.shape[-2:] != g.shape[-2:]:
        raise StganError(f"real and generated grids differ: {r.shape[-2:]} and {g.shape[-2:]}")
    mean_r, std_r = r.mean(axis=(0, 1)), r.std(axis=(0, 1))
    mean_g, std_g = g.mean(axis=(0, 1)), g.std(axis=(0, 1))
    w = np.ones(r.shape[-2:]) if weights is None else np.broadcast_to(weights, r.shape[-2:])
    keep = np.isfinite(mean_r) & np.isfinite(mean_g) & (std_r > 0)
    if not keep.any():
        raise StganError("no grid cell has complete, varying values in both sets")
    w = w[keep] / w[keep].sum()
    return {
        "mean_map_error": float((np.abs(mean_g - mean_r)[keep] / std_r[keep]) @ w),
        "std_map_error": float((np.abs(std_g - std_r)[keep] / std_r[keep]) @ w),
    }


@METRICS.register("maps")
@dataclass(frozen=True)
class Maps(Metric):
    """The per-cell climatology: a mean or variance in the wrong place shows here even when
    the pooled distribution and the spectra are right."""

    units = {"mean_map_error": "1", "std_map_error": "1"}
    description = (
        "|mean_gen − mean_real| / std_real and |std_gen − std_real| / std_real at each grid "
        "cell (over windows and steps), averaged over cells"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """``mean_map_error`` and ``std_map_error`` (in units of the real local std)."""
        return map_errors(inputs.real, inputs.generated, inputs.weights)
