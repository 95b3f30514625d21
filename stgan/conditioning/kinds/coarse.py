"""``coarse``: the window seen at a coarser resolution, the condition of downscaling."""

from __future__ import annotations

import torch

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import Condition
from stgan.conditioning.place import Place, given_field
from stgan.errors import StganError


def block_means(corner: torch.Tensor, length: int, size: int, factor: int) -> torch.Tensor:
    """(B, length, length) matrices that replace each cell by the mean of its coarse block.

    Blocks are ``factor`` cells of the full grid, aligned on its origin (cells ``i`` and
    ``j`` share a block when ``i // factor == j // factor`` in grid indices), so a patch
    sees the blocks of the whole grid's coarse version; a block cut by the window's edge is
    the mean of its cells inside the window. ``size`` is the axis's length in the full grid
    (a periodic x wraps: its blocks are those of the unwrapped index modulo ``size``).
    """
    cells = (corner[:, None].long() + torch.arange(length, device=corner.device)) % size
    block = cells // factor  # (B, length)
    same = (block[:, :, None] == block[:, None, :]).float()
    return same / same.sum(dim=2, keepdim=True)


@CONDITIONS.register("coarse")
class Coarse(Condition):
    """C channels: each variable average-pooled over blocks of ``factor`` × ``factor`` cells
    and brought back to the full grid by repeating each block's mean over its cells (nearest
    upsampling: the coarse field as a coarse model or a coarse observation gives it, with no
    detail invented by an interpolation).

    In training the blocks are pooled from the real window; when downscaling
    (:func:`stgan.tasks.downscale.downscale`) from the coarse input, repeated onto the grid.
    Masked cells (land in an ocean field) count as 0, as they do in the real windows.
    """

    from_data = True

    def __init__(self, channels: int, grid: tuple[int, int], factor: int = 4) -> None:
        super().__init__(channels, grid)
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 2:
            raise StganError(f"coarse: factor must be an integer of at least 2, got {factor!r}")
        if factor > max(self.grid):
            raise StganError(
                f"coarse: factor {factor} is larger than the {self.grid[0]}×{self.grid[1]} grid; "
                "give a smaller factor"
            )
        self.factor = factor
        self.k = self.channels

    def forward(self, place: Place, window: tuple[int, int, int]) -> torch.Tensor:
        """The window's block means, (B, C, T, H, W)."""
        field = given_field(place, "coarse", "stgan downscale")
        rows = block_means(place.corner[:, 0], window[1], self.grid[0], self.factor)
        cols = block_means(place.corner[:, 1], window[2], self.grid[1], self.factor)
        field = torch.nan_to_num(field.float())
        return torch.einsum("bij,bctjk,blk->bctil", rows, field, cols)
