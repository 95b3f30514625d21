"""Mode seeking (MSGAN, Mao et al. 2019): different latents must give different samples."""

from __future__ import annotations

import torch

from stgan.stabilization.diversity import mode_seeking_loss
from stgan.stabilization.gterms import G_TERMS, GStep, GTerm


@G_TERMS.register("mode_seeking")
class ModeSeeking(GTerm):
    """``1 / (mean|G(z1) − G(z2)| / mean|z1 − z2| + ε)`` for a second, fresh latent z2.

    Small when G's samples move with its latent; the paper's λ was 1. Costs one more G pass.

    Parameters
    ----------
    module : GANModule
        The model (not read: the term has no parameters).
    weight : float
        λ in G's loss.
    """

    log_name = "mode_seeking"

    def __init__(self, module, weight: float = 1.0) -> None:
        super().__init__(weight)

    def loss(self, step: GStep) -> torch.Tensor:
        """:func:`~stgan.stabilization.diversity.mode_seeking_loss` of ``step.fake`` and G(z2), z2 fresh."""
        z2 = step.module.sample_latent(step.z.shape[0], train=True)
        return mode_seeking_loss(step.fake, step.module(z2, cond=step.cond), step.z, z2)
