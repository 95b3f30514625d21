"""InfoGAN (Chen et al. 2016): a classifier Q tells which latent category made each sample."""

from __future__ import annotations

import torch
from torch import nn

from stgan.errors import StganError
from stgan.stabilization.gterms import G_TERMS, GStep, GTerm


@G_TERMS.register("info")
class InfoTerm(GTerm):
    """Cross-entropy of Q's guess of the category G's latent picked; G and Q minimise it.

    Q is a small MLP on D's pooled features, which average away where a pattern sits, with
    one logit per category: FC 128, batch norm, leaky ReLU, FC, as the paper's Q head. The
    batch norm matters: D's pooled features differ between samples by a few % of their size,
    too little for a bare linear map learning at GAN rates to read. The categories must then
    make samples D's features tell apart: a push towards covering separate modes. Needs a
    generator with ``latent_categories`` and discriminator conv3d with pack 1. Logged as
    ``loss_info``.

    Parameters
    ----------
    module : GANModule
        The model, for the generator's categories and D's feature size.
    weight : float
        λ in G's loss (InfoGAN used 1).
    """

    log_name = "info"

    def __init__(self, module, weight: float = 1.0) -> None:
        super().__init__(weight)
        k = getattr(module.generator, "latent_categories", 0)
        if not k:
            raise StganError(
                "model.g_terms info needs a generator with categories: generator conv3d "
                "with options {latent_vector: 64, latent_categories: 8}"
            )
        if not hasattr(module.discriminator, "embed") or module.pack > 1:
            raise StganError(
                "model.g_terms info reads D's features: it needs discriminator conv3d and pack 1"
            )
        self.head = nn.Sequential(
            nn.Linear(module.discriminator.head.in_features, 128),
            nn.BatchNorm1d(128),
            nn.LeakyReLU(0.1),
            nn.Linear(128, k),
        )

    def loss(self, step: GStep) -> torch.Tensor:
        """Cross-entropy of Q's logits on D's features of ``step.fake_in`` against the latent's category."""
        module = step.module
        logits = self.head(module.discriminator.embed(step.fake_in, step.fake_mask))
        return nn.functional.cross_entropy(logits, module.generator.categories(step.z))
