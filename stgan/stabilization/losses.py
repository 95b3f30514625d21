"""Adversarial losses as pure functions of the discriminator's outputs (logits).

Each entry has ``discriminator(real, fake)`` and ``generator(fake)``; ``real`` and ``fake``
are D's raw scores, shape (B,). Formulas, with σ the logistic function:

============== ================================================ =================================
key            D loss                                           G loss
============== ================================================ =================================
minimax        −log σ(r) − log(1 − σ(f))                        log(1 − σ(f))  (saturates)
nonsaturating  −log σ(r) − log(1 − σ(f))                        −log σ(f)
hinge          relu(1 − r) + relu(1 + f)                        −f
wgan           f − r                                            −f
lsgan          ½(r − 1)² + ½f²                                  ½(f − 1)²
============== ================================================ =================================

All are means over the batch. minimax and nonsaturating: Goodfellow et al. 2014; hinge:
Lim & Ye 2017 / Miyato et al. 2018; wgan: Arjovsky et al. 2017 (needs a Lipschitz constraint);
lsgan: Mao et al. 2017 (the 0-1 coding, a=0, b=c=1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from stgan.registry import Registry

LOSSES = Registry("loss")


class GANLoss:
    """Interface: the discriminator's and the generator's loss from D's logits."""

    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @staticmethod
    def generator(fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def _bce_discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    # −log σ(r) = softplus(−r) and −log(1 − σ(f)) = softplus(f), stable for any logit.
    return F.softplus(-real).mean() + F.softplus(fake).mean()


@LOSSES.register("minimax")
class Minimax(GANLoss):
    discriminator = staticmethod(_bce_discriminator)

    @staticmethod
    def generator(fake: torch.Tensor) -> torch.Tensor:
        return -F.softplus(fake).mean()  # log(1 − σ(f)): gradients vanish when D wins


@LOSSES.register("nonsaturating")
class NonSaturating(GANLoss):
    discriminator = staticmethod(_bce_discriminator)

    @staticmethod
    def generator(fake: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake).mean()  # −log σ(f)


@LOSSES.register("hinge")
class Hinge(GANLoss):
    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()

    @staticmethod
    def generator(fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


@LOSSES.register("wgan")
class Wasserstein(GANLoss):
    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return fake.mean() - real.mean()

    @staticmethod
    def generator(fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


@LOSSES.register("lsgan")
class LeastSquares(GANLoss):
    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()

    @staticmethod
    def generator(fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((fake - 1) ** 2).mean()
