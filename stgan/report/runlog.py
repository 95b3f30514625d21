"""A training run's log, read back: Lightning's CSV or TensorBoard scalars, and ``health.json``.

``stgan fit`` writes everything of a run under ``<trainer.default_root_dir>/logs/version_N/``:
``metrics.csv`` (``--trainer.logger csv``, the default) or ``events.out.tfevents.*``
(``--trainer.logger tensorboard``), ``config.yaml``, ``run.json`` and ``checkpoints/`` with
``health.json``. Both logs become one table: one row per step, one column per logged value,
NaN where a value was not logged at that step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stgan.errors import StganError

CSV_NAME = "metrics.csv"
EVENTS_GLOB = "events.out.tfevents.*"


@dataclass(frozen=True)
class RunLog:
    """Where a run's log is: its folder, the log file and its format, and ``health.json``."""

    folder: Path
    path: Path
    format: str  # "csv" or "tensorboard"
    health: Path | None
    others: tuple[Path, ...] = ()  # older version folders of the same run, not read


def _log_in(folder: Path) -> tuple[Path, str] | None:
    if (folder / CSV_NAME).is_file():
        return folder / CSV_NAME, "csv"
    events = sorted(folder.glob(EVENTS_GLOB))
    return (events[-1], "tensorboard") if events else None


def _version(folder: Path) -> int:
    found = re.fullmatch(r"version_(\d+)", folder.name)
    return int(found.group(1)) if found else -1


def find_run_log(run_dir: str | Path) -> RunLog:
    """Find the log of the run in ``run_dir`` (the newest ``version_N`` if there are several).

    ``run_dir`` is a ``stgan fit``'s ``--trainer.default_root_dir``, its ``logs`` folder or one
    ``version_N`` folder. A missing folder or one without a log is a :class:`StganError` that
    says where the log was looked for.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise StganError(
            f"run folder {run_dir} does not exist: give the --trainer.default_root_dir of a "
            "stgan fit (the folder that holds logs/version_N/)"
        )
    candidates = [run_dir] + sorted(
        {*run_dir.glob("logs/version_*"), *run_dir.glob("version_*")}, key=_version, reverse=True
    )
    found = [(c, log) for c in candidates if c.is_dir() and (log := _log_in(c))]
    if not found:
        raise StganError(
            f"no training log in {run_dir}: looked for {CSV_NAME} (--trainer.logger csv) and "
            f"{EVENTS_GLOB} (--trainer.logger tensorboard) in {run_dir}, {run_dir}/logs/version_*/ "
            f"and {run_dir}/version_*/"
        )
    (folder, (path, fmt)), older = found[0], tuple(c for c, _ in found[1:])
    health = sorted(folder.rglob("health.json")) or sorted(run_dir.glob("health.json"))
    return RunLog(folder, path, fmt, health[0] if health else None, older)


def read_metrics_csv(path: str | Path) -> pd.DataFrame:
    """Lightning's ``metrics.csv`` as one row per step.

    Lightning writes a row per logging call, each with the values logged then and empty cells
    for the rest: a training row every ``log_every_n_steps`` and, at an evaluation step, a row
    of domain metrics that may share its step with a training row. Rows of one step are merged
    (the last value of each column wins, empty cells skipped).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``step`` (ascending), a float column per logged value, NaN where it was not
        logged at that step; Lightning's ``epoch`` column is dropped.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        raise StganError(f"{path} is not a readable CSV log: {err}") from None
    if "step" not in table.columns:
        raise StganError(f"{path} has no 'step' column: it is not a Lightning CSV log")
    table = table.dropna(subset=["step"]).astype({"step": int})
    merged = table.groupby("step", sort=True).last()  # last non-empty value per column
    return merged.drop(columns="epoch", errors="ignore").astype(float)


def read_tensorboard(folder: str | Path) -> pd.DataFrame:
    """The scalars of the TensorBoard event files in ``folder`` as one row per step.

    Same layout as :func:`read_metrics_csv`: indexed by step, a column per scalar tag.
    Needs the ``tensorboard`` package (``pip install stgan[tensorboard]``).
    """
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        raise StganError(
            f"the log in {folder} is TensorBoard's: reading it needs the tensorboard package "
            "(pip install stgan[tensorboard])"
        ) from None
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0})  # 0: keep every value
    events.Reload()
    rows: dict[int, dict[str, float]] = {}
    for tag in events.Tags()["scalars"]:
        for event in events.Scalars(tag):
            rows.setdefault(int(event.step), {})[tag] = float(event.value)
    table = pd.DataFrame.from_dict(rows, orient="index", dtype=float).sort_index()
    table.index.name = "step"
    return table.drop(columns="epoch", errors="ignore")


def read_run_log(log: RunLog) -> pd.DataFrame:
    """The table of :func:`read_metrics_csv` or :func:`read_tensorboard` for ``log``."""
    if log.format == "csv":
        table = read_metrics_csv(log.path)
    else:
        table = read_tensorboard(log.folder)
    if table.empty or table.columns.empty:
        raise StganError(f"{log.path} holds no logged values yet")
    return table


def active_spans(flags: pd.Series) -> list[tuple[int, int]]:
    """``(first, last)`` steps of each run of consecutive logged rows where ``flags`` is 1."""
    flags = flags.dropna()
    on = flags.to_numpy() > 0.5
    steps = flags.index.to_numpy()
    spans, start = [], None
    for i in range(len(on)):
        if on[i] and start is None:
            start = i
        if start is not None and (not on[i] or i == len(on) - 1):
            end = i if on[i] else i - 1
            spans.append((int(steps[start]), int(steps[end])))
            start = None
    return spans


def series(table: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """The steps and values where ``column`` was logged (NaN cells dropped)."""
    values = table[column].dropna()
    return values.index.to_numpy(), values.to_numpy()
