"""The months of the complete windows of an in-memory array: the reference the streamed
reader of :mod:`stgan.report.real_windows` is checked against."""

from __future__ import annotations

import numpy as np

from stgan.data.windows import complete_mask, strided_windows


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
