"""Space-time windows: random crops for training, a strided deterministic set for evaluation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import Dataset


def valid_starts(split: slice, length: int, bad_steps: np.ndarray) -> np.ndarray:
    """Start steps ``t0`` in ``split`` with ``[t0, t0 + length)`` inside it and free of bad steps."""
    bad = np.concatenate([[0], np.cumsum(bad_steps[split.start : split.stop], dtype=np.int64)])
    n = split.stop - split.start - length + 1
    if n <= 0:
        return np.empty(0, np.int64)
    clean = bad[length : length + n] - bad[:n] == 0
    return split.start + np.flatnonzero(clean)


class WindowDataset(Dataset):
    """``length`` random ``(T, H, W)`` crops per epoch, each with its validity mask.

    Items are ``(x, valid, corner, time)``: ``x`` (C, T, H, W) standardised with masked cells at 0,
    ``valid`` (1, 1, H, W), 0 on the static mask, the crop's ``(y0, x0)`` in the grid and its
    steps' rows of ``times`` (T, 4; NaN without ``times``;
    :func:`stgan.conditioning.place.time_table`), from which conditioned models compute their
    conditions. Crops come from the resident tensor when the split is held in memory, else from
    ``read`` (disk). On a periodic longitude axis a crop may wrap around. The crop of item
    ``index`` is a pure function of ``(seed, index)``: its corner is drawn from a NumPy
    generator seeded with both, never from torch's global generator, so the same ids give the
    same windows in any process, worker or resumed run (ids beyond ``length`` are later epochs;
    see :mod:`stgan.data.sampler`).
    """

    def __init__(
        self,
        *,
        read: Callable[..., np.ndarray],
        resident: torch.Tensor | None,
        offset: int,
        starts: np.ndarray,
        window: tuple[int, int, int],
        grid: tuple[int, int],
        periodic_x: bool,
        mask: np.ndarray,
        length: int,
        times: np.ndarray | None = None,
        seed: int = 0,
    ) -> None:
        self.read, self.resident, self.offset = read, resident, offset
        self.starts = torch.as_tensor(starts)
        self.window, self.grid, self.periodic_x = window, grid, periodic_x
        self.valid = torch.from_numpy(~mask).float()  # (H_all, W_all)
        # (T_all, 4); None: no dates known (NaN rows)
        self.times = None if times is None else torch.from_numpy(np.asarray(times, np.float32))
        self.length = length
        self.seed = int(seed)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        t, h, w = self.window
        rng = np.random.default_rng((self.seed, int(index)))
        t0 = int(self.starts[int(rng.integers(len(self.starts)))])
        y0 = int(rng.integers(self.grid[0] - h + 1))
        x0 = int(rng.integers(self.grid[1] if self.periodic_x else self.grid[1] - w + 1))
        xs = torch.arange(x0, x0 + w) % self.grid[1]  # wraps only on a periodic axis
        if self.resident is not None:
            rows = self.resident[:, t0 - self.offset : t0 - self.offset + t, y0 : y0 + h]
            x = rows.index_select(-1, xs)
        else:
            x = torch.from_numpy(self.read(t0, t0 + t, y0=y0, h=h, x0=x0, w=w))
        valid = self.valid[y0 : y0 + h].index_select(-1, xs)
        corner = torch.tensor([y0, x0])
        # (C, T, H, W), (1, 1, H, W), (2,), (T, 4)
        steps = torch.full((t, 4), float("nan")) if self.times is None else self.times[t0 : t0 + t]
        return x, valid[None, None], corner, steps


def strided_windows(data: np.ndarray, window: tuple[int, int, int]) -> np.ndarray:
    """Non-overlapping windows tiled from the start of each axis, stacked first.

    ``data`` is (..., T_all, H_all, W_all); the result is (N, ..., T, H, W) with
    N = ⌊T_all/T⌋·⌊H_all/H⌋·⌊W_all/W⌋. Leftover steps or cells at the ends are unused.
    """
    t, h, w = window
    nt, nh, nw = (n // k for n, k in zip(data.shape[-3:], window))
    out = [
        data[..., i * t : (i + 1) * t, j * h : (j + 1) * h, k * w : (k + 1) * w]
        for i in range(nt)
        for j in range(nh)
        for k in range(nw)
    ]
    if not out:
        return np.empty((0, *data.shape[:-3], t, h, w), dtype=data.dtype)
    return np.stack(out)


def complete_windows(values: np.ndarray, window: tuple[int, int, int]) -> np.ndarray:
    """The complete (N, T, H, W) windows of (T_all, H_all, W_all) values, tiled as :func:`strided_windows`.

    Cells missing at every step (a static mask) stay NaN; windows with any other missing
    value are dropped (:func:`complete_mask`).
    """
    return strided_windows(values, window)[complete_mask(values, window)]


def complete_mask(values: np.ndarray, window: tuple[int, int, int]) -> np.ndarray:
    """(N,) which of the :func:`strided_windows` of (T_all, H_all, W_all) values are complete:
    no missing value other than a cell missing at every step (a static mask)."""
    static = np.isnan(values).all(axis=0)
    return strided_windows(np.isfinite(values) | static, window).all(axis=(1, 2, 3))
