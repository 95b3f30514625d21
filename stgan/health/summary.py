"""The health record of a run: ``health.json`` (schema ``stgan-health/1``) and its text form.

Written atomically beside the checkpoints at the end of ``stgan fit`` by the monitor, and read
back by ``stgan report`` (:func:`read_health`) and the failure lab.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from stgan.errors import StganError
from stgan.io.atomic import write_text

SCHEMA = "stgan-health/1"


def health_record(
    alarms: dict[str, dict[str, Any]],
    active: dict[str, bool],
    scores: list[tuple[int, float]],
    *,
    final_step: int,
    final_state: str | None,
    rollbacks: int,
) -> dict[str, Any]:
    """The ``health.json`` record.

    Parameters
    ----------
    alarms : dict
        Alarm name → ``{name, first_step, last_step, message, evidence, remedies}``.
    active : dict
        Alarm name → whether its condition holds at the end.
    scores : list of (int, float)
        ``(step, val_domain_score)`` of every evaluation.
    final_step : int
        The global step training ended at.
    final_state : str or None
        ``diverged``, ``interrupted`` or ``failed`` when training ended early; None works it
        out from the alarms: ``alarms`` (one still active), ``recovered`` (all cleared) or
        ``healthy`` (none).
    rollbacks : int
        Rollbacks of the divergence guard.

    Returns
    -------
    dict
        ``{schema, alarms (sorted by first_step, each with active_at_end), best_domain_score,
        best_step, final_step, final_state, rollbacks}``.
    """
    best = min(scores, key=lambda p: p[1]) if scores else None
    records = sorted(
        ({**a, "active_at_end": bool(active.get(a["name"], False))} for a in alarms.values()),
        key=lambda a: a["first_step"],
    )
    # An alarm whose condition no longer holds at the end (a transient) leaves the run
    # "recovered"; one still holding leaves it in "alarms".
    state = final_state or (
        "alarms"
        if any(a["active_at_end"] for a in records)
        else "recovered"
        if records
        else "healthy"
    )
    return {
        "schema": SCHEMA,
        "alarms": records,
        "best_domain_score": None if best is None else float(best[1]),
        "best_step": None if best is None else int(best[0]),
        "final_step": int(final_step),
        "final_state": state,
        "rollbacks": int(rollbacks),
    }


def write_health(summary: dict[str, Any], folder: str | Path) -> Path:
    """Write ``summary`` as ``folder/health.json`` (atomically); return its path."""
    path = Path(folder) / "health.json"
    write_text(path, json.dumps(summary, indent=2) + "\n")
    return path


def read_health(path: str | Path) -> dict[str, Any]:
    """Read a ``health.json``; a file of another schema is a :class:`StganError`."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StganError(f"cannot read the health record {path}: {err}") from None
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise StganError(f"{path} is not a health record of schema {SCHEMA!r}")
    return record


def format_summary(summary: dict[str, Any], path: Path | None = None) -> str:
    """The end-of-fit health summary as a few lines of text."""
    best = summary["best_domain_score"]
    lines = [
        f"stgan health: {summary['final_state']} at step {summary['final_step']:,}; "
        f"{len(summary['alarms'])} alarm(s), {summary['rollbacks']} rollback(s); best domain "
        + ("score: none" if best is None else f"score {best:.3f} at step {summary['best_step']:,}")
    ]
    for alarm in summary["alarms"]:
        when = "still active" if alarm.get("active_at_end") else "cleared"
        lines.append(
            f"  {alarm['name']} (steps {alarm['first_step']:,}-{alarm['last_step']:,}, {when}): "
            f"{alarm['message']}"
        )
    if path is not None:
        lines.append(f"  written to {path}")
    return "\n".join(lines)


def plain(evidence: dict[str, Any]) -> dict[str, float | None]:
    """Evidence as JSON-safe plain numbers (None for missing or non-finite)."""
    out = {}
    for k, v in evidence.items():
        v = float(v) if v is not None else None
        out[k] = v if v is not None and math.isfinite(v) else None
    return out
