"""The real-field benchmark's figures: one run's metrics flattened, seeds summed up, targets.

:func:`run_figures` reduces an evaluation's ``metrics.json`` content to the benchmark's
figures (each the worst over the field's variables); :func:`dataset_table` prints, per
preset, the median over seeds and the worst seed of each, and every target of issue 24 as
met or not met with the gap. All figures are errors: lower is better, so "worst" is the
largest. A metric no run reported prints as "—".
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

# (figure, what it is, target or None): the targets at <= 10 CPU-minutes per run.
FIGURES: list[tuple[str, str, float | None]] = [
    ("lsd_octave_db", "per-octave LSD, worst octave (dB)", 1.5),
    ("rapsd_lsd_db", "LSD over linear bins (dB)", None),
    ("mean_map_error", "mean-map error (local std)", 0.2),
    ("std_map_error", "std-map error (local std)", 0.2),
    ("acf_rmse", "ACF RMSE", 0.05),
    ("cross_channel_correlation_error", "cross-variable correlation error", 0.1),
    ("seasonal_cycle_error", "seasonal-cycle error", 0.2),
    ("year_map_error", "year-conditioned mean-map error, worst year (trending record)", 0.2),
    ("seam_z", "seams of full-grid samples: excess ÷ its noise at the tiling harmonics", 2.0),
    ("seam_excess_db", "seams of full-grid samples: excess at the tiling harmonics (dB)", None),
    ("quantile_error_q01", "quantile error at 1 %, absolute (field units)", None),
    ("quantile_error_q99", "quantile error at 99 %, absolute (field units)", None),
    ("quantile_error_q99.9", "quantile error at 99.9 %, absolute (field units)", None),
]


def _numbers(value: Any) -> list[float]:
    """The finite numbers in a scalar, a list or a dict of them (a per-octave curve)."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return [float(value)]
    return []


def _worst(values: list[float]) -> float | None:
    return max(values) if values else None


def run_figures(metrics: Mapping[str, Any]) -> dict[str, float | None]:
    """One run's figures from its evaluation (the ``metrics.json`` content).

    Per-octave LSD is the ``octaves`` metric's worst octave; quantile errors are absolute;
    every figure is the largest over the variables.
    """
    per_var = list(metrics.get("variables", {}).values())

    def over_vars(match) -> float | None:
        return _worst([x for m in per_var for k, v in m.items() if match(k) for x in _numbers(v)])

    out = {
        "lsd_octave_db": over_vars(lambda k: k == "rapsd_lsd_db_worst_octave"),
        "cross_channel_correlation_error": _worst(
            _numbers(metrics.get("cross_channel_correlation_error"))
        ),
    }
    for key in (
        "rapsd_lsd_db",
        "mean_map_error",
        "std_map_error",
        "acf_rmse",
        "seasonal_cycle_error",
    ):
        out[key] = over_vars(lambda k, key=key: k == key)
    for q in ("q01", "q99", "q99.9"):
        out[f"quantile_error_{q}"] = _worst([abs(x) for m in per_var for x in _numbers(m.get(q))])
    return out


def summarise(runs: Sequence[Mapping[str, float | None]]) -> dict[str, tuple[float, float] | None]:
    """Per figure, (median over runs, worst run) over the runs that report it; None if none."""
    out = {}
    for key, _, _ in FIGURES:
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = (statistics.median(values), max(values)) if values else None
    return out


def verdict(summary: tuple[float, float] | None, target: float | None) -> str:
    """``met``, ``not met (+gap)`` on the median, or ``—`` when unmeasured or without target."""
    if summary is None or target is None:
        return "—"
    gap = summary[0] - target
    return "met" if gap <= 0 else f"not met (+{gap:.3g})"


def _cell(summary: tuple[float, float] | None) -> str:
    return "—" if summary is None else f"{summary[0]:.3g} ({summary[1]:.3g})"


def dataset_table(name: str, results: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Markdown table of one dataset: rows are figures, two columns per preset.

    ``results`` maps a preset to its runs, each a dict with ``figures`` (from
    :func:`run_figures`) and ``steps``; or to a one-item list ``[{"skipped": reason}]``.
    """
    presets = [p for p, runs in results.items() if not _skip_reason(runs)]
    lines = [
        f"**{name}** — median over seeds (worst seed); target verdicts on the median",
        "",
        "| figure | target | " + " | ".join(f"{p} | {p}: target" for p in presets) + " |",
        "|---|---:|" + "---:|---|" * len(presets),
    ]
    summaries = {p: summarise([r["figures"] for r in results[p]]) for p in presets}
    for key, label, target in FIGURES:
        cells = [
            f"{_cell(summaries[p][key])} | {verdict(summaries[p][key], target)}" for p in presets
        ]
        limit = "—" if target is None else f"≤ {target:g}"
        lines.append(f"| {label} | {limit} | " + " | ".join(cells) + " |")
    steps = [f"{_steps(results[p])} | " for p in presets]
    lines.append("| generator updates, median (fewest) | | " + " | ".join(steps) + "|")
    lines.append("| seeds | | " + " | ".join(f"{len(results[p])} | " for p in presets) + "|")
    for p, runs in results.items():
        reason = _skip_reason(runs)
        if reason:
            lines.append(f"\n{p}: {reason}")
    return "\n".join(lines)


def _skip_reason(runs: Sequence[Mapping[str, Any]]) -> str | None:
    return runs[0].get("skipped") if len(runs) == 1 else None


def _steps(runs: Sequence[Mapping[str, Any]]) -> str:
    steps = [r["steps"] for r in runs if r.get("steps") is not None]
    return f"{statistics.median(steps):.0f} ({min(steps)})" if steps else "—"
