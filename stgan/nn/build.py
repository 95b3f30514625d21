"""A network built from its registry key and options, as the training module and sampling build it.

Training (:class:`stgan.training.module.GANModule`) and sampling
(:class:`stgan.sampler.Sampler`) must build the same generator from a checkpoint's
hyper-parameters, or its weights would not fit; both go through :func:`build_network`.
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from stgan.registry import Registry


def build_network(
    registry: Registry,
    name: str,
    options: dict[str, Any],
    *,
    channels: int,
    periodic_x: bool = False,
    window: tuple[int, int, int] | None = None,
) -> nn.Module:
    """The network ``name`` of ``registry``, built with ``options`` and the data's shape.

    Parameters
    ----------
    registry : Registry
        :data:`stgan.nn.generators.GENERATORS` or :data:`stgan.nn.discriminators.DISCRIMINATORS`.
    name : str
        Its key; an unknown one fails with the list of valid keys.
    options : dict
        Its keyword options (not modified).
    channels : int
        Input or output channels.
    periodic_x : bool
        The data are periodic in x (a global longitude): a network that takes ``periodic_x``
        pads by wrapping in x, unless ``options`` sets it.
    window : tuple of int, optional
        ``(T, H, W)`` given to a network that takes ``window`` (one tied to the window size),
        unless ``options`` sets it.
    """
    accepted = inspect.signature(registry.get(name)).parameters
    options = dict(options)
    if periodic_x and "periodic_x" in accepted:  # no artificial east/west edge
        options.setdefault("periodic_x", True)
    if window is not None and "window" in accepted:
        options.setdefault("window", tuple(window))
    return registry.build(name, channels=channels, **options)
