"""Training health: detectors that name a failure, the remedies that answer it, the monitor.

``detectors``
    one file per failure, each registered in :data:`DETECTORS`.
``remedies``
    :data:`REMEDIES`, the toolbox options that answer each failure.
``tracker``
    the smoothed and running signals the detectors test.
``monitor``
    :class:`HealthMonitor`, the Lightning callback (``stgan fit``'s ``health`` section).
``summary``
    ``health.json`` (schema ``stgan-health/1``) and its text form.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use: `stgan report` reads health.json without loading Lightning and torch.
_EXPORTS = {
    "DETECTORS": "stgan.health.detectors",
    "Detector": "stgan.health.detectors",
    "HealthMonitor": "stgan.health.monitor",
    "REMEDIES": "stgan.health.remedies",
    "SCHEMA": "stgan.health.summary",
    "format_summary": "stgan.health.summary",
    "health_record": "stgan.health.summary",
    "read_health": "stgan.health.summary",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
