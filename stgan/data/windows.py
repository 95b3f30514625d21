"""Space-time windows: random crops for training, a strided deterministic set for evaluation."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset


class RandomWindows(Dataset):
    """``length`` random ``(T, H, W)`` crops of a (C, T_all, H_all, W_all) array per epoch.

    Crop corners come from torch's global generator, which Lightning seeds (and re-seeds per
    dataloader worker), so runs with a fixed seed repeat.
    """

    def __init__(self, data: torch.Tensor, window: tuple[int, int, int], length: int) -> None:
        self.data = data  # (C, T_all, H_all, W_all), standardised float32
        self.window = window
        self.length = length
        self.max_start = [n - w + 1 for n, w in zip(data.shape[1:], window)]

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> torch.Tensor:
        t0, y0, x0 = (int(torch.randint(m, ())) for m in self.max_start)
        t, h, w = self.window
        return self.data[:, t0 : t0 + t, y0 : y0 + h, x0 : x0 + w]  # (C, T, H, W)


def count_windows(shape: tuple[int, int, int], window: tuple[int, int, int]) -> int:
    """Number of distinct window positions in a (T, H, W) block."""
    return int(np.prod([max(n - w + 1, 0) for n, w in zip(shape, window)]))


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
