"""Domain metrics for gridded space-time samples.

Arrays are numpy arrays or torch tensors shaped ``(..., T, H, W)`` or ``(..., H, W)``; array
results come back in the kind of the input.
"""

from stgan.metrics.distribution import (
    cross_channel_correlation_error,
    gridpoint_distances,
    increment_distances,
    ks_statistic,
    quantile_errors,
    wasserstein1,
)
from stgan.metrics.diversity import (
    feature_prdc,
    memorisation,
    pairwise_distance_ratio,
    prdc,
    summary_features,
)
from stgan.metrics.spectral import (
    log_spectral_distance,
    mean_rapsd,
    rapsd,
    spectral_slope,
)
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
    "feature_prdc",
    "gridpoint_distances",
    "increment_distances",
    "integral_timescale",
    "ks_statistic",
    "pairwise_distance_ratio",
    "quantile_errors",
    "spectral_slope",
    "log_spectral_distance",
    "mean_rapsd",
    "memorisation",
    "prdc",
    "summary_features",
    "rapsd",
    "temporal_acf",
    "temporal_psd",
    "wasserstein1",
]
