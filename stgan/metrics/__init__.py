"""Domain metrics for gridded space-time samples.

Arrays are numpy arrays or torch tensors shaped ``(..., T, H, W)`` or ``(..., H, W)``; array
results come back in the kind of the input.
"""

from stgan.metrics.distribution import wasserstein1
from stgan.metrics.spectral import log_spectral_distance, mean_rapsd, rapsd
from stgan.metrics.temporal import acf_rmse, temporal_acf

__all__ = [
    "acf_rmse",
    "log_spectral_distance",
    "mean_rapsd",
    "rapsd",
    "temporal_acf",
    "wasserstein1",
]
