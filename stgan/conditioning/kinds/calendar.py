"""``calendar``: when in the year (and day) each step lies, as sin and cos."""

from __future__ import annotations

import math
from typing import Any

import torch

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import Condition
from stgan.conditioning.place import Place, over_space
from stgan.errors import StganError

DAY_SECONDS = 86400.0


def needs_dates(data: Any, key: str) -> None:
    """Refuse ``key`` for data whose time axis holds no dates."""
    if not data.time_features.dated:
        raise StganError(
            f"data.conditions {key} needs a time axis of dates, and this data's is numeric; "
            f"drop {key} or give the file a CF time axis (units 'days since ...')"
        )


@CONDITIONS.register("calendar")
class Calendar(Condition):
    """sin and cos of 2π × the position in the year; with ``hours``, of the time of day too.

    The position in the year is the step's day of year over the days of its year in the
    data's own calendar (360, 365 or 366), so a ``360_day`` July is where a Gregorian one is.
    ``hours`` is set when the data's steps are shorter than a day (a diurnal cycle to place).
    """

    def __init__(self, channels: int, grid: tuple[int, int], hours: bool = False) -> None:
        super().__init__(channels, grid)
        self.hours = bool(hours)
        self.k = 4 if self.hours else 2

    @classmethod
    def options_for(cls, data: Any) -> dict[str, Any]:
        """``hours``: whether the steps are shorter than a day."""
        needs_dates(data, "calendar")
        step = data.info.get("time_step_seconds")
        return {"hours": bool(step is not None and step < DAY_SECONDS)}

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """The steps' encoding, the same at every cell."""
        phases = [place.time[..., 0]] + ([place.time[..., 1]] if self.hours else [])
        parts = []
        for phase in phases:  # each (B, T)
            angle = 2 * math.pi * torch.nan_to_num(phase)
            parts += [torch.sin(angle), torch.cos(angle)]
        return over_space(torch.stack(parts, dim=1), window[1:])
