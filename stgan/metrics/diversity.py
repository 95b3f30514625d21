"""Diversity and collapse: pairwise-distance ratio, precision/recall/density/coverage on
summary features, and the nearest-training-neighbour test for memorisation.

Samples are the first axis of every array; a sample is one (T, H, W) window (or anything
flattened behind the first axis). Missing cells (NaN) are set to 0 in every set alike.
"""

from __future__ import annotations

import numpy as np
import torch

from stgan.errors import StganError
from stgan.metrics.distribution import gradient_magnitude
from stgan.metrics.spectral import Array, _as_float64_numpy, fill_frames, rapsd
from stgan.metrics.temporal import temporal_acf


def _flat(x: Array) -> torch.Tensor:
    v = np.nan_to_num(_as_float64_numpy(x))
    return torch.from_numpy(v.reshape(len(v), -1))


def _rms_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(len(a), len(b)) root-mean-square distances between flattened samples."""
    centre = a.mean(0)  # distances do not change under a shift; centring avoids cancellation
    return torch.cdist(a - centre, b - centre) / np.sqrt(a.shape[1])


def pairwise_distance_ratio(generated: Array, real: Array) -> float:
    """Mean pairwise RMS distance among generated samples ÷ the same among real samples.

    About 1 for a generator as diverse as the data; near 0 for mode collapse (all samples alike).
    """

    def mean_pairwise(x: Array) -> float:
        flat = _flat(x)
        if len(flat) < 2:
            raise StganError("the diversity ratio needs at least two samples in each set")
        d = _rms_distances(flat, flat)
        iu = torch.triu_indices(len(flat), len(flat), 1)
        return float(d[iu[0], iu[1]].mean())

    return mean_pairwise(generated) / mean_pairwise(real)


def summary_features(windows: Array, *, scale: float = 1.0) -> np.ndarray:
    """A short, unitless description of each (T, H, W) window, shape (N, F), for PRDC.

    The windows are divided by ``scale`` first (:func:`prdc_features` passes the real set's
    standard deviation), so that every feature is a pure number. Per window: mean, standard
    deviation, 1/50/99 % quantiles, mean spatial-gradient magnitude, standard deviation of
    the temporal differences, log10 of the frame-mean RAPSD at up to six log-spaced
    wavenumbers (k ≥ 1) and the ACF at lags 1 and 2 (when T allows). Missing cells are left
    out of the statistics and filled with the frame mean for spectra.
    """
    x = _as_float64_numpy(windows) / scale
    if x.ndim != 4:
        raise StganError(f"summary features need (N, T, H, W) windows; got shape {x.shape}")
    flat = x.reshape(len(x), -1)
    feats = [
        np.nanmean(flat, 1),
        np.nanstd(flat, 1),
        *np.nanquantile(flat, [0.01, 0.5, 0.99], axis=1),
    ]
    feats.append(np.nanmean(gradient_magnitude(x).reshape(len(x), -1), 1))
    if x.shape[1] > 1:
        feats.append(np.nanstd(np.diff(x, axis=1).reshape(len(x), -1), 1))
    spectra = rapsd(fill_frames(x)).mean(1)  # (N, n_bins)
    bins = (
        np.unique(np.geomspace(1, spectra.shape[1] - 1, 6).round().astype(int))
        if spectra.shape[1] > 1
        else []
    )
    feats += [np.log10(np.maximum(spectra[:, k], 1e-300)) for k in bins]
    lags = min(2, x.shape[1] - 1)
    if lags:
        acf = temporal_acf(x, lags)
        feats += [np.nan_to_num(acf[:, k]) for k in range(1, lags + 1)]
    return np.stack(feats, axis=1)


# Smallest spread a standardised feature is given (in units of the real data's standard
# deviation, of decades of power, of correlation). A feature nearly constant over the real
# windows (a field whose every frame has the same mean) would otherwise be divided by ~0 and
# swamp every distance, making the k-NN balls, and PRDC with them, meaningless.
FEATURE_STD_FLOOR = 0.01


def prdc_features(real: Array, generated: Array) -> tuple[np.ndarray, np.ndarray]:
    """Summary features of both sets, standardised by the real features' mean and spread.

    Both sets are scaled by the real values' standard deviation (:func:`summary_features`),
    then each feature is centred on the real mean and divided by the real standard deviation,
    floored at :data:`FEATURE_STD_FLOOR`.
    """
    sigma = float(np.nanstd(_as_float64_numpy(real)))
    scale = sigma if sigma > 0 else 1.0
    fr, fg = summary_features(real, scale=scale), summary_features(generated, scale=scale)
    mean, std = fr.mean(0), np.maximum(fr.std(0), FEATURE_STD_FLOOR)
    return (fr - mean) / std, (fg - mean) / std


def prdc(real_features: Array, fake_features: Array, *, k: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage (Naeem et al. 2020) with k-nearest-neighbour balls.

    Each real sample's ball has the radius of its k-th nearest real neighbour (itself left
    out); likewise for fake samples. Precision: share of fake samples inside some real ball
    (realism); recall: share of real samples inside some fake ball; density: mean number of
    real balls holding a fake sample, ÷ k (≈1 when fake matches real, > 1 when piled on dense
    regions); coverage: share of real balls holding at least one fake sample (collapse lowers
    it). Features are used as given; standardise them first (:func:`feature_prdc` does).
    """
    real, fake = (
        torch.as_tensor(_as_float64_numpy(real_features)),
        torch.as_tensor(_as_float64_numpy(fake_features)),
    )
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise StganError(
            f"prdc needs (N, F) feature arrays with the same F; got {tuple(real.shape)}, {tuple(fake.shape)}"
        )
    if min(len(real), len(fake)) <= k:
        raise StganError(
            f"prdc with k={k} needs more than {k} samples in each set; "
            f"got {len(real)} real and {len(fake)} generated"
        )
    radius_real = torch.cdist(real, real).kthvalue(k + 1, dim=1).values  # +1: itself at 0
    radius_fake = torch.cdist(fake, fake).kthvalue(k + 1, dim=1).values
    d = torch.cdist(real, fake)  # (R, F)
    inside_real = d < radius_real[:, None]
    return {
        "precision": float(inside_real.any(0).double().mean()),
        "recall": float((d < radius_fake[None, :]).any(1).double().mean()),
        "density": float(inside_real.sum(0).double().mean() / k),
        "coverage": float((d.min(1).values < radius_real).double().mean()),
    }


def feature_prdc(real: Array, generated: Array, *, k: int = 5) -> dict[str, float]:
    """:func:`prdc` of generated vs real windows on their :func:`prdc_features`."""
    return prdc(*prdc_features(real, generated), k=k)


def memorisation(generated: Array, train: Array, heldout: Array) -> dict[str, float]:
    """Nearest-training-neighbour distances of generated samples against those of held-out data.

    For each generated and each held-out real sample, the RMS distance to its nearest training
    sample. A generator that learnt the distribution sits as far from the training set as
    unseen real data do (ratio ≈ 1 or above); one that copies training samples sits much
    closer (ratio → 0).

    Returns
    -------
    dict
        ``nn_distance_generated`` and ``nn_distance_heldout`` (medians, units of the values),
        ``memorisation_ratio`` (their ratio) and ``copy_fraction``: the share of generated
        samples nearer to a training sample than the nearest held-out sample ever is.
    """
    tr, gen, held = _flat(train), _flat(generated), _flat(heldout)
    if not (tr.shape[1] == gen.shape[1] == held.shape[1]):
        raise StganError("memorisation needs training, generated and held-out windows of one size")

    def nearest(x: torch.Tensor) -> torch.Tensor:
        # Chunks keep the distance matrix small whatever the training set's size.
        return torch.cat([_rms_distances(tr, c).min(0).values for c in x.split(256)])

    d_gen, d_held = nearest(gen), nearest(held)
    med_gen, med_held = float(d_gen.median()), float(d_held.median())
    return {
        "nn_distance_generated": med_gen,
        "nn_distance_heldout": med_held,
        "memorisation_ratio": med_gen / med_held if med_held > 0 else float("nan"),
        "copy_fraction": float((d_gen < d_held.min()).double().mean()),
    }
