"""The calendar month of every step of the windows an evaluation compares.

The ``seasonal_cycle`` metric needs them: the real windows' from the real data's time axis
(cut exactly as :func:`stgan.data.windows.complete_windows` cuts the values), the generated
samples' from the generated file's time coordinate, decoded in any CF calendar (``360_day``
included) by :class:`stgan.data.time_features.TimeFeatures`. A time axis without dates gives
None, and the metric then says it has nothing to compare.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from stgan.data.time_features import TimeFeatures
from stgan.data.windows import complete_mask, strided_windows
from stgan.errors import StganError


def real_window_months(
    months: np.ndarray | None, values: np.ndarray, window: tuple[int, int, int]
) -> np.ndarray | None:
    """(N, T) months of the complete windows of ``values`` (T_all, H_all, W_all).

    ``months`` (T_all,) are the months of the steps of ``values`` (None: no dates). The
    windows are those :func:`~stgan.data.windows.complete_windows` keeps, in its order: tiles
    in time-major order, a tile dropped when it misses a value that is not statically masked.
    """
    if months is None:
        return None
    t, h, w = window
    complete = complete_mask(values, window)
    # The same tiling on a grid of one cell per tile: each window's steps, in the same order.
    tiles = values.shape[1] // h, values.shape[2] // w
    steps = np.broadcast_to(np.asarray(months)[:, None, None], (len(months), *tiles))
    return strided_windows(steps, (t, 1, 1))[:, :, 0, 0][complete]


def generated_months(da: xr.DataArray, tdim: str) -> np.ndarray | None:
    """(N, T) months of generated samples ``da`` (sample, ``tdim``, y, x), from its time
    coordinate (shared by all samples, or one per sample); None without dates."""
    if tdim not in da.coords:
        return None
    coord = da[tdim]
    if coord.ndim == 2:
        coord = coord.transpose("sample", tdim)
    elif coord.dims != (tdim,):
        raise StganError(
            f"the generated time coordinate {tdim!r} has dimensions {list(coord.dims)}; "
            f"expected ({tdim},) or (sample, {tdim})"
        )
    values = np.asarray(coord.values)
    month = TimeFeatures.from_times(values.ravel()).month
    if month is None:
        return None
    month = month.reshape(values.shape)
    return np.broadcast_to(month, (da.sizes["sample"], da.sizes[tdim]))
