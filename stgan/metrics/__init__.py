"""Domain metrics for gridded space-time samples.

Arrays are numpy arrays or torch tensors shaped ``(..., T, H, W)`` or ``(..., H, W)``; array
results come back in the kind of the input.
"""

from stgan.metrics.distribution import (
    cross_channel_correlation_error,
    ks_statistic,
    pairwise_distance_ratio,
    quantile_errors,
    wasserstein1,
)
from stgan.metrics.spectral import log_spectral_distance, mean_rapsd, rapsd, spectral_slope
from stgan.metrics.temporal import (
    acf_rmse,
    efolding_time,
    integral_timescale,
    temporal_acf,
    temporal_psd,
)

__all__ = [
    "acf_rmse",
    "cross_channel_correlation_error",
    "efolding_time",
    "integral_timescale",
    "ks_statistic",
    "pairwise_distance_ratio",
    "quantile_errors",
    "spectral_slope",
    "log_spectral_distance",
    "mean_rapsd",
    "rapsd",
    "temporal_acf",
    "temporal_psd",
    "wasserstein1",
]
