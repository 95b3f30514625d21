"""Adversarial losses as pure functions of the discriminator's outputs (logits).

Each entry has ``discriminator(real, fake)`` and ``generator(fake, real)``; ``real`` and
``fake`` are D's raw scores, shape (B,) (only ``ragan``'s generator loss reads ``real``; the
trainer passes it detached). Formulas, with σ the logistic function and r̄, f̄ batch means:

============== ================================================ =================================
key            D loss                                           G loss
============== ================================================ =================================
minimax        −log σ(r) − log(1 − σ(f))                        log(1 − σ(f))  (saturates)
nonsaturating  −log σ(r) − log(1 − σ(f))                        −log σ(f)
hinge          relu(1 − r) + relu(1 + f)                        −f
wgan           f − r                                            −f
lsgan          ½(r − 1)² + ½f²                                  ½(f − 1)²
ragan          −log σ(r − f̄) − log(1 − σ(f − r̄))                −log σ(f − r̄) − log(1 − σ(r − f̄))
============== ================================================ =================================

All are means over the batch. minimax and nonsaturating: Goodfellow et al. 2014; hinge:
Lim & Ye 2017 / Miyato et al. 2018; wgan: Arjovsky et al. 2017 (needs a Lipschitz constraint);
lsgan: Mao et al. 2017 (the 0-1 coding, a=0, b=c=1); ragan: Jolicoeur-Martineau 2019.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from stgan.registry import Registry

LOSSES = Registry("loss")


class GANLoss:
    """Interface: the discriminator's and the generator's loss from D's logits."""

    needs_real_for_generator = False  # True: the trainer scores real data in the G step too

    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """D's loss from its scores on real and on fake data, each (B,); a scalar."""
        raise NotImplementedError

    @staticmethod
    def generator(fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """G's loss from D's scores on fake (and, for ragan, real) data, each (B,); a scalar."""
        raise NotImplementedError


def _bce_discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    # −log σ(r) = softplus(−r) and −log(1 − σ(f)) = softplus(f), stable for any logit.
    return F.softplus(-real).mean() + F.softplus(fake).mean()


@LOSSES.register("minimax")
class Minimax(GANLoss):
    """The original minimax GAN (Goodfellow et al. 2014).

    D: −E[log σ(r)] − E[log(1 − σ(f))]; G: E[log(1 − σ(f))], which saturates (its gradient
    vanishes) when D rejects the fakes confidently.
    """

    discriminator = staticmethod(_bce_discriminator)

    @staticmethod
    def generator(fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """``E[log(1 − σ(f))]`` from D's scores ``fake`` (B,); ``real`` is not read."""
        return -F.softplus(fake).mean()  # log(1 − σ(f)): gradients vanish when D wins


@LOSSES.register("nonsaturating")
class NonSaturating(GANLoss):
    """The non-saturating GAN (Goodfellow et al. 2014, §3).

    D: −E[log σ(r)] − E[log(1 − σ(f))]; G: −E[log σ(f)], the same fixed point with a strong
    gradient early in training, when D wins.
    """

    discriminator = staticmethod(_bce_discriminator)

    @staticmethod
    def generator(fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """``−E[log σ(f)]`` from D's scores ``fake`` (B,); ``real`` is not read."""
        return F.softplus(-fake).mean()  # −log σ(f)


@LOSSES.register("hinge")
class Hinge(GANLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018).

    D: E[relu(1 − r)] + E[relu(1 + f)]; G: −E[f].
    """

    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """``E[relu(1 − r)] + E[relu(1 + f)]`` from D's scores ``real`` and ``fake``, each (B,)."""
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()

    @staticmethod
    def generator(fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """``−E[f]`` from D's scores ``fake`` (B,); ``real`` is not read."""
        return -fake.mean()


@LOSSES.register("wgan")
class Wasserstein(GANLoss):
    """Wasserstein GAN (Arjovsky et al. 2017); needs a Lipschitz constraint (gp, clip, ...).

    D (critic): E[f] − E[r]; G: −E[f].
    """

    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The critic's loss ``E[f] − E[r]``, the negated Wasserstein-1 estimate; each (B,)."""
        return fake.mean() - real.mean()

    @staticmethod
    def generator(fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """``−E[f]`` from the critic's scores ``fake`` (B,); ``real`` is not read."""
        return -fake.mean()


@LOSSES.register("lsgan")
class LeastSquares(GANLoss):
    """Least-squares GAN (Mao et al. 2017), the 0-1 coding a = 0, b = c = 1.

    D: ½E[(r − 1)²] + ½E[f²]; G: ½E[(f − 1)²].
    """

    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """``½E[(r − 1)²] + ½E[f²]`` from D's scores ``real`` and ``fake``, each (B,)."""
        return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()

    @staticmethod
    def generator(fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """``½E[(f − 1)²]`` from D's scores ``fake`` (B,); ``real`` is not read."""
        return 0.5 * ((fake - 1) ** 2).mean()


@LOSSES.register("ragan")
class RelativisticAverage(GANLoss):
    """Relativistic average GAN, RaSGAN (Jolicoeur-Martineau 2019).

    D: −E[log σ(r − f̄)] − E[log(1 − σ(f − r̄))]; G: −E[log σ(f − r̄)] − E[log(1 − σ(r − f̄))],
    with r̄, f̄ the batch means of D's scores on real and fake.
    """

    needs_real_for_generator = True

    @staticmethod
    def discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """``−E[log σ(r − f̄)] − E[log(1 − σ(f − r̄))]`` from D's scores ``real`` and ``fake``, each (B,)."""
        return F.softplus(-(real - fake.mean())).mean() + F.softplus(fake - real.mean()).mean()

    @staticmethod
    def generator(fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """``−E[log σ(f − r̄)] − E[log(1 − σ(r − f̄))]``; needs D's scores on ``real`` (B,), detached."""
        if real is None:
            raise ValueError("the ragan generator loss needs D's scores on real data")
        return F.softplus(-(fake - real.mean())).mean() + F.softplus(real - fake.mean()).mean()
