"""``gaps``: the window with a gap cut out of it; the condition of gap filling."""

from __future__ import annotations

import math
import zlib

import torch

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import Condition
from stgan.conditioning.place import Place, given_field
from stgan.errors import StganError

SHAPES = ("box", "frames")


def window_seed(place: Place, i: int) -> int:
    """A seed that is a function of window ``i``'s corner, dates and values alone.

    The gaps of a batch are drawn from it, not from torch's global stream: training draws
    exactly the latents and crops it would draw without gaps, and a resumed run cuts the
    same gaps as an uninterrupted one.
    """
    parts = [place.corner[i].double(), torch.nan_to_num(place.time[i].double()).flatten()]
    if place.field is not None:
        parts.append(torch.nan_to_num(place.field[i].double()).sum()[None])
    return zlib.crc32(torch.cat(parts).cpu().numpy().tobytes())


def draw_gap(shape: str, fraction: float, window: tuple[int, int, int], seed: int) -> torch.Tensor:
    """(T, H, W) bool: a gap of ``shape`` covering about ``fraction`` of the window.

    ``box``: a rectangle of ``fraction`` of the cells (sides ``√fraction`` of the window's)
    at a random place, at every step (a cloud over a satellite scene, a broken sensor
    cluster); ``frames``: a random run of ``fraction`` of the steps, every cell (an outage).
    """
    rng = torch.Generator().manual_seed(seed)
    t, h, w = window
    gap = torch.zeros(window, dtype=torch.bool)
    if shape == "frames":
        n = min(t - 1, max(1, round(fraction * t)))
        t0 = int(torch.randint(0, t - n + 1, (1,), generator=rng))
        gap[t0 : t0 + n] = True
        return gap
    side = math.sqrt(fraction)
    gh, gw = max(1, round(side * h)), max(1, round(side * w))
    y0 = int(torch.randint(0, h - gh + 1, (1,), generator=rng))
    x0 = int(torch.randint(0, w - gw + 1, (1,), generator=rng))
    gap[:, y0 : y0 + gh, x0 : x0 + gw] = True
    return gap


@CONDITIONS.register("gaps")
class Gaps(Condition):
    """C + 1 channels: the window with its gap set to 0, and an indicator that is 1 on the
    known cells and 0 in the gap.

    In training each window gets a random gap (``shape`` ``box`` or ``frames``, about
    ``fraction`` of the window; :func:`draw_gap`), drawn from a seed of the window itself
    (:func:`window_seed`). When filling gaps (:func:`stgan.tasks.gaps.fill_gaps`) the gap is
    the input's NaN cells. G's output keeps the known cells (:attr:`copies_through`), so it
    only has to invent the gap, and D judges whether the filled gap fits its surroundings.
    """

    copies_through = True
    from_data = True

    def __init__(
        self,
        channels: int,
        grid: tuple[int, int],
        shape: str = "box",
        fraction: float = 0.25,
    ) -> None:
        super().__init__(channels, grid)
        if shape not in SHAPES:
            raise StganError(f"gaps: shape must be one of {', '.join(SHAPES)}, got {shape!r}")
        if isinstance(fraction, bool) or not 0 < float(fraction) < 1:
            raise StganError(f"gaps: fraction must be between 0 and 1, got {fraction!r}")
        self.shape, self.fraction = shape, float(fraction)
        self.k = self.channels + 1

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """The known cells and their indicator, (B, C + 1, T, H, W)."""
        field = given_field(place, "gaps", "stgan fill-gaps")
        missing = torch.isnan(field).any(dim=1, keepdim=True)  # a given input's gap
        if not bool(missing.any()):  # training: a gap drawn for each window
            gaps = [
                draw_gap(self.shape, self.fraction, window, window_seed(place, i))
                for i in range(field.shape[0])
            ]
            missing = torch.stack(gaps)[:, None].to(field.device)
        known = (~missing).float()
        return torch.cat([torch.nan_to_num(field.float()) * known, known], dim=1)
