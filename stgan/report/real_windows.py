"""The real windows an evaluation compares, read from disk in blocks with bounded memory.

The windows are those of :func:`stgan.data.windows.complete_windows` on the whole real time
range, in its order, but the data are never held whole: the file is read in blocks of whole
windows in time (at most :data:`READ_BYTES` of float32 values each) and

1. a first pass finds the static mask (cells missing at every step);
2. a second pass finds which windows are complete (no missing value off the static mask);
3. when there are more complete windows than ``max_windows``, an evenly spaced subsample of
   that many is kept (the first and the last among them, the rest at equal steps in between),
   read in a third pass; otherwise every complete window is kept (from the second pass).

Peak memory is then one block plus the windows kept, however long the file: the windows'
metrics (pairwise distances among them included) are computed on at most ``max_windows``
windows. The default keeps :data:`MAX_REAL_VALUES` values in all (thousands of windows of
the usual sizes); a file small enough to fit it gives every window, as before.
A range that fits in one read is read once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from stgan.data.windows import strided_windows
from stgan.io.source import GridSource

# One read: at most this many bytes of float32 values (all variables), rounded to whole windows.
READ_BYTES = 2**27
# Default bound on the values of the real windows kept: 128 MiB in float64 (2048 windows of
# 8 x 32 x 32). The metrics' working memory is several times their windows' (sorts for the
# quantiles and per-point distributions, FFTs), so this bounds an evaluation's peak RSS at
# about 1.5 GiB (benchmarks/bench_eval_rss.py).
MAX_REAL_VALUES = 2**24


def default_max_windows(window: tuple[int, int, int]) -> int:
    """How many real windows of ``window`` (T, H, W) an evaluation keeps by default."""
    return max(1, MAX_REAL_VALUES // math.prod(window))


def read_real_windows(
    source: GridSource,
    steps: slice,
    window: tuple[int, int, int],
    max_windows: int | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Per variable of ``source``, its kept complete windows of steps ``steps`` and their months.

    Parameters
    ----------
    source : GridSource
        The real data.
    steps : slice
        The time steps compared (``start`` and ``stop`` set).
    window : (T, H, W)
        The generated windows' size.
    max_windows : int, optional
        Most windows kept per variable (default :func:`default_max_windows`).

    Returns
    -------
    windows : list of numpy.ndarray
        Per variable, (N, T, H, W) float64, NaN on the static mask.
    months : list of numpy.ndarray or None
        Per variable, the (N, T) calendar months of the windows' steps (None: no dates).
    """
    t, h, w = window
    max_windows = default_max_windows(window) if max_windows is None else max_windows
    n_vars, (ny, nx) = len(source.variables), (source.sizes["y"], source.sizes["x"])
    n_blocks = (steps.stop - steps.start) // t  # windows in time
    tiles = (ny // h) * (nx // w)  # windows per block of time
    per_read = max(1, READ_BYTES // (4 * n_vars * t * ny * nx))

    if n_blocks <= per_read:  # all in one read, which every pass reuses
        everything = source.read(steps.start, steps.stop)  # (C, T_all, H, W)

        def blocks() -> Iterator[tuple[int, np.ndarray]]:
            yield 0, everything[:, : n_blocks * t]

        static = np.isnan(everything).all(axis=1)
    else:

        def blocks() -> Iterator[tuple[int, np.ndarray]]:
            for row in range(0, n_blocks, per_read):
                t0 = steps.start + row * t
                yield row, source.read(t0, t0 + min(per_read, n_blocks - row) * t)

        # Pass 1: the static mask, over every step compared (the leftover ones too).
        static = np.ones((n_vars, ny, nx), dtype=bool)
        for _, values in blocks():
            static &= np.isnan(values).all(axis=1)
        if (steps.stop - steps.start) % t:
            static &= np.isnan(source.read(steps.start + n_blocks * t, steps.stop)).all(axis=1)

    # Pass 2: which windows are complete; kept at once when all of them fit.
    keep_all = n_blocks * tiles <= max_windows
    complete: list[list[np.ndarray]] = [[] for _ in range(n_vars)]
    kept: list[list[np.ndarray]] = [[] for _ in range(n_vars)]
    for _, values in blocks():
        for c in range(n_vars):
            ok = strided_windows(np.isfinite(values[c]) | static[c], window).all(axis=(1, 2, 3))
            complete[c].append(ok)
            if keep_all:
                kept[c].append(strided_windows(values[c], window)[ok].astype(np.float64))
    chosen = [_evenly_spaced(np.flatnonzero(np.concatenate(f)), max_windows) for f in complete]

    # Pass 3, only when subsampling: read again and keep the chosen windows.
    if not keep_all:
        for row, values in blocks():
            lo, hi = row * tiles, (row + values.shape[1] // t) * tiles
            for c in range(n_vars):
                pick = chosen[c][(chosen[c] >= lo) & (chosen[c] < hi)] - lo
                kept[c].append(strided_windows(values[c], window)[pick].astype(np.float64))
    windows = [np.concatenate(k) if k else np.empty((0, t, h, w)) for k in kept]
    months = [_months(source.months, steps, t, index, tiles) for index in chosen]
    return windows, months


def _evenly_spaced(index: np.ndarray, most: int) -> np.ndarray:
    """``index`` whole when it has at most ``most`` entries, else ``most`` of them evenly spaced."""
    if len(index) <= most:
        return index
    return index[np.linspace(0, len(index) - 1, most).round().astype(np.int64)]


def _months(
    months: np.ndarray | None, steps: slice, length: int, index: np.ndarray, tiles: int
) -> np.ndarray | None:
    """(N, T) months of the windows numbered ``index`` (time-major, ``tiles`` per block)."""
    if months is None:
        return None
    first_step = steps.start + (index // tiles) * length
    return np.asarray(months)[first_step[:, None] + np.arange(length)]
