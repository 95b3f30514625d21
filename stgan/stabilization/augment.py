"""Differentiable augmentations applied alike to real and generated windows.

DiffAugment-style (Zhao et al. 2020; Karras et al. 2020, ADA): the trainer augments every
batch D sees — real, detached fake in the D step and fake in the G step — with independent
random draws per sample from the same distribution, so D never learns the augmentation as a
feature and G gets gradients through it. Only physically sensible operations are offered,
and each must be declared valid by the user:

========= ===================================================================================
option    what it does (to each sample, with probability ``p``)
========= ===================================================================================
roll_x    circular shift along x by a uniform offset in [0, W): only on periodic longitude
flip_x    mirror along x (east ↔ west)
flip_y    mirror along y (north ↔ south)
rot90     rotate the (y, x) plane by 90°, 180° or 270° (uniform); needs H == W
cutout    zero a square of side ``round(cutout · min(H, W))`` lying inside the grid, the same
          square across channels and time (DeVries & Taylor 2017)
========= ===================================================================================

Geometric operations move scalar fields only: flipping or rotating a field of vector
components (u, v) does not negate or swap them, so declare those valid only for scalars.
Spatial transforms are applied identically to the window and its validity mask; cutout
occludes values but leaves the mask (the grid's geometry) as it is.
"""

from __future__ import annotations

import torch

from stgan.errors import StganError


class Augment:
    """A pipeline of per-sample random augmentations: roll, flips, rot90, then cutout.

    Parameters
    ----------
    roll_x : bool
        Random circular shift in x; valid only on a periodic longitude axis (the trainer
        checks this).
    flip_x, flip_y : bool
        Random mirror along x / y, when the user declares the field symmetric under it.
    rot90 : bool
        Random rotation by a multiple of 90° in the (y, x) plane; needs a square grid.
    cutout : float
        Side of the zeroed square as a fraction of ``min(H, W)``, in [0, 1); 0 turns it off.
    p : float
        Probability, per sample and per operation, that the operation is applied.
    """

    def __init__(
        self,
        roll_x: bool = False,
        flip_x: bool = False,
        flip_y: bool = False,
        rot90: bool = False,
        cutout: float = 0.0,
        p: float = 0.5,
    ) -> None:
        if not 0.0 <= p <= 1.0:
            raise StganError(f"augment p must be a probability in [0, 1], got {p}")
        if not 0.0 <= cutout < 1.0:
            raise StganError(f"augment cutout must be a fraction in [0, 1), got {cutout}")
        self.roll_x, self.flip_x, self.flip_y, self.rot90 = roll_x, flip_x, flip_y, rot90
        self.cutout, self.p = float(cutout), float(p)

    @property
    def active(self) -> bool:
        """False when the pipeline can only return its input unchanged."""
        ops = self.roll_x or self.flip_x or self.flip_y or self.rot90 or self.cutout > 0
        return ops and self.p > 0

    def __call__(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Augment ``x`` (B, C, T, H, W) and move ``mask`` (B or 1, 1, 1, H, W) with it."""
        if x.ndim != 5:
            raise ValueError(f"expected (B, C, T, H, W), got shape {tuple(x.shape)}")
        b, _, _, h, w = x.shape
        if self.rot90 and h != w:
            raise StganError(
                f"augment rot90 needs a square grid, got H={h}, W={w}; "
                "turn rot90 off or crop square windows"
            )
        if not self.active:
            return x, mask
        if mask is not None:
            mask = mask.expand(b, *mask.shape[1:])  # one mask per sample, moved like its sample

        def draw(*shape: int) -> torch.Tensor:  # U[0, 1) on the generator's device, then x's
            device = generator.device if generator is not None else x.device
            return torch.rand(shape, generator=generator, device=device).to(x.device)

        def chosen() -> torch.Tensor:  # (B,) bool: which samples get this operation
            return draw(b) < self.p

        if self.roll_x:
            shift = (draw(b) * w).long().clamp_max(w - 1) * chosen()  # (B,), 0 where not chosen
            x, mask = _roll_x(x, shift), None if mask is None else _roll_x(mask, shift)
        for on, dim in ((self.flip_x, -1), (self.flip_y, -2)):
            if on:
                sel = chosen().view(b, 1, 1, 1, 1)
                x = torch.where(sel, x.flip(dim), x)
                mask = None if mask is None else torch.where(sel, mask.flip(dim), mask)
        if self.rot90:
            k = (draw(b) * 3).long().clamp_max(2) + 1  # 1, 2 or 3 quarter turns
            k = k * chosen()
            x0, m0 = x, mask
            for turns in (1, 2, 3):
                sel = (k == turns).view(b, 1, 1, 1, 1)
                x = torch.where(sel, torch.rot90(x0, turns, dims=(-2, -1)), x)
                if mask is not None:
                    mask = torch.where(sel, torch.rot90(m0, turns, dims=(-2, -1)), mask)
        if self.cutout > 0:
            side = max(1, round(self.cutout * min(h, w)))
            top = (draw(b) * (h - side + 1)).long().clamp_max(h - side)  # square inside the grid
            left = (draw(b) * (w - side + 1)).long().clamp_max(w - side)
            ys = torch.arange(h, device=x.device).view(1, h, 1)
            xs = torch.arange(w, device=x.device).view(1, 1, w)
            inside = (
                (ys >= top.view(b, 1, 1))
                & (ys < (top + side).view(b, 1, 1))
                & (xs >= left.view(b, 1, 1))
                & (xs < (left + side).view(b, 1, 1))
            )
            hole = inside & chosen().view(b, 1, 1)  # (B, H, W)
            x = x * (~hole).to(x.dtype).view(b, 1, 1, h, w)
        return x, mask


def _roll_x(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Per-sample ``torch.roll(x[i], shift[i], dims=-1)`` as one differentiable gather."""
    b, w = x.shape[0], x.shape[-1]
    index = (torch.arange(w, device=x.device).view(1, w) - shift.view(b, 1)) % w  # (B, W)
    index = index.view(b, *([1] * (x.ndim - 2)), w).expand(x.shape)
    return x.gather(-1, index)
