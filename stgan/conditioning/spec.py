"""The conditions' spec of a data module: what ``data.conditions`` and ``data.static`` ask for."""

from __future__ import annotations

from typing import Any

from stgan.conditioning import CONDITIONS
from stgan.conditioning.conditions import WIDTH, parse_conditions
from stgan.errors import StganError


def static_entries(static: list[str] | str | None) -> list[str]:
    """``data.static`` as a list of ``path.nc:variable`` entries."""
    if static is None:
        return []
    return [static] if isinstance(static, str) else [str(s) for s in static]


def condition_spec(data: Any, conditions: list[Any] | str | None) -> dict[str, Any] | None:
    """The spec the model builds its conditions from (None: unconditional).

    ``data`` is the data module (its variables, grid, time axis and ``static`` entries);
    ``static`` entries add the ``static`` kind when ``conditions`` does not name it.
    """
    items = parse_conditions(conditions)
    names = [i["name"] for i in items]
    if data.static and "static" not in names:
        items.append({"name": "static"})
    if "static" in names and not data.static:
        raise StganError(
            "data.conditions names static but data.static gives no field; add "
            "--data.static path.nc:variable (or drop static)"
        )
    if not items:
        return None
    for item in items:  # options given in data.conditions win over the data's defaults
        kind = CONDITIONS.get(item["name"])
        for key, value in kind.options_for(data).items():
            item.setdefault(key, value)
        kind.check(item, data)
    sizes = data.source.sizes
    return {
        "channels": len(data.variables),
        "grid": [sizes["y"], sizes["x"]],
        "items": items,
        "width": WIDTH,
    }
