"""Spectral matching: the generated batch's space-time spectrum pulled to the data's."""

from __future__ import annotations

import torch

from stgan.stabilization.gterms import G_TERMS, GStep, GTerm
from stgan.stabilization.spectral import SpectralMatching


@G_TERMS.register("spectral_matching")
class SpectralMatchingTerm(GTerm):
    """Squared log difference of binned space-time power (:mod:`stgan.stabilization.spectral`).

    The real power is a running mean over the real batches (a buffer, so checkpoints carry
    it); with self-conditioning, per cluster, and each fake batch is compared with its own
    clusters' mean. Logged as ``loss_spectral``.

    Parameters
    ----------
    module : GANModule
        The model, for its channels, window and number of clusters.
    weight : float
        λ in G's loss (the recommended preset uses 1).
    """

    log_name = "spectral"

    def __init__(self, module, weight: float = 1.0) -> None:
        super().__init__(weight)
        self.matching = SpectralMatching(
            module.hparams.channels, module.window, classes=module.hparams.clusters
        )

    def loss(self, step: GStep) -> torch.Tensor:
        """The spectral distance of the valid cells of ``step.fake`` from the running real spectrum.

        Folds ``step.real`` into the running mean first (see :class:`SpectralMatching`).
        """
        return self.matching(
            step.fake * step.valid, step.real, step.fake_classes, step.real_classes
        )
