"""A run's health record (``health.json``) as typed objects, for :class:`stgan.Run`."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stgan.health.summary import format_summary, read_health


@dataclass(frozen=True)
class Alarm:
    """One alarm of the health monitor: a named failure seen between two steps.

    Attributes
    ----------
    name : str
        The detector, e.g. ``mode_collapse`` or ``vanishing_gradients``.
    first_step, last_step : int
        The global steps the alarm was raised at and last seen at.
    message : str
        What was seen, in words.
    active_at_end : bool
        Whether its condition still held when training ended (False: a transient).
    evidence : dict
        The numbers the detector judged (None where not finite).
    remedies : list of str
        What to try, each naming its config key.
    """

    name: str
    first_step: int
    last_step: int
    message: str
    active_at_end: bool
    evidence: dict[str, float | None] = field(default_factory=dict)
    remedies: list[str] = field(default_factory=list)


@dataclass(frozen=True, repr=False)
class Health:
    """The end-of-training health record of a run, as ``stgan report`` reads it.

    Its ``repr`` is the summary ``stgan fit`` prints when training ends.

    Attributes
    ----------
    state : str
        ``healthy`` (no alarm), ``recovered`` (all alarms cleared), ``alarms`` (one still
        active), ``diverged``, ``interrupted`` or ``failed``.
    final_step : int
        The global step training ended at.
    best_domain_score : float or None
        The lowest ``val_domain_score`` seen (None: the domain metrics never ran).
    best_step : int or None
        Its step.
    rollbacks : int
        Rollbacks of the divergence guard.
    alarms : tuple of Alarm
        Sorted by first step.
    path : Path
        The ``health.json`` read.
    """

    state: str
    final_step: int
    best_domain_score: float | None
    best_step: int | None
    rollbacks: int
    alarms: tuple[Alarm, ...]
    path: Path
    record: dict[str, Any]  # health.json as read, for format_summary

    @classmethod
    def read(cls, path: str | Path) -> Health:
        """Read a ``health.json`` (schema ``stgan-health/1``; another is a StganError)."""
        record = read_health(path)
        return cls(
            state=record["final_state"],
            final_step=record["final_step"],
            best_domain_score=record["best_domain_score"],
            best_step=record["best_step"],
            rollbacks=record["rollbacks"],
            alarms=tuple(Alarm(**a) for a in record["alarms"]),
            path=Path(path),
            record=record,
        )

    def __repr__(self) -> str:
        return format_summary(self.record, self.path)

    def to_html(self) -> str:
        """The state line and one list item per alarm, as an HTML fragment."""
        lines = format_summary(self.record).splitlines()
        items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in lines[1:])
        return f"{html.escape(lines[0])}" + (f"<ul>{items}</ul>" if items else "")
