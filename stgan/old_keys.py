"""The model's flat keys of earlier versions, rewritten to the option groups.

Before the option groups (:mod:`stgan.training.options`) the model took ~28 flat keys. Old
YAML files and dotted ``--model.X`` flags (:mod:`stgan.training.upgrade`) and the
hyper-parameters of earlier checkpoints (training and sampling alike) are rewritten here to
the groups, with one deprecation note per old key naming its new form:

=============================================== ===============================================
old key                                         new form
=============================================== ===============================================
``loss: hinge``                                 ``loss: {name: hinge}``
``generator: conv3d``, ``generator_options``    ``generator: {name, options}``
``discriminator``, ``discriminator_options``    ``discriminator: {name, options}``
``pack``                                        ``discriminator.pack``
``regularizers``                                ``penalties``
``instance_noise``                              ``noise``
``label_smoothing``, ``label_flip``             ``loss.label_smoothing``, ``loss.label_flip``
``d_steps``, ``g_steps``, ``unrolled_*``        ``balance.d_steps``, ...
``adaptive_d``                                  ``balance.adaptive``
``lr_g``, ``lr_d``, ``betas_g``, ``betas_d``    ``optimizer.lr_g``, ...
``ema_decay``                                   ``ema.decay``
``mode_seeking``, ``spectral_matching``,        an entry ``{name: mode_seeking | spectral_matching
``info_weight``: w                              | info, weight: w}`` of ``g_terms`` (0: none)
``divergence_guard``                            ``guard``
=============================================== ===============================================
"""

from __future__ import annotations

import copy
from typing import Any

# Old key -> its dotted place in the groups.
MOVED = {
    "generator_options": "generator.options",
    "discriminator_options": "discriminator.options",
    "pack": "discriminator.pack",
    "regularizers": "penalties",
    "instance_noise": "noise",
    "label_smoothing": "loss.label_smoothing",
    "label_flip": "loss.label_flip",
    "d_steps": "balance.d_steps",
    "g_steps": "balance.g_steps",
    "adaptive_d": "balance.adaptive",
    "unrolled_steps": "balance.unrolled_steps",
    "unrolled_lr": "balance.unrolled_lr",
    "lr_g": "optimizer.lr_g",
    "lr_d": "optimizer.lr_d",
    "betas_g": "optimizer.betas_g",
    "betas_d": "optimizer.betas_d",
    "ema_decay": "ema.decay",
    "divergence_guard": "guard",
}
NAMED = ("loss", "generator", "discriminator")  # a bare string was the registry key
# Old weight key -> generator term, in the order the terms were added to G's loss.
G_TERM_WEIGHTS = {
    "mode_seeking": "mode_seeking",
    "info_weight": "info",
    "spectral_matching": "spectral_matching",
}
# Checkpoint weights of the generator terms before they were registry entries (format 1).
STATE_PREFIXES = {
    "info_head.": "g_terms.info.head.",
    "spectral.": "g_terms.spectral_matching.matching.",
}


def _set(config: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        if not isinstance(config.get(key), dict):
            config[key] = {}
        config = config[key]
    config[last] = value


def set_g_term(terms: list[Any] | None, name: str, weight: Any) -> list[Any]:
    """``terms`` with the entry ``name`` weighted ``weight`` (replaced; weight 0 removes it)."""
    kept = [t for t in terms or [] if not (isinstance(t, dict) and t.get("name") == name)]
    return kept if weight == 0 else [*kept, {"name": name, "weight": weight}]


def upgrade_model_config(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Rewrite the old flat keys of a model config (the ``model:`` mapping) to the groups.

    Parameters
    ----------
    config : dict
        The model's options, old keys, new groups or a mix (an old key wins over the same
        setting in its group).

    Returns
    -------
    dict, list of str
        The config in the new form (a copy), and one note per old key found.
    """
    new = copy.deepcopy(config)
    notes = []
    for key in NAMED:
        if isinstance(new.get(key), str):
            notes.append(f"model.{key}: NAME is deprecated: write model.{key}: {{name: NAME}}")
            new[key] = {"name": new[key]}
    for old, dotted in MOVED.items():
        if old in new:
            notes.append(f"model.{old} is deprecated: write model.{dotted}")
            value = new.pop(old)
            if not (old == "divergence_guard" and value is None):  # None meant the defaults
                _set(new, dotted, value)
    for old, name in G_TERM_WEIGHTS.items():
        if old in new:
            notes.append(
                f"model.{old} is deprecated: write model.g_terms: [{{name: {name}, weight: W}}]"
            )
            new["g_terms"] = set_g_term(new.get("g_terms"), name, new.pop(old))
    return new, notes


def upgrade_hparams(hparams: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's hyper-parameters in the new form (earlier checkpoints' silently)."""
    return upgrade_model_config(hparams)[0]


def upgrade_state_dict(state_dict: dict[str, Any]) -> None:
    """Rename, in place, an earlier checkpoint's weights of the generator terms."""
    for key in [k for k in state_dict if k.startswith(tuple(STATE_PREFIXES))]:
        old = next(p for p in STATE_PREFIXES if key.startswith(p))
        state_dict[STATE_PREFIXES[old] + key[len(old) :]] = state_dict.pop(key)
