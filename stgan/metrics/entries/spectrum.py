"""``spectrum``: the spatial power spectrum (RAPSD) of generated vs real frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import Inputs, Metric
from stgan.metrics.registry import METRICS
from stgan.metrics.spectral import log_spectral_distance, spectral_slope


@METRICS.register("spectrum")
@dataclass(frozen=True)
class Spectrum(Metric):
    """Log-spectral distance of the mean RAPSD and the log-log slope of each set's spectrum.

    The mean RAPSD is the mean over every frame in linear space; the distance is
    ``sqrt(mean_k (10 log10 P_real(k) − 10 log10 P_gen(k))²)`` over bins k ≥ 1 (bin 0 is the
    frame mean, not a spatial scale). Slopes need at least 5 bins (None otherwise).
    """

    units = {
        "rapsd_lsd_db": "dB",
        "spectral_slope_real": "1",
        "spectral_slope_generated": "1",
    }
    description = (
        "log-spectral distance of the mean RAPSD over bins k ≥ 1, "
        "sqrt(mean_k (10·log10 P_real − 10·log10 P_gen)²); log-log slopes of both spectra"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """Distance, slopes and the two spectra (``rapsd_freq``, ``rapsd_real/generated``)."""
        p_real, p_gen, freq = inputs.spectra()
        can_fit_slope = p_real.size >= 5
        return {
            "rapsd_lsd_db": float(log_spectral_distance(p_real[1:], p_gen[1:])),
            "spectral_slope_real": spectral_slope(p_real, freq) if can_fit_slope else None,
            "spectral_slope_generated": spectral_slope(p_gen, freq) if can_fit_slope else None,
            "rapsd_freq": freq.tolist(),
            "rapsd_real": p_real.tolist(),
            "rapsd_generated": p_gen.tolist(),
        }
