"""Earlier ``stgan fit`` arguments keep working: old model keys in configs and flags upgraded.

``--config`` files (or YAML strings) and dotted ``--model.X`` flags that name the model's
options by their flat keys of earlier versions are rewritten to the option groups
(:mod:`stgan.old_keys` holds the table) before jsonargparse reads them, each old key with one
note on stderr naming its new form.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml

from stgan.old_keys import G_TERM_WEIGHTS, MOVED, NAMED, set_g_term, upgrade_model_config

_shown: set[str] = set()


def _yaml(text: str) -> Any:
    """``text`` read as a YAML value, or ``text`` itself when it is not valid YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _upgrade_config(value: str, terms: Any, notes: list[str]) -> tuple[str, Any]:
    """A ``--config`` value (a file or a YAML string) with its model section upgraded.

    Returns the value to pass on (a YAML string when anything changed) and the generator
    terms set so far, which a later old weight flag or file amends, as the flat keys merged.
    """
    try:
        with open(value, encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):  # jsonargparse reports these
        config = _yaml(value)
    model = config.get("model") if isinstance(config, dict) else None
    if not isinstance(model, dict):
        return value, terms
    if terms and "g_terms" not in model and any(k in model for k in G_TERM_WEIGHTS):
        model = {**model, "g_terms": terms}
    new, found = upgrade_model_config(model)
    terms = new.get("g_terms", terms)
    if not found:
        return value, terms
    notes.extend(found)
    return yaml.safe_dump({**config, "model": new}, sort_keys=False), terms


def _upgrade_flag(key: str, value: str, terms: Any, notes: list[str]) -> tuple[list[str], Any]:
    """The arguments for one ``--model.KEY VALUE`` flag, and the generator terms so far."""
    head, dot, rest = key.partition(".")
    parsed = _yaml(value)
    if head in MOVED:
        notes.append(f"model.{head} is deprecated: write model.{MOVED[head]}")
        if key == "divergence_guard" and parsed is None:  # null meant the defaults
            return [], terms
        return [f"--model.{MOVED[head]}{dot}{rest}", value], terms
    if key in NAMED and isinstance(parsed, str):
        notes.append(f"model.{key}: NAME is deprecated: write model.{key}: {{name: NAME}}")
        return [f"--model.{key}.name", value], terms
    if key in G_TERM_WEIGHTS:
        notes.append(
            f"model.{key} is deprecated: write model.g_terms: "
            f"[{{name: {G_TERM_WEIGHTS[key]}, weight: W}}]"
        )
        terms = set_g_term(terms if isinstance(terms, list) else [], G_TERM_WEIGHTS[key], parsed)
        return ["--model.g_terms", json.dumps(terms, default=str)], terms
    if key == "g_terms":
        terms = parsed
    return [f"--model.{key}", value], terms


def upgrade_argv(argv: list[str]) -> tuple[list[str], list[str]]:
    """``stgan fit`` arguments with old model keys rewritten to the option groups.

    Handles ``--config FILE`` (or a YAML string; ``-c``) and dotted ``--model.KEY VALUE``
    flags (or ``--model.KEY=VALUE``), in order, so later ones override earlier ones as
    before. Returns the new arguments and one note per old key.
    """
    out: list[str] = []
    notes: list[str] = []
    terms = None
    i = 0
    while i < len(argv):
        flag, eq, value = argv[i].partition("=")
        is_config = flag in ("--config", "-c")
        if not (is_config or flag.startswith("--model.")) or (not eq and i + 1 == len(argv)):
            out.append(argv[i])
            i += 1
            continue
        if not eq:
            value = argv[i + 1]
        i += 1 if eq else 2
        if is_config:
            value, terms = _upgrade_config(value, terms, notes)
            out += [flag, value]
        else:
            args, terms = _upgrade_flag(flag[len("--model.") :], value, terms, notes)
            out += args
    return out, notes


def show_notes(notes: list[str]) -> None:
    """Print each deprecation note once per process, on stderr."""
    for note in notes:
        if note not in _shown:
            _shown.add(note)
            print(f"stgan: note: {note}", file=sys.stderr)
