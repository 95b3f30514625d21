"""``tpsd``: the temporal power spectrum (Welch) of generated vs real series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stgan.metrics.base import Inputs, Metric
from stgan.metrics.registry import METRICS
from stgan.metrics.spectral import log_spectral_distance
from stgan.metrics.temporal import temporal_psd


@METRICS.register("tpsd")
@dataclass(frozen=True)
class TemporalSpectrum(Metric):
    """Log-spectral distance of the Welch temporal PSD (one segment per window, mean over grid
    points and windows), over the frequencies > 0 where both sets have power (None if none)."""

    units = {"tpsd_lsd_db": "dB"}
    description = "log-spectral distance of the Welch temporal PSD over frequencies > 0"

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """Distance and both spectra (``tpsd_freq``, ``tpsd_real``, ``tpsd_generated``)."""
        t = inputs.real.shape[1]
        freq, psd_real = temporal_psd(inputs.real, nperseg=t)
        _, psd_gen = temporal_psd(inputs.generated, nperseg=t)
        # Bin 0 is ~0 after Welch's mean removal; a constant set has no power anywhere.
        usable = (freq > 0) & (psd_real > 0) & (psd_gen > 0)
        lsd = (
            float(log_spectral_distance(psd_real[usable], psd_gen[usable]))
            if usable.any()
            else None
        )
        return {
            "tpsd_lsd_db": lsd,
            "tpsd_freq": freq.tolist(),
            "tpsd_real": psd_real.tolist(),
            "tpsd_generated": psd_gen.tolist(),
        }
