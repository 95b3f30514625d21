"""The failure-mode lab's results: read from each run's files, tabled, and checked against targets.

:func:`summary` reads a finished run's ``metrics.json`` and ``health.json``; :func:`table` writes
the markdown table of all runs; :func:`verdicts` checks the issue's targets against them.
"""

from __future__ import annotations

import json
from pathlib import Path

from failure_lab_plan import LAB, RECOMMENDED


def alarms(run: Path) -> list[str]:
    """Alarm names from the run's health.json (written by the health monitor), if any; an
    alarm whose condition no longer held at the end of training is marked "(cleared)"."""
    found = sorted(run.rglob("health.json"))
    if not found:
        return []
    record = json.loads(found[-1].read_text())
    return [
        a["name"] + ("" if a.get("active_at_end", True) else " (cleared)")
        for a in record.get("alarms", [])
    ]


def summary(run: Path) -> dict:
    """The table's figures from a finished run's files: metrics.json and health.json."""
    metrics = json.loads((run / "evaluation" / "metrics.json").read_text())
    m = next(iter(metrics["variables"].values()))
    return {
        "alarms": alarms(run),
        **{
            k: m.get(k)
            for k in (
                "rapsd_lsd_db",
                "acf_rmse",
                "w1",
                "diversity_ratio",
                "direction_ratio",
                "modes_covered_generated",
                "high_quality_fraction_generated",
                "mode_counts_generated",
                "modes_covered_real",
                "high_quality_fraction_real",
                "mode_counts_real",
            )
        },
    }


def _fmt(value, spec: str, unit: str = "") -> str:
    return "—" if value is None else format(value, spec) + unit


def _counts(counts: list[int] | None) -> str:
    return "—" if counts is None else " ".join(map(str, counts))


def table(results: list[dict]) -> str:
    by = {(r["config"], r["dataset"]): r for r in results}
    names = [n for n, _, _ in LAB if any(k[0] == n for k in by)]
    header = (
        "| configuration | waves: modes covered (of 8) | waves: high-quality | "
        "waves: high-quality windows per mode | grf: LSD (dB) | grf: ACF RMSE | "
        "direction ratio (waves / grf) | "
        "G updates (waves / grf) | fit wall time (waves / grf) | alarms (waves; grf) |"
    )
    lines = [header, "|---|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    real = next((r for r in results if r["dataset"] == "waves"), None)
    if real is not None:
        lines.append(
            f"| real held-out data | {real['modes_covered_real']} | "
            f"{_fmt(real['high_quality_fraction_real'], '.0%')} | "
            f"{_counts(real.get('mode_counts_real'))} | 0 | 0 | 1 / 1 | | | |"
        )
    for name in names:
        w, g = by.get((name, "waves"), {}), by.get((name, "grf"), {})
        lines.append(
            f"| {name} | {_fmt(w.get('modes_covered_generated'), 'd')} | "
            f"{_fmt(w.get('high_quality_fraction_generated'), '.0%')} | "
            f"{_counts(w.get('mode_counts_generated'))} | {_fmt(g.get('rapsd_lsd_db'), '.2f')} | "
            f"{_fmt(g.get('acf_rmse'), '.3f')} | "
            f"{_fmt(w.get('direction_ratio'), '.2f')} / {_fmt(g.get('direction_ratio'), '.2f')} | "
            f"{_fmt(w.get('steps'), 'd')} / {_fmt(g.get('steps'), 'd')} | "
            f"{_fmt(w.get('fit_s'), '.0f', ' s')} / {_fmt(g.get('fit_s'), '.0f', ' s')} | "
            f"{', '.join(w.get('alarms') or []) or '—'}; {', '.join(g.get('alarms') or []) or '—'} |"
        )
    return "\n".join(lines)


def verdicts(results: list[dict]) -> list[str]:
    """The issue's targets, checked against what was measured."""
    by = {(r["config"], r["dataset"]): r for r in results}
    out = []
    w, g = by.get((RECOMMENDED, "waves")), by.get((RECOMMENDED, "grf"))
    if w:
        ok = w["modes_covered_generated"] == 8 and w["high_quality_fraction_generated"] >= 0.8
        out.append(
            f"{RECOMMENDED} on waves: {w['modes_covered_generated']} modes, "
            f"{w['high_quality_fraction_generated']:.0%} high quality "
            f"(target 8 and >= 80%): {'met' if ok else 'NOT met'}"
        )
    if g:
        # Training time: Lightning's timer when --minutes set one (it stops at the first step
        # end past the limit, so allow one second), else the wall time of `stgan fit`.
        train_s = g.get("train_s") or g["fit_s"]
        ok = g["rapsd_lsd_db"] <= 1.0 and g["acf_rmse"] <= 0.05 and train_s <= 601
        out.append(
            f"{RECOMMENDED} on grf: {g['rapsd_lsd_db']:.2f} dB, ACF RMSE {g['acf_rmse']:.3f} "
            f"after {train_s:.0f} s of training (target <= 1 dB, <= 0.05, 10 minutes): "
            f"{'met' if ok else 'NOT met'}"
        )
    v = by.get(("vanilla", "waves"))
    if v:
        # Collapse means fewer modes than the data *and* the monitor's mode_collapse alarm;
        # failing some other way (diverging, vanishing gradients) does not count.
        named = any(a.startswith("mode_collapse") for a in v["alarms"])
        collapsed = v["modes_covered_generated"] < 8 and named
        out.append(
            f"vanilla on waves: {v['modes_covered_generated']} modes, "
            f"{v['high_quality_fraction_generated']:.0%} high quality, diversity ratio "
            f"{v['diversity_ratio']:.2f}, alarms: {', '.join(v['alarms']) or 'none'} "
            f"(target: collapse, named mode_collapse by the monitor): "
            f"{'met' if collapsed else 'NOT met'}"
        )
    return out
