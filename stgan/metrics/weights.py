"""Area weights for regular latitude-longitude grids.

On such a grid a cell's area is proportional to the cosine of its latitude, so a pooled
statistic that counts every cell alike over-weights the poles. The weights here are
``cos(lat)``, scaled to mean 1 over the grid so that weighted and unweighted statistics of
a uniform field agree.
"""

from __future__ import annotations

import numpy as np

from stgan.errors import StganError


def area_weights(lat: np.ndarray, width: int) -> np.ndarray:
    """``cos(lat)`` weights of an (H, W) latitude-longitude grid, mean 1.

    Parameters
    ----------
    lat : array of shape (H,)
        Cell-centre latitudes in degrees, within [−90, 90].
    width : int
        Number of longitudes W.
    """
    lat = np.asarray(lat, dtype=np.float64)
    if lat.ndim != 1 or not np.all(np.abs(lat) <= 90):
        raise StganError(f"latitudes must be a 1-D array of degrees within [-90, 90]; got {lat!r}")
    w = np.clip(np.cos(np.deg2rad(lat)), 0.0, None)
    if not w.sum() > 0:
        raise StganError("every latitude is at a pole: area weights are all zero")
    w = np.broadcast_to(w[:, None], (lat.size, width))
    return w / w.mean()
