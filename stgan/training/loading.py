"""The whole training module rebuilt from a checkpoint (sampling needs less: :mod:`stgan.sampler`)."""

from __future__ import annotations

import inspect
from typing import Any

from stgan.old_keys import upgrade_hparams
from stgan.training.module import GANModule


def load_module(ckpt: dict[str, Any]) -> GANModule:
    """Rebuild the GANModule of a loaded checkpoint (:func:`stgan.checkpoint.load_checkpoint`).

    Both networks, the EMA copy, the generator terms and the clusters get their saved
    weights; an earlier checkpoint's flat keys are rewritten to the option groups. The module
    is returned in eval mode, with the checkpoint's data description as ``data_info``.
    """
    accepted = inspect.signature(GANModule.__init__).parameters
    hparams = {k: v for k, v in upgrade_hparams(ckpt["hyper_parameters"]).items() if k in accepted}
    module = GANModule(**hparams)
    module.load_state_dict(ckpt["state_dict"])
    module.data_info = ckpt["stgan"]["data"]
    return module.eval()
