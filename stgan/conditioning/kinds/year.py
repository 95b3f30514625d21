"""``year``: the date as a number, standardised over the training split (for trends)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import Condition
from stgan.conditioning.kinds.calendar import needs_dates
from stgan.conditioning.place import Place, over_space, time_table


def decimal_years(table: np.ndarray | torch.Tensor):
    """Year plus year fraction of each row of a time table (NaN without dates)."""
    return table[..., 2] + table[..., 0]


@CONDITIONS.register("year")
class Year(Condition):
    """One channel: (year + year fraction − mean) / std, mean and std over the training steps.

    A record with a trend (a warming climate run) then trains G to place each window in its
    time, and ``stgan generate --year 2080`` asks for samples of that year. Years outside the
    training span extrapolate what G learnt, which the network may not do linearly.
    """

    k = 1

    def __init__(self, channels: int, grid: tuple[int, int]) -> None:
        super().__init__(channels, grid)
        self.register_buffer("stats", torch.tensor([0.0, 1.0], dtype=torch.float64))

    @classmethod
    def options_for(cls, data: Any) -> dict[str, Any]:
        """None; refuses data without dates."""
        needs_dates(data, "year")
        return {}

    def fill(self, data: Any) -> None:
        """Mean and std of the training steps' decimal years."""
        train = data.splits["train"]
        years = decimal_years(time_table(data.time_features[train], train.stop - train.start))
        years = years.astype(np.float64)
        std = float(years.std()) or 1.0
        self.stats.copy_(torch.tensor([float(years.mean()), std], dtype=torch.float64))

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """The steps' standardised decimal year, the same at every cell."""
        years = torch.nan_to_num(decimal_years(place.time).double(), nan=float(self.stats[0]))
        z = ((years - self.stats[0]) / self.stats[1]).float()  # (B, T)
        return over_space(z[:, None], window[1:])
