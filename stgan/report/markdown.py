"""report.md: the evaluation's metrics table, the definitions of what was measured, figures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stgan.metrics.registry import METRICS

# The headline metrics: (heading, key, format); a column shows only when some variable has it.
COLUMNS = [
    ("log-spectral distance (dB)", "rapsd_lsd_db", ".3f"),
    ("ACF RMSE", "acf_rmse", ".4f"),
    ("worst-octave LSD (dB)", "rapsd_lsd_db_worst_octave", ".3f"),
    ("largest-scale LSD (dB)", "rapsd_lsd_db_largest_scale", ".3f"),
    ("temporal PSD distance (dB)", "tpsd_lsd_db", ".3f"),
    ("W1", "w1", ".4g"),
    ("KS", "ks", ".3f"),
    ("99.9 % quantile error", "q99.9", "+.4g"),
    ("W1 per grid point", "w1_gridpoint", ".4g"),
    ("mean-map error (local std)", "mean_map_error", ".3f"),
    ("std-map error (local std)", "std_map_error", ".3f"),
    ("seasonal-cycle error (local std)", "seasonal_cycle_error", ".3f"),
    ("W1 of gradients", "w1_gradient", ".4g"),
    ("diversity ratio", "diversity_ratio", ".3f"),
    ("direction ratio", "direction_ratio", ".2f"),
    ("precision", "precision", ".2f"),
    ("recall", "recall", ".2f"),
    ("coverage", "coverage", ".2f"),
    ("memorisation ratio", "memorisation_ratio", ".2f"),
]


def comparison_text(result: dict[str, Any]) -> str:
    """What the real windows are: "reference data" or "held-out data (the test split ...)"."""
    if result["comparison"] == "held-out":
        return f"held-out data (the {result['split']} split of the model's training data)"
    return "reference data"


def metrics_used(result: dict[str, Any]) -> list[str]:
    """Registry keys of the metrics whose scalars appear in ``result``, in registry order."""
    present = {k for m in result["variables"].values() for k in m}
    return [key for key in METRICS.keys() if present & set(METRICS.get(key).units)]


def _cell(m: dict[str, Any], key: str, fmt: str) -> str:
    value = m.get(key)
    return "–" if value is None else format(value, fmt)


def _seasonal_notes(result: dict[str, Any]) -> list[str]:
    """Why a variable's seasonal-cycle error is undefined, when it is."""
    notes = []
    for name, m in result["variables"].items():
        if m.get("seasonal_cycle_error") is not None or "seasonal_cycle_months" not in m:
            continue
        shared = m["seasonal_cycle_months"]
        why = (
            "the time axes have no dates"
            if shared == 0 and "seasonal_cycle_real" not in m
            else f"the real and generated windows share {shared} calendar month(s), fewer than 2"
        )
        notes += ["", f"Seasonal-cycle error of {name} undefined (–): {why}."]
    return notes


def render_markdown(
    result: dict[str, Any],
    figures: Mapping[str, Iterable[str]],
    *,
    animations: Mapping[str, Iterable[str]] | None = None,
    captions: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Markdown for an evaluation ``result`` (the metrics.json content) and its pictures.

    ``figures`` is variable → the stems of its PNG files, ``animations`` variable → the stems of
    its GIF files (all written beside report.md), ``captions`` variable → stem → caption.
    """
    t, h, w = result["window"]
    word = result["comparison"]
    columns = [c for c in COLUMNS if any(c[1] in m for m in result["variables"].values())]
    lines = [
        f"# stgan evaluation report: generated vs {word} data",
        "",
        f"- {comparison_text(result)}: `{result['real']}` — {result['n_real_windows']} windows",
        f"- generated: `{result['generated']}` — {result['n_generated']} samples",
        f"- window: {t} time steps × {h} × {w} grid points; area weighting: "
        f"{result['area_weighting']}; RAPSD wavenumbers: {result['wavenumbers']}",
        "",
        f"## Generated vs {word} data",
        "",
        "| variable | " + " | ".join(c[0] for c in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for name, m in result["variables"].items():
        cells = " | ".join(_cell(m, key, fmt) for _, key, fmt in columns)
        lines.append(f"| {name} ({m['units']}) | {cells} |")
    lines += _seasonal_notes(result)
    if "cross_channel_correlation_error" in result:
        lines += [
            "",
            f"Cross-channel correlation error: {result['cross_channel_correlation_error']:.4f}",
        ]
    lines += [
        "",
        "Lower is better for the distances; the quantile error is signed (negative: "
        "extremes too weak); a diversity ratio, precision, recall and coverage near 1 match "
        f"the {word} data, a diversity ratio near 0 is mode collapse, a direction ratio well "
        "below 1 a partial one (the samples travel fewer ways than the data's), a memorisation "
        "ratio well below 1 means copies of training data.",
        "",
        "## Definitions",
        "",
    ]
    units = result["units"]
    for key in metrics_used(result):
        entry = METRICS.get(key)
        scalars = ", ".join(f"`{k}` ({units.get(k, '1')})" for k in entry.units)
        lines.append(f"- **{key}**: {entry.description}. {scalars}")
    lines.append("")
    for name, stems in figures.items():
        said = (captions or {}).get(name, {})
        files = [f"{stem}.png" for stem in stems]
        files += [f"{stem}.gif" for stem in (animations or {}).get(name, [])]
        lines += [f"## {name}", ""]
        for file in files:
            stem = file.rsplit(".", 1)[0]
            caption = f"\n*{said[stem]}*" if stem in said else ""
            lines += [f"![{stem}]({file}){caption}", ""]
    return "\n".join(lines)
