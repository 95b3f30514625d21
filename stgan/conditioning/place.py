"""Where and when windows lie: the numbers every condition is computed from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from stgan.data.time_features import TimeFeatures
from stgan.errors import StganError

# The columns of a time table, one row per step.
TIME_FIELDS = ("year_fraction", "day_fraction", "year", "month")


def time_table(features: TimeFeatures | None, length: int) -> np.ndarray:
    """(T, 4) float32 rows of :data:`TIME_FIELDS` for each step; NaN where there are no dates.

    Parameters
    ----------
    features : TimeFeatures or None
        The steps' decoded times (None or a numeric axis: no dates).
    length : int
        T, used when ``features`` is None.
    """
    if features is None or not features.dated:
        return np.full((length if features is None else len(features), 4), np.nan, np.float32)
    year = features.year if features.year is not None else np.full(len(features), np.nan)
    day = features.day_fraction if features.day_fraction is not None else np.zeros(len(features))
    columns = (features.year_fraction, day, year, features.month)
    return np.stack([np.asarray(c, np.float64) for c in columns], axis=-1).astype(np.float32)


def override(
    table: np.ndarray, *, month: int | None = None, year: float | None = None
) -> np.ndarray:
    """``table`` with every step set to calendar ``month`` (its middle) and/or ``year``.

    ``stgan generate --month 7`` asks for a perpetual July: every step is conditioned on the
    middle of July whatever the dates written; ``--year 2080`` conditions on that year.
    """
    table = np.array(table, dtype=np.float32)
    if month is not None:
        if (
            isinstance(month, bool)
            or not isinstance(month, (int, np.integer))
            or not 1 <= month <= 12
        ):
            raise StganError(f"--month must be a calendar month from 1 to 12, got {month!r}")
        table[:, 0] = (month - 0.5) / 12
        table[:, 3] = month
    if year is not None:
        if not np.isfinite(year):
            raise StganError(f"--year must be a finite number, got {year!r}")
        table[:, 2] = year
    return table


@dataclass(frozen=True)
class Place:
    """Where a batch of windows lies in the training grid, and when.

    Attributes
    ----------
    corner : torch.Tensor
        (B, 2) integer ``(y0, x0)`` of each window's first cell in the full grid.
    time : torch.Tensor
        (B, T, 4) float32 :data:`TIME_FIELDS` of each window's steps.
    field : torch.Tensor or None
        (B, C, T, H, W) standardised values known of the windows (the real batch in training;
        a task's input when sampling), for conditions derived from the data themselves.
    """

    corner: torch.Tensor
    time: torch.Tensor
    field: torch.Tensor | None = None

    @classmethod
    def same(
        cls,
        n: int,
        table: np.ndarray,
        corner: tuple[int, int] = (0, 0),
        field: torch.Tensor | None = None,
    ) -> Place:
        """``n`` windows at one ``corner`` with the same steps (``table`` (T, 4)), and the
        ``field`` (n, C, T, H, W) known of them, if any."""
        t = torch.as_tensor(np.asarray(table, np.float32))
        return cls(torch.tensor([corner]).expand(n, 2), t.expand(n, *t.shape), field)

    def to(self, device: torch.device | str) -> Place:
        """The same place with its tensors on ``device``."""
        field = None if self.field is None else self.field.to(device)
        return Place(self.corner.to(device), self.time.to(device), field)


def crop(field: torch.Tensor, corner: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, k, h, w) windows of a (k, H, W) ``field`` at each ``corner`` (B, 2).

    x wraps around (a periodic grid's windows may cross the date line; a window of any other
    grid never reaches past its edge).
    """
    h, w = size
    rows = corner[:, :1].long() + torch.arange(h, device=field.device)  # (B, h)
    cols = (corner[:, 1:].long() + torch.arange(w, device=field.device)) % field.shape[-1]
    if int(rows.max()) >= field.shape[-2]:
        raise StganError(
            f"a window of {h} rows at row {int(rows[:, 0].max())} passes the grid's "
            f"{field.shape[-2]} rows"
        )
    return field[:, rows[:, :, None], cols[:, None, :]].transpose(0, 1)


def given_field(place: Place, key: str, command: str) -> torch.Tensor:
    """``place.field``, or a clear error: condition ``key`` is computed from the data, which
    only ``command`` gives when sampling."""
    if place.field is None:
        raise StganError(
            f"this model is conditioned on {key}, computed from known data: plain sampling "
            f"has none to give; use {command} with an --input"
        )
    return place.field


def over_time(maps: torch.Tensor, length: int) -> torch.Tensor:
    """(B, k, h, w) maps repeated over ``length`` steps: (B, k, T, h, w), no copy."""
    return maps.unsqueeze(2).expand(-1, -1, length, -1, -1)


def over_space(series: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, k, T) series repeated over an (h, w) grid: (B, k, T, h, w), no copy."""
    return series[..., None, None].expand(*series.shape, *size)


def condition_batch(
    module: object,
    n: int,
    window: tuple[int, int, int],
    table: np.ndarray,
    corner: tuple[int, int] = (0, 0),
    field: torch.Tensor | None = None,
) -> torch.Tensor | None:
    """The conditions of ``n`` windows at ``corner`` with the steps of ``table`` (T, 4), for
    sampling from ``module`` (None for an unconditional model); ``field`` (n, C, T, H, W):
    what a task knows of the windows (NaN: unknown), for the conditions derived from it."""
    conditions = getattr(module, "conditions", None)
    if conditions is None:
        return None
    return conditions(Place.same(n, table, (int(corner[0]), int(corner[1])), field), window)
