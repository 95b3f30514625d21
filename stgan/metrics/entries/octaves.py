"""``octaves``: the log-spectral distance of the mean RAPSD, octave by octave of wavenumber.

The headline ``rapsd_lsd_db`` is a mean over linear wavenumber bins, so the many small-scale
bins outweigh the few large-scale ones: a generator that gets the largest scales wrong by
10 dB can still score well. Per octave, each band of scales counts on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from stgan.metrics.base import Inputs, Metric
from stgan.metrics.registry import METRICS
from stgan.metrics.spectral import log_spectral_distance


def octave_edges(n_bins: int) -> np.ndarray:
    """Edges ``[1, 2, 4, …, n_bins]`` of the octaves of a spectrum of ``n_bins`` bins.

    Octave ``i`` holds the bins ``k`` with ``edges[i] ≤ k < edges[i + 1]``; the last one ends
    at the Nyquist bin ``n_bins − 1`` and may be shorter than an octave. Bin 0 (the window
    mean) belongs to none. Empty when there is no bin k ≥ 1.

    Examples
    --------
    >>> octave_edges(8).tolist(), octave_edges(10).tolist()
    ([1, 2, 4, 8], [1, 2, 4, 8, 10])
    """
    edges = [1]
    while edges[-1] < n_bins:
        edges.append(min(2 * edges[-1], n_bins))
    return np.asarray(edges if len(edges) > 1 else [], dtype=np.int64)


def octave_distances(p_real: np.ndarray, p_gen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-spectral distance (dB) of two mean spectra in each octave, and the octave edges.

    Within octave ``i`` the distance is ``sqrt(mean_k (10 log10 P_real(k) − 10 log10
    P_gen(k))²)`` over its bins (:func:`stgan.metrics.spectral.log_spectral_distance`), so a
    generated power 10 times the real one throughout an octave is 10 dB there.

    Examples
    --------
    >>> p = np.ones(8)
    >>> lsd, edges = octave_distances(p, np.r_[1.0, 1.0, 10.0, 10.0, 1, 1, 1, 1])
    >>> lsd.round(6).tolist(), edges.tolist()
    ([0.0, 10.0, 0.0], [1, 2, 4, 8])
    """
    edges = octave_edges(len(p_real))
    lsd = [log_spectral_distance(p_real[a:b], p_gen[a:b]) for a, b in zip(edges, edges[1:])]
    return np.asarray(lsd, dtype=np.float64), edges


@METRICS.register("octaves")
@dataclass(frozen=True)
class Octaves(Metric):
    """The spectral distance per octave of wavenumber, its worst octave and its largest scale.

    Wavenumbers are RAPSD bin indices k (k / max(H, W) cycles per grid cell, as ``rapsd_freq``);
    the octaves are k in [1, 2), [2, 4), [4, 8), … up to the Nyquist bin. The curve
    ``rapsd_lsd_db_octaves`` (one distance per octave) comes with ``rapsd_octave_edges``
    (the k edges, one more than the octaves). A grid too small for a bin k ≥ 1 gives None.
    """

    units = {"rapsd_lsd_db_worst_octave": "dB", "rapsd_lsd_db_largest_scale": "dB"}
    description = (
        "log-spectral distance of the mean RAPSD within each octave of wavenumber bins k "
        "([1, 2), [2, 4), … up to Nyquist): the largest over octaves, and that of octave 1 "
        "(the largest scale)"
    )

    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """The two scalars, the per-octave curve and its edges."""
        p_real, p_gen, _ = inputs.spectra()
        lsd, edges = octave_distances(p_real, p_gen)
        if lsd.size == 0:
            return {"rapsd_lsd_db_worst_octave": None, "rapsd_lsd_db_largest_scale": None}
        return {
            "rapsd_lsd_db_worst_octave": float(lsd.max()),
            "rapsd_lsd_db_largest_scale": float(lsd[0]),
            "rapsd_lsd_db_octaves": lsd.tolist(),
            "rapsd_octave_edges": edges.tolist(),
        }
