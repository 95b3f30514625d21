"""``coords``: where a window lies, as sin and cos of latitude and longitude."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import Condition
from stgan.conditioning.place import Place, crop, over_time
from stgan.io.degrees import is_degrees


def _angles(values: np.ndarray, geographic: bool) -> np.ndarray:
    """Radians of degree coordinates; else the index scaled to [−π/2, π/2]."""
    if geographic:
        return np.radians(np.asarray(values, np.float64))
    n = len(values)
    return (np.arange(n) / max(n - 1, 1) - 0.5) * math.pi


@CONDITIONS.register("coords")
class Coords(Condition):
    """Four channels: sin and cos of latitude, sin and cos of longitude, at each cell.

    On a projected grid (no degrees) the row and column index, scaled to [−π/2, π/2], take
    their place. The encoding is smooth and, for longitude, periodic, so a patch of a global
    grid knows where it lies even across the date line.
    """

    k = 4

    def __init__(self, channels: int, grid: tuple[int, int]) -> None:
        super().__init__(channels, grid)
        self.register_buffer("field", torch.zeros(4, *self.grid))

    def fill(self, data: Any) -> None:
        """The sines and cosines of the data's grid coordinates."""
        src = data.source
        lat = _angles(
            src.coords["y"].values, is_degrees(src.coords["y"], src.dims["y"], "latitude")
        )
        lon = _angles(
            src.coords["x"].values, is_degrees(src.coords["x"], src.dims["x"], "longitude")
        )
        h, w = self.grid
        rows = [np.sin(lat), np.cos(lat)]
        cols = [np.sin(lon), np.cos(lon)]
        field = np.stack(
            [np.broadcast_to(r[:, None], (h, w)) for r in rows]
            + [np.broadcast_to(c[None, :], (h, w)) for c in cols]
        )
        self.field.copy_(torch.from_numpy(field.astype(np.float32)))

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """The window's cells' encoding, the same at every step."""
        return over_time(crop(self.field, place.corner, window[1:]), window[0])
