"""``stgan report RUN_DIR``: a training run's loss, health and metric curves as PNG figures.

Reads the run's log (:mod:`stgan.report.runlog`) and its ``health.json``, and draws, against
the step: the losses of D and G; the gradient norms; D's accuracy and G's diversity; the
domain metrics of every evaluation. Each alarm of the health monitor is a shaded span over
the steps it covered (``first_step`` to ``last_step`` in ``health.json``; without it, the
logged ``alarm_<name>`` indicators). ``report.md`` lists the figures and the alarms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from stgan.health.summary import read_health
from stgan.io.atomic import atomic_path, write_text
from stgan.report.runlog import active_spans, find_run_log, read_run_log, series

# The domain metrics of stgan.training.callbacks.DomainMetrics, logged per variable as
# val_<key>_<variable>: one panel per key, a line per variable.
DOMAIN_KEYS = {
    "rapsd_lsd_db": "RAPSD log-spectral distance (dB)",
    "acf_rmse": "temporal ACF RMSE",
    "w1": "Wasserstein-1 (data units)",
}
Span = tuple[str, int, int]  # (alarm name, first step, last step)


def _lines(ax: Axes, table: pd.DataFrame, columns: list[str], **style: Any) -> int:
    """Plot each present column against the step (the i-th in colour Ci); return how many
    were drawn."""
    drawn = 0
    for i, column in enumerate(columns):
        if column in table.columns and table[column].notna().any():
            steps, values = series(table, column)
            ax.plot(steps, values, label=column, **{"color": f"C{i}", **style})
            drawn += 1
    return drawn


def _smoothed(ax: Axes, table: pd.DataFrame, columns: list[str]) -> None:
    """The smoothed signals the detectors test (``health/<signal>_smooth``, logged at each
    evaluation step), dashed with dots in the colour of the raw signal of the same place."""
    _lines(ax, table, [f"health/{c}_smooth" for c in columns], ls="--", marker="o")


def _alarms(ax: Axes, spans: list[Span], colours: dict[str, str]) -> None:
    """Shade the steps each alarm covered (a line where it covered one step)."""
    labelled = set()
    for name, first, last in spans:
        label = None if name in labelled else f"alarm: {name}"
        labelled.add(name)
        if last > first:
            ax.axvspan(first, last, color=colours[name], alpha=0.2, label=label)
        else:
            ax.axvline(first, color=colours[name], alpha=0.6, lw=2, label=label)


def _losses(axes: list[Axes], table: pd.DataFrame) -> int:
    axes[0].set_ylabel("loss")
    return _lines(axes[0], table, ["loss_d", "loss_g"])


def _grad_norms(axes: list[Axes], table: pd.DataFrame) -> int:
    ax = axes[0]
    drawn = _lines(ax, table, ["grad_norm_g", "grad_norm_d"], alpha=0.6)
    _smoothed(ax, table, ["grad_norm_g", "grad_norm_d"])
    ax.set_yscale("log")
    ax.set_ylabel("gradient L2 norm")
    return drawn


def _balance(axes: list[Axes], table: pd.DataFrame) -> int:
    top, bottom = axes
    drawn = _lines(top, table, ["d_accuracy"], alpha=0.6)
    _smoothed(top, table, ["d_accuracy"])
    top.axhline(0.5, color="grey", lw=0.8, ls=":")  # chance: D cannot tell real from fake
    top.set_ylabel("D accuracy")
    diversity = ["diversity_ratio", "fake_self_diversity", "real_self_diversity"]
    drawn += _lines(bottom, table, diversity, alpha=0.6)
    _smoothed(bottom, table, diversity)
    bottom.set_ylabel("diversity")
    return drawn


def _domain_panels(table: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(title, columns) of each domain-metric panel: the score, then one per metric key."""
    val = [c for c in table.columns if c.startswith("val_")]
    panels = (
        [("domain score (lower is better)", ["val_domain_score"])]
        if ("val_domain_score" in val)
        else []
    )
    grouped = {"val_domain_score"}
    for key, title in DOMAIN_KEYS.items():
        columns = [c for c in val if c.startswith(f"val_{key}_")]
        if columns:
            panels.append((title, columns))
            grouped.update(columns)
    panels += [(c, [c]) for c in val if c not in grouped]  # metrics logged by other callbacks
    return panels


def _domain(axes: list[Axes], table: pd.DataFrame) -> int:
    drawn = 0
    for ax, (title, columns) in zip(axes, _domain_panels(table)):
        drawn += _lines(ax, table, columns, marker="o")
        ax.set_title(title, fontsize=9)
    return drawn


@dataclass(frozen=True)
class Plot:
    """One figure of the report: its caption, its number of panels for a log, how it is drawn
    (returns how many series it drew; 0 skips the figure) and what it needs from the log."""

    caption: str
    panels: Callable[[pd.DataFrame], int]
    draw: Callable[[list[Axes], pd.DataFrame], int]
    needs: str


PLOTS = {
    "losses": Plot("losses of D and G", lambda t: 1, _losses, "loss_d or loss_g"),
    "grad_norms": Plot(
        "gradient norms of G and D (dashed with dots: smoothed, at evaluations)",
        lambda t: 1,
        _grad_norms,
        "grad_norm_g or grad_norm_d",
    ),
    "d_accuracy_diversity": Plot(
        "D's accuracy (0.5: chance) and G's in-batch diversity (dots: smoothed)",
        lambda t: 2,
        _balance,
        "d_accuracy, diversity_ratio or fake_self_diversity",
    ),
    "domain_metrics": Plot(
        "domain metrics of each evaluation against validation windows",
        lambda t: len(_domain_panels(t)),
        _domain,
        "val_* (metrics.every_n_steps > 0)",
    ),
}


def _figure(
    table: pd.DataFrame, plot: Plot, spans: list[Span], colours: dict[str, str]
) -> Figure | None:
    """``plot``'s panels stacked on a shared step axis, or None if there is nothing to draw."""
    panels = plot.panels(table)
    if panels == 0:
        return None
    cols = 1 if panels <= 2 else 2
    rows = -(-panels // cols)
    fig = Figure(figsize=(7 if cols == 1 else 10, 2.6 * rows + 0.6), dpi=100)
    grid = fig.subplots(rows, cols, sharex=True, squeeze=False).ravel()
    for extra in grid[panels:]:
        extra.set_visible(False)
    axes = list(grid[:panels])
    if not plot.draw(axes, table):
        return None
    for ax in axes:
        _alarms(ax, spans, colours)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    for ax in grid[-cols:]:
        ax.set_xlabel("step")
    fig.tight_layout()
    return fig


def alarm_spans(table: pd.DataFrame, health: dict[str, Any] | None) -> list[Span]:
    """Each alarm's steps: from ``health.json`` if there is one, else from the logged
    ``alarm_<name>`` indicators (1 while the condition held)."""
    if health is not None:
        return [(a["name"], int(a["first_step"]), int(a["last_step"])) for a in health["alarms"]]
    spans = []
    for column in sorted(c for c in table.columns if c.startswith("alarm_")):
        spans += [(column[len("alarm_") :], a, b) for a, b in active_spans(table[column])]
    return spans


def report_run(run_dir: str | Path, output_dir: str | Path | None = None) -> dict[str, Any]:
    """Draw a training run's curves as PNG figures and list them in ``report.md``.

    Parameters
    ----------
    run_dir : str or Path
        The ``--trainer.default_root_dir`` of a ``stgan fit`` (or its ``logs/version_N``).
    output_dir : str or Path, optional
        Where the figures and ``report.md`` go (default: ``run_dir/report``). Each file is
        written atomically; other files there are left alone.

    Returns
    -------
    dict
        ``log`` (the file read), ``log_format`` (``csv`` or ``tensorboard``), ``health`` (the
        ``health.json`` read, or None), ``series`` (the log as a step-indexed
        :class:`pandas.DataFrame`), ``alarms`` (``(name, first_step, last_step)`` spans),
        ``figures`` (name → PNG path), ``skipped`` (name → what was missing) and
        ``report_path``.
    """
    log = find_run_log(run_dir)
    table = read_run_log(log)
    health = read_health(log.health) if log.health is not None else None
    spans = alarm_spans(table, health)
    colours = {name: f"C{3 + i}" for i, name in enumerate(dict.fromkeys(s[0] for s in spans))}
    out = Path(output_dir) if output_dir is not None else Path(run_dir) / "report"
    figures, skipped = {}, {}
    for name, plot in PLOTS.items():
        fig = _figure(table, plot, spans, colours)
        if fig is None:
            skipped[name] = f"no {plot.needs} in the log"
            continue
        path = out / f"{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
        figures[name] = path
    report = out / "report.md"
    write_text(report, _markdown(log, health, spans, figures, skipped))
    return {
        "log": log.path,
        "log_format": log.format,
        "health": log.health,
        "series": table,
        "alarms": spans,
        "figures": figures,
        "skipped": skipped,
        "report_path": report,
    }


def _markdown(log, health, spans, figures, skipped) -> str:
    lines = [
        "# Training run",
        "",
        f"Log: `{log.path}` ({log.format}).",
    ]
    if log.others:
        lines.append(
            f"Older logs of this run, not drawn: {', '.join(f'`{p}`' for p in log.others)}."
        )
    if health is None:
        lines += ["", "No `health.json` found: alarms are taken from the logged indicators."]
    else:
        best = health["best_domain_score"]
        lines += [
            "",
            f"Health: **{health['final_state']}** at step {health['final_step']:,}; "
            f"{len(health['alarms'])} alarm(s), {health['rollbacks']} rollback(s); best domain "
            + (
                "score: none"
                if best is None
                else f"score {best:.3f} at step {health['best_step']:,}"
            )
            + f" (`{log.health}`).",
        ]
    if spans:
        lines += ["", "| alarm | first step | last step |", "|---|---|---|"]
        lines += [f"| {name} | {first:,} | {last:,} |" for name, first, last in spans]
        if health is not None:
            lines += [""] + [f"- **{a['name']}**: {a['message']}" for a in health["alarms"]]
    lines += ["", "## Figures", ""]
    for name, path in figures.items():
        lines += [f"### {PLOTS[name].caption}", "", f"![{name}]({path.name})", ""]
    for name, why in skipped.items():
        lines.append(f"- `{name}.png` not drawn: {why}.")
    return "\n".join(lines).rstrip() + "\n"
