"""The switches every discriminator takes, written once: periodic padding, spectral norm,
minibatch std and the mask channel.

Each discriminator class is decorated with :func:`takes_flags`: its ``__init__`` collects the
switches in ``**flags`` and builds one :class:`DiscriminatorFlags` from them, while the class's
signature lists them by name, so ``discriminator_options: {spectral_norm: true}`` is accepted
and an unknown option is refused by the registry with the list of valid ones, as for any
other option.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from typing import TypeVar

import torch
from torch import nn

from stgan.nn.layers import append_mask, linear


@dataclass(frozen=True)
class DiscriminatorFlags:
    """Options shared by every discriminator, beside its own architecture.

    Parameters
    ----------
    periodic_x : bool
        Wrap in x and replicate in y instead of zero padding, for global grids.
    spectral_norm : bool
        Spectrally normalise every convolution and the linear head (Miyato et al. 2018), the
        usual Lipschitz control of a GAN discriminator.
    minibatch_std : bool
        Append the minibatch standard deviation before the last block (Karras et al. 2018),
        letting D see a collapsed (too uniform) batch of fakes.
    mask_channel : bool
        Append the validity mask as an input channel (so D knows where land is).
    """

    periodic_x: bool = False
    spectral_norm: bool = False
    minibatch_std: bool = False
    mask_channel: bool = False

    @property
    def conv_options(self) -> dict[str, bool]:
        """The keyword options of :func:`stgan.nn.layers.conv` and the blocks built on it."""
        return {"periodic_x": self.periodic_x, "spectral_norm": self.spectral_norm}

    def in_channels(self, channels: int) -> int:
        """Channels D's first layer reads: the variables, plus one for the mask if it is on."""
        return channels + int(self.mask_channel)

    def inputs(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """x (B, C, T, H, W) as D's first layer reads it: with the mask channel if it is on."""
        return append_mask(x, mask) if self.mask_channel else x  # (B, C[+1], T, H, W)

    def head(self, c_in: int) -> nn.Module:
        """The linear score head, C' features → 1, spectrally normed with the rest."""
        return linear(c_in, 1, spectral_norm=self.spectral_norm)


Cls = TypeVar("Cls", bound=type)


def takes_flags(cls: Cls) -> Cls:
    """Class decorator: ``cls``'s signature gains every :class:`DiscriminatorFlags` field.

    ``cls.__init__`` takes them in ``**flags`` (passed to ``DiscriminatorFlags(**flags)``);
    the published signature names them as keyword options with their defaults, which is what
    :meth:`stgan.registry.Registry.build` checks options against.
    """
    own = inspect.signature(cls.__init__)
    params = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD][1:]  # no self
    for f in fields(DiscriminatorFlags):
        keyword = inspect.Parameter.KEYWORD_ONLY
        params.append(inspect.Parameter(f.name, keyword, default=f.default, annotation=f.type))
    cls.__signature__ = own.replace(parameters=params)
    return cls
