"""What sampling needs of a trained model, rebuilt from its self-describing checkpoint.

A checkpoint of ``stgan fit`` holds the whole training module: both networks, the generator's
EMA copy, optimiser-side terms, penalties. Sampling needs only the network that makes samples
(the EMA copy when there is one, else the generator), the latent codes of self-conditioning
clusters, the window and the data description. :class:`Sampler` rebuilds just those, without
Lightning or :mod:`stgan.training`, so ``stgan generate`` starts in a fraction of the time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

import torch
from torch import nn

from stgan.checkpoint import load_checkpoint
from stgan.conditioning.conditions import Conditions
from stgan.conditioning.network import conditioned, run_generator
from stgan.nn.build import build_network
from stgan.nn.generators import GENERATORS
from stgan.old_keys import upgrade_hparams
from stgan.stabilization.clusters import SpectralClusters, oriented

# Weights of the sampling network in a GANModule's state dict, preferred first: the EMA copy.
EMA_PREFIX, GENERATOR_PREFIX = "generator_ema.module.", "generator."
CLUSTERS_PREFIX, CONDITIONS_PREFIX = "clusters.", "conditions."


class SamplingModel(Protocol):
    """What the sampling functions use: a :class:`Sampler`, or a training ``GANModule``
    (the in-training domain metrics sample from the live module). Either is an ``nn.Module``,
    put in eval mode while it samples (spectral norm's power iteration must not advance)."""

    window: tuple[int, int, int]
    data_info: dict[str, Any]
    hparams: Mapping[str, Any]
    conditions: Conditions | None
    training: bool

    @property
    def sampling_generator(self) -> nn.Module:
        """The network that makes samples (the EMA copy when training kept one)."""

    def sample_latent(
        self,
        n: int,
        *,
        window: tuple[int, int, int] | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Latent for ``n`` samples of ``window``, drawn from ``generator``."""

    def sample(
        self,
        z: torch.Tensor,
        window: tuple[int, int, int] | None = None,
        cond: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, C, T, H, W) samples of ``window`` from latent ``z`` under conditions ``cond``."""


def _weights(state_dict: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The entries of ``state_dict`` under ``prefix``, with the prefix taken off."""
    return {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}


def draw_latent(
    network: nn.Module,
    n: int,
    window: tuple[int, int, int],
    clusters: SpectralClusters | None = None,
    generator: torch.Generator | None = None,
    train: bool = False,
) -> torch.Tensor:
    """Standard normal latent (on the CPU) for ``n`` samples of ``window`` from ``network``.

    With self-conditioning ``clusters`` each latent starts with the one-hot code of a drawn
    cluster (``train``: any of its codes; else the one sampling uses). Training and sampling
    both draw through here, so the same ``generator`` state gives the same latents.
    """
    z = torch.randn((n, *network.latent_shape(window)), generator=generator)
    if clusters is not None:
        clusters.write_codes(z, generator, train=train)
    return z


class Sampler(nn.Module):
    """The sampling network of a trained model, with its latent draw; in eval mode.

    Draws the same latents and makes the same samples, bit for bit, as the training module
    the checkpoint was saved from (``GANModule.sample_latent`` and ``GANModule.sample``).

    Parameters
    ----------
    generator : nn.Module
        The network that makes samples (the EMA copy's weights when training kept one).
    window : tuple of int
        The training window ``(T, H, W)``.
    data_info : dict
        The checkpoint's data description (``checkpoint["stgan"]["data"]``).
    hparams : dict
        The model's hyper-parameters, upgraded to the option groups.
    clusters : SpectralClusters, optional
        Self-conditioning clusters, whose one-hot codes go into the latent.
    conditions : Conditions, optional
        The conditions the generator was trained with (:mod:`stgan.conditioning`).
    """

    def __init__(
        self,
        generator: nn.Module,
        window: tuple[int, int, int],
        data_info: dict[str, Any],
        hparams: dict[str, Any],
        clusters: SpectralClusters | None = None,
        conditions: Conditions | None = None,
    ) -> None:
        super().__init__()
        self.generator = generator
        self.clusters = clusters
        self.conditions = conditions
        self.window = tuple(int(n) for n in window)
        self.data_info = data_info
        self.hparams = hparams
        self.eval()

    @classmethod
    def from_checkpoint(cls, ckpt: Mapping[str, Any]) -> Sampler:
        """Rebuild the sampler of a loaded checkpoint (:func:`stgan.checkpoint.load_checkpoint`).

        The generator is built as the training module builds it (registry key and options,
        channels, window and periodic_x from the hyper-parameters, earlier checkpoints' flat
        keys upgraded) and takes the EMA copy's weights when there are any.
        """
        hparams = upgrade_hparams(ckpt["hyper_parameters"])
        info = ckpt["stgan"]["data"]
        state = ckpt["state_dict"]
        # fit links channels and window from the data, so the data description agrees.
        channels = int(hparams.get("channels") or len(info["variables"]))
        window = tuple(int(n) for n in hparams.get("window") or info["window"])
        conditions = None
        if (hparams.get("conditioning") or {}).get("items"):
            conditions = Conditions(hparams["conditioning"])
            conditions.load_state_dict(_weights(state, CONDITIONS_PREFIX))
        spec = hparams["generator"]
        periodic_x = bool(hparams.get("periodic_x", False))
        generator = conditioned(
            build_network(
                GENERATORS,
                spec["name"],
                spec.get("options") or {},
                channels=channels,
                periodic_x=periodic_x,
                window=window,
            ),
            channels,
            conditions,
            periodic_x=periodic_x,
        )
        ema = any(k.startswith(EMA_PREFIX) for k in state)
        generator.load_state_dict(_weights(state, EMA_PREFIX if ema else GENERATOR_PREFIX))
        clusters = None
        if hparams.get("clusters"):
            clusters = SpectralClusters(
                channels,
                window,
                int(hparams["clusters"]),
                int(hparams.get("cluster_codes") or 1),
                bool(hparams.get("cluster_reversal")),
            )
            clusters.load_state_dict(_weights(state, CLUSTERS_PREFIX))
        return cls(generator.requires_grad_(False), window, info, hparams, clusters, conditions)

    @property
    def sampling_generator(self) -> nn.Module:
        """The network :meth:`sample` uses."""
        return self.generator

    @property
    def device(self) -> torch.device:
        """Where the network's weights are."""
        return next(self.generator.parameters()).device

    def sample_latent(
        self,
        n: int,
        *,
        window: tuple[int, int, int] | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Standard normal latent for ``n`` samples of ``window`` (default: training window),
        each with the one-hot code of a drawn cluster when the model is self-conditioned."""
        z = draw_latent(self.generator, n, window or self.window, self.clusters, generator)
        return z.to(self.device)

    def sample(
        self,
        z: torch.Tensor,
        window: tuple[int, int, int] | None = None,
        cond: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, C, T, H, W) samples of ``window`` (default: training window) from latent ``z``,
        under conditions ``cond`` (B, K, T, H, W) when the model is conditioned."""
        return oriented(
            self.clusters, z, run_generator(self.generator, z, window or self.window, cond)
        )


def load_sampler(path: str | os.PathLike) -> Sampler:
    """The :class:`Sampler` of the checkpoint at ``path`` (loaded with ``weights_only=True``)."""
    return Sampler.from_checkpoint(load_checkpoint(path))
