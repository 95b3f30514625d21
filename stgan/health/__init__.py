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

from stgan.health.detectors import DETECTORS, Detector
from stgan.health.monitor import HealthMonitor
from stgan.health.remedies import REMEDIES
from stgan.health.summary import SCHEMA, format_summary, health_record, read_health

__all__ = [
    "DETECTORS",
    "REMEDIES",
    "SCHEMA",
    "Detector",
    "HealthMonitor",
    "format_summary",
    "health_record",
    "read_health",
]
