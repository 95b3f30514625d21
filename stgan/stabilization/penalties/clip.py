"""Weight clipping (Arjovsky et al. 2017, the original WGAN): a crude Lipschitz bound."""

from __future__ import annotations

import torch
from torch import nn

from stgan.errors import StganError
from stgan.stabilization.penalties import PENALTIES, Penalty


@PENALTIES.register("clip")
class WeightClip(Penalty):
    """Weight clipping: no penalty; every D parameter ∈ [−c, c] after each D step; c = 0.01."""

    key = "clip"

    def __init__(self, c: float = 0.01) -> None:
        super().__init__(0.0, 1)
        if c <= 0:
            raise StganError(f"penalty 'clip': c must be > 0, got {c}")
        self.c = float(c)

    def __call__(self, d_fn, real, fake, *, generator=None):
        return real.new_zeros(())

    @torch.no_grad()
    def after_discriminator_step(self, discriminator: nn.Module) -> None:
        """Clamp every parameter of ``discriminator`` to [−c, c] in place."""
        for p in discriminator.parameters():
            p.clamp_(-self.c, self.c)
