"""``model.compile``: torch.compile of the generator and the discriminator for training.

The networks are compiled in place (:meth:`torch.nn.Module.compile`), so their parameters,
state-dict keys and checkpoints stay those of the plain modules, and the generator EMA, the
divergence guard and sampling see the same objects. Compilation is lazy: the first training
steps are slow while Inductor generates and builds kernels. Where it cannot work (no C
compiler for the CPU kernels, no Triton on a GPU, a Python torch.compile does not support),
training runs uncompiled and says why in one line.

A mixin of :class:`~stgan.training.module.GANModule`.
"""

from __future__ import annotations

import torch
from pytorch_lightning.utilities import rank_zero_info
from torch import nn


def _probe(x: torch.Tensor) -> torch.Tensor:
    # Forward and backward kernels of the kinds the networks need: elementwise and reduction.
    return torch.nn.functional.leaky_relu(x * 2.0 + 1.0, 0.2).square().sum()


def compile_unavailable(device: torch.device) -> str | None:
    """Why torch.compile cannot train on ``device`` here, or None when it can.

    Compiles and runs (forward and backward) a two-line function on ``device``: that needs
    every piece the networks' compilation needs (Dynamo on this Python, Inductor, a C compiler
    on CPU, Triton on a GPU), and fails in seconds where one is missing.
    """
    try:
        x = torch.randn(8, device=device, requires_grad=True)
        torch.compile(_probe)(x).backward()
    except Exception as err:  # whatever fails here fails in the networks too
        first = str(err).strip().splitlines()
        return f"{type(err).__name__}: {first[0] if first else 'no message'}"
    return None


def compile_networks(networks: dict[str, nn.Module], device: torch.device) -> list[str]:
    """Compile each of ``networks`` in place, or none of them and say why.

    Parameters
    ----------
    networks : dict of str to nn.Module
        The networks by name (for the message).
    device : torch.device
        Where they train.

    Returns
    -------
    list of str
        The names of the networks compiled: all of them, or none (after one line on the log).
    """
    reason = compile_unavailable(device)
    if reason is not None:
        rank_zero_info(
            f"stgan: model.compile: training uncompiled, torch.compile fails here ({reason})"
        )
        return []
    for network in networks.values():
        network.compile()
    rank_zero_info(
        f"stgan: model.compile: {' and '.join(networks)} compiled with torch.compile "
        "(the first steps are slow while kernels build)"
    )
    return list(networks)


class CompiledFit:
    """Lightning's setup hook: compile G and D before training when ``model.compile`` is on."""

    def setup(self, stage: str) -> None:
        """At the start of ``fit`` with ``compile`` true, compile the generator and discriminator."""
        if stage == "fit" and self.hparams.get("compile", False):
            # Before the model moves to its device: where it will train is the strategy's.
            device = self.trainer.strategy.root_device
            compile_networks({"G": self.generator, "D": self.discriminator}, device)
