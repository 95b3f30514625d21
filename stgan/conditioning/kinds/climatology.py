"""``climatology``: the per-gridpoint mean and spread of each variable for the step's month."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import Condition
from stgan.conditioning.place import Place, crop

# Steps read at a time while the climatology is summed over the training split.
CHUNK_STEPS = 256


@CONDITIONS.register("climatology")
class Climatology(Condition):
    """2·C channels: each variable's mean and standard deviation at each cell for the step's
    calendar month, over the training split, in the standardised units the networks see.

    G then has the map it must reproduce in front of it: where the cold tongue lies, where
    the variance is large, and how both change with the season. A month the training split
    never holds (annual data stamped in one month) takes the all-steps map; so does every
    step of a numeric time axis.
    """

    def __init__(self, channels: int, grid: tuple[int, int]) -> None:
        super().__init__(channels, grid)
        self.k = 2 * self.channels
        # (mean or std, month, variable, y, x)
        self.register_buffer("table", torch.zeros(2, 12, self.channels, *self.grid))

    def fill(self, data: Any) -> None:
        """Monthly mean and std maps of the standardised training split, streamed in chunks."""
        train = data.splits["train"]
        months = data.time_features.month
        shape = (13, self.channels, *self.grid)  # slot 12: every step
        total, square, count = np.zeros(shape), np.zeros(shape), np.zeros(13)
        for t0 in range(train.start, train.stop, CHUNK_STEPS):
            t1 = min(t0 + CHUNK_STEPS, train.stop)
            z = data.standardised(t0, t1).astype(np.float64).transpose(1, 0, 2, 3)  # (T, C, H, W)
            slots = np.full(t1 - t0, 12) if months is None else np.asarray(months[t0:t1]) - 1
            for slot, part in [(s, z[slots == s]) for s in np.unique(slots[slots < 12])] + [
                (12, z)
            ]:
                total[slot] += part.sum(axis=0)
                square[slot] += (part**2).sum(axis=0)
                count[slot] += len(part)
        empty = count[:12] == 0
        total[:12][empty], square[:12][empty], count[:12][empty] = total[12], square[12], count[12]
        mean = total[:12] / count[:12, None, None, None]
        std = np.sqrt(np.maximum(square[:12] / count[:12, None, None, None] - mean**2, 0.0))
        self.table.copy_(torch.from_numpy(np.stack([mean, std]).astype(np.float32)))

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """Each step's month's maps, cropped to the window: (B, 2·C, T, H, W)."""
        b, c = place.corner.shape[0], self.channels
        maps = crop(self.table.flatten(0, 2), place.corner, window[1:])  # (B, 2·12·C, h, w)
        maps = maps.view(b, 2, 12, c, *window[1:])
        month = torch.nan_to_num(place.time[..., 3], nan=1.0).long().clamp(1, 12) - 1  # (B, T)
        rows = torch.arange(b, device=month.device)[:, None]
        picked = maps[rows, :, month]  # (B, T, 2, C, h, w)
        return picked.permute(0, 2, 3, 1, 4, 5).reshape(b, 2 * c, window[0], *window[1:])
