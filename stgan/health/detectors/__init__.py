"""Detectors: each a condition on the training signals that names one failure.

A detector is one file in this package that registers a factory in :data:`DETECTORS`; the
factory takes its thresholds and returns a :class:`Detector`. The health monitor
(:class:`~stgan.health.monitor.HealthMonitor`) builds one of each from its options and feeds
them every iteration's signals, raw and smoothed (``<signal>_smooth``).

=======================  ====================================================================
key                      failure
=======================  ====================================================================
``mode_collapse``        G's samples alike, or travelling in fewer directions than the data's
``vanishing_gradients``  G's gradient norm far below its peak: D wins and G learns nothing
``d_overpowering``       D separates real from fake almost perfectly for long
``g_overpowering``       D rates generated samples above real ones for long
``divergence``           a rollback, a non-finite signal or a gradient-norm explosion
=======================  ====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from stgan.health.remedies import REMEDIES
from stgan.registry import Registry

DETECTORS = Registry("detector", package="stgan.health.detectors")

Evidence = dict[str, float | None]


@dataclass
class Detector:
    """One failure: a condition on the signals that must hold ``min_steps`` steps in a row.

    ``test(signals)`` returns the evidence (a dict of numbers) when the condition holds at
    this step, else None (an ``_now`` key in it raises the alarm at once, whatever the
    duration); ``describe(evidence, since)`` says what it means.
    """

    name: str
    min_steps: int
    test: Callable[[dict[str, float]], Evidence | None]
    describe: Callable[[Evidence, int], str]
    streak: int = 0  # consecutive iterations the condition has held
    since: int = 0  # the global step at which the current streak began
    remedies: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.remedies = list(REMEDIES[self.name])


def finite(signals: dict[str, float], key: str) -> float | None:
    """``signals[key]`` if present and finite, else None."""
    value = signals.get(key)
    return None if value is None or not math.isfinite(value) else value
