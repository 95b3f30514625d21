"""The generator and discriminator registries, in a module of their own.

``stgan.nn.generators`` and ``stgan.nn.discriminators`` re-export them and import every module
that registers into them, so importing either of those is enough to see every key; the model
modules import only this file, which keeps the imports acyclic.
"""

from __future__ import annotations

from stgan.registry import Registry

GENERATORS = Registry("generator")
DISCRIMINATORS = Registry("discriminator")
