"""The calendar month of every step of the windows an evaluation compares.

The ``seasonal_cycle`` metric needs them: the real windows' from the real data's time axis
(read with the windows, :mod:`stgan.report.real_windows`), the generated
samples' from the generated file's time coordinate, decoded in any CF calendar (``360_day``
included) by :class:`stgan.data.time_features.TimeFeatures`. A time axis without dates gives
None, and the metric then says it has nothing to compare.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from stgan.data.time_features import TimeFeatures
from stgan.errors import StganError


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
