"""The arguments of GANModule: old forms upgraded, groups made, penalties built."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from stgan.errors import StganError
from stgan.old_keys import upgrade_model_config
from stgan.registry import call_checked
from stgan.stabilization.penalties import PENALTIES, Penalty
from stgan.training.options import (
    AugmentOptions,
    BalanceOptions,
    DiscriminatorOptions,
    EMAOptions,
    GeneratorOptions,
    GuardOptions,
    LossOptions,
    NoiseOptions,
    OptimizerOptions,
)
from stgan.training.upgrade import show_notes

# The groups GANModule takes, by argument name; noise and augment may be null (off).
GROUPS: dict[str, type] = {
    "generator": GeneratorOptions,
    "discriminator": DiscriminatorOptions,
    "loss": LossOptions,
    "noise": NoiseOptions,
    "augment": AugmentOptions,
    "balance": BalanceOptions,
    "optimizer": OptimizerOptions,
    "ema": EMAOptions,
    "guard": GuardOptions,
}
NULLABLE = ("noise", "augment")


def as_group(name: str, value: Any) -> Any:
    """The option group ``name`` from a dataclass, a mapping of its fields or None.

    None means off for the nullable groups (noise, augment) and the defaults for the others.
    """
    cls = GROUPS[name]
    if value is None:
        return None if name in NULLABLE else cls()
    if not isinstance(value, cls | dict):
        raise StganError(
            f"model.{name} takes a mapping of its options, e.g. {_example(cls)}, got {value!r}"
        )
    group = value if isinstance(value, cls) else call_checked(cls, f"model.{name}", value)
    # Checked here, not in __post_init__: jsonargparse makes the nullable groups while it
    # parses, and would bury the message in its own.
    group.check()
    return group


def _example(cls: type) -> str:
    """``{field: default, ...}`` of a group, for messages."""
    pairs = (f"{k}: {v}" for k, v in asdict(cls()).items() if v not in (None, {}))
    return "{" + ", ".join(pairs) + "}"


def group_dicts(arguments: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` with every option group as a plain mapping (the checkpoint's form)."""
    return {
        k: asdict(v) if k in GROUPS and hasattr(v, "__dataclass_fields__") else v
        for k, v in arguments.items()
    }


def build_penalties(specs: list[dict[str, Any]] | None) -> list[Penalty]:
    """The discriminator penalties of ``model.penalties``, each ``{name: KEY, ...options}``."""
    if specs is not None and not isinstance(specs, list):
        raise StganError(
            f"model.penalties takes a list such as [{{name: r1, gamma: 10}}], got {specs!r}"
        )
    built = []
    for spec in specs or []:
        if not isinstance(spec, dict):
            raise StganError(f"each penalty takes a mapping of options, got {spec!r}")
        options = dict(spec)
        name = options.pop("name", None)
        if name is None:
            raise StganError(
                "each penalty needs a name, e.g. {name: r1, gamma: 10}; "
                f"valid names: {', '.join(PENALTIES.keys())}"
            )
        built.append(PENALTIES.build(name, **options))
    return built


def resolve_arguments(given: dict[str, Any], legacy: dict[str, Any]) -> tuple[dict, dict]:
    """GANModule's arguments in the checkpoint's form, and its option groups made.

    Parameters
    ----------
    given : dict
        The named arguments (groups as dataclasses, mappings or, for the old forms, strings).
    legacy : dict
        Flat keys of earlier versions; each is rewritten with a note on stderr.

    Returns
    -------
    dict, dict
        Every argument as plain types (groups as mappings: the hyper-parameters saved in
        checkpoints, which load with ``weights_only=True``), and the groups by name.
    """
    arguments, notes = upgrade_model_config(group_dicts({**given, **legacy}))
    show_notes(notes)
    unknown = sorted(set(arguments) - set(given))
    if unknown:
        raise StganError(f"GANModule has no option {', '.join(map(repr, unknown))}")
    groups = {k: as_group(k, arguments[k]) for k in GROUPS}
    return group_dicts({**arguments, **groups}), groups
