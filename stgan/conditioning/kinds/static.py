"""``static``: 2-D fields from files (topography, land fraction, ...), standardised."""

from __future__ import annotations

from typing import Any

import torch

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import Condition
from stgan.conditioning.place import Place, crop, over_time


@CONDITIONS.register("static")
class Static(Condition):
    """One channel per field of ``data.static`` (``path.nc:variable``), on the data's grid.

    Each field is standardised over its finite cells (NaN cells become 0, the mean); the
    fields are read and checked against the data's grid when the data module is built
    (:func:`stgan.conditioning.static_files.read_static`), and kept in the checkpoint.
    """

    def __init__(
        self, channels: int, grid: tuple[int, int], fields: list[str] | None = None
    ) -> None:
        super().__init__(channels, grid)
        self.fields = list(fields or [])
        self.k = len(self.fields)
        self.register_buffer("field", torch.zeros(self.k, *self.grid))

    @classmethod
    def options_for(cls, data: Any) -> dict[str, Any]:
        """``fields``: the data module's ``static`` entries."""
        return {"fields": list(data.static)}

    def fill(self, data: Any) -> None:
        """The standardised fields the data module read."""
        self.field.copy_(torch.from_numpy(data.static_fields))

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """The window's cells of every field, the same at every step."""
        return over_time(crop(self.field, place.corner, window[1:]), window[0])
