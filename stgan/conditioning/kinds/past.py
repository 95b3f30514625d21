"""``past``: the first frames of the window, known; the condition of nowcasting."""

from __future__ import annotations

from typing import Any

import torch

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import Condition
from stgan.conditioning.place import Place, given_field
from stgan.errors import StganError


@CONDITIONS.register("past")
class Past(Condition):
    """C + 1 channels: the window's first ``frames`` steps of every variable (later steps 0),
    and an indicator that is 1 on those steps and 0 after.

    G continues the given frames (a nowcast, cf. DGMR); its output takes the given frames'
    values where they are given (:attr:`copies_through`), so a window is the past followed
    by a continuation, and ``stgan nowcast`` rolls windows out to any length
    (:func:`stgan.tasks.nowcast.nowcast`). ``frames`` defaults to half the training window.
    """

    copies_through = True
    from_data = True

    def __init__(self, channels: int, grid: tuple[int, int], frames: int = 1) -> None:
        super().__init__(channels, grid)
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
            raise StganError(f"past: frames must be a positive integer, got {frames!r}")
        self.frames = frames
        self.k = self.channels + 1

    @classmethod
    def options_for(cls, data: Any) -> dict[str, Any]:
        """``frames``: half the window's steps (at least 1)."""
        return {"frames": max(1, data.window[0] // 2)}

    @classmethod
    def check(cls, item: dict[str, Any], data: Any) -> None:
        """Refuse ``frames`` that leave no step of the window to generate."""
        if item["frames"] >= data.window[0]:
            raise StganError(
                f"past: frames {item['frames']} leaves nothing to generate in windows of "
                f"{data.window[0]} steps; give fewer frames or a longer data.window_length"
            )

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """The given frames and their indicator, (B, C + 1, T, H, W)."""
        field = given_field(place, "past", "stgan nowcast")
        b, t = field.shape[0], window[0]
        given = torch.zeros(b, 1, t, *window[1:], device=field.device)
        given[:, :, : self.frames] = 1.0
        return torch.cat([torch.nan_to_num(field.float()) * given, given], dim=1)
