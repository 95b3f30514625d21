"""Generator-side terms: extra losses G minimises beside the adversarial one, one file each.

A term is an ``nn.Module`` registered in :data:`G_TERMS` by its file in this package, so its
parameters (InfoGAN's Q head) train with G and its buffers (spectral matching's running real
spectrum) travel in checkpoints; a new file here is a new term, found without editing any
other. The model config lists the terms to use, each with its weight λ::

    g_terms: [{name: mode_seeking, weight: 1.0}, {name: spectral_matching, weight: 0.1}]

G's loss is the adversarial loss plus Σ λ·term, in the listed order; each term's value is
logged as ``loss_<log_name>``, and whatever its :meth:`GTerm.signals` returns beside it.

========================= =====================================================================
key                       term
========================= =====================================================================
cluster_consistency       with self-conditioning, G's windows fall in the cluster drawn for them
info                      InfoGAN (Chen et al. 2016): Q tells which latent category made a sample
mode_seeking              MSGAN (Mao et al. 2019): different latents must give different samples
spectral_matching         the batch's space-time power spectrum against the data's running mean
========================= =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from stgan.errors import StganError
from stgan.registry import Registry

if TYPE_CHECKING:
    from stgan.training.module import GANModule

G_TERMS = Registry("generator term", package="stgan.stabilization.gterms")


@dataclass
class GStep:
    """What a term may read in one generator update.

    Attributes
    ----------
    module : GANModule
        The model: its generator, discriminator (for features) and fresh latents.
    fake : Tensor
        G(z), (B, C, T, H, W), differentiable with respect to G.
    fake_in, fake_mask : Tensor
        The fake batch as D sees it (augmented, noised, masked) and its validity mask.
    real, valid : Tensor
        The real batch (masked cells at 0) and its mask (B, 1, 1, H, W).
    z : Tensor
        The latent that made ``fake``.
    fake_classes, real_classes : Tensor | None
        Self-conditioning clusters of the fakes and the real windows (None: unconditioned).
    cond : Tensor | None
        The batch's conditions (B, K, T, H, W) (:mod:`stgan.conditioning`; None: none).
    """

    module: GANModule
    fake: torch.Tensor
    fake_in: torch.Tensor
    fake_mask: torch.Tensor
    real: torch.Tensor
    valid: torch.Tensor
    z: torch.Tensor
    fake_classes: torch.Tensor | None = None
    real_classes: torch.Tensor | None = None
    cond: torch.Tensor | None = None


class GTerm(nn.Module):
    """A weighted generator-side term; subclasses set :attr:`log_name` and :meth:`loss`.

    Parameters
    ----------
    weight : float
        λ, the term's weight in G's loss (> 0).
    """

    log_name = ""  # logged as loss_<log_name>

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = float(weight)

    def loss(self, step: GStep) -> torch.Tensor:
        """The term's unweighted value for this generator update (a scalar)."""
        raise NotImplementedError

    def signals(self) -> dict[str, torch.Tensor]:
        """Training signals the last :meth:`loss` measured on the way, logged beside it (none)."""
        return {}


def build_g_terms(specs: list[dict[str, Any]] | None, module: GANModule) -> nn.ModuleDict:
    """The terms of ``model.g_terms`` in order, keyed by name; weight 0 leaves a term out.

    Each spec is ``{name: KEY, weight: λ, ...the term's options}``; every term is built with
    ``module`` (its generator and discriminator already made) to read sizes from.
    """
    terms = nn.ModuleDict()
    for spec in specs or []:
        if not isinstance(spec, dict) or "name" not in spec:
            raise StganError(
                "each model.g_terms entry needs a name and a weight, e.g. "
                f"{{name: mode_seeking, weight: 1.0}}; valid names: {', '.join(G_TERMS.keys())}, "
                f"got {spec!r}"
            )
        options = dict(spec)
        name = options.pop("name")
        weight = options.pop("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
            raise StganError(
                f"model.g_terms {name} weight must be >= 0 (a weight; 0 is off), got {weight!r}"
            )
        if name in terms:
            raise StganError(f"model.g_terms lists {name} twice; keep one entry")
        if weight == 0:
            G_TERMS.get(name)  # off, but a misspelt key still fails
            continue
        terms[name] = G_TERMS.build(name, module=module, weight=weight, **options)
    return terms
