"""``stgan.fit``: train in this process through ``stgan fit``'s own code path; the Run it returns.

:func:`fit` turns its arguments into ``stgan fit`` arguments (:func:`fit_args`) and hands them
to :func:`stgan.training.cli.run_fit`, the function the command calls: the same parser,
presets, defaults, callbacks and run folder, and the same messages for bad options.
"""

from __future__ import annotations

import html
import json
import math
import os
import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr
import yaml

from stgan.api.health import Health
from stgan.errors import StganError

if TYPE_CHECKING:
    import pandas as pd

Config = str | os.PathLike | Mapping[str, Any]


@dataclass(frozen=True, repr=False)
class Run:
    """A finished training run: where its files are, its health and its logged metrics.

    Attributes
    ----------
    run_dir : Path
        The run's folder, ``<root_dir>/logs/version_N``: ``config.yaml``, ``run.json``,
        ``metrics.csv`` and ``checkpoints/``.
    checkpoint : Path
        The checkpoint to sample from: the best by domain score, else ``last.ckpt`` (the one
        ``stgan demo`` samples).
    last_checkpoint : Path or None
        ``last.ckpt``, the state to resume from (None when no step was taken).
    health : Health or None
        The health monitor's record (None when ``health.enabled`` is false).
    metrics : pandas.DataFrame
        The logged values, one row per logged step (index ``step``), NaN where a value was not
        logged at that step; empty when logging was off.
    config : dict
        The resolved configuration, as saved in ``run_dir/config.yaml``.
    command : list of str
        The equivalent command line, ``["stgan", "fit", ...]`` (also in ``run.json``).
    """

    run_dir: Path
    checkpoint: Path
    last_checkpoint: Path | None
    health: Health | None
    metrics: pd.DataFrame = field(compare=False)
    config: dict[str, Any] = field(compare=False)
    command: list[str] = field(compare=False)

    def _lines(self) -> list[tuple[str, str]]:
        cols = ", ".join(self.metrics.columns[:6]) + (", ..." if self.metrics.shape[1] > 6 else "")
        return [
            ("checkpoint", str(self.checkpoint)),
            ("last checkpoint", str(self.last_checkpoint)),
            ("health", repr(self.health).splitlines()[0] if self.health else "monitor off"),
            ("metrics", f"{len(self.metrics)} logged steps x {self.metrics.shape[1]} ({cols})"),
        ]

    def __repr__(self) -> str:
        return "\n".join([f"Run({self.run_dir})"] + [f"  {k}: {v}" for k, v in self._lines()])

    def _repr_html_(self) -> str:
        rows = [(k, html.escape(v)) for k, v in self._lines()]
        if self.health is not None:
            rows[2] = ("health", self.health.to_html())
        cells = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>" for k, v in rows
        )
        return (
            f"<b>stgan Run</b> <code>{html.escape(str(self.run_dir))}</code><table>{cells}</table>"
        )


def fit(
    data: str | os.PathLike | Sequence[str | os.PathLike] | xr.Dataset,
    /,
    config: Config | Sequence[Config] = "recommended",
    *,
    max_steps: int | None = None,
    max_time: float | str | timedelta | None = None,
    seed: int = 0,
    root_dir: str | os.PathLike = "runs",
    progress: bool = True,
    best_of: int | None = None,
    **overrides: Any,
) -> Run:
    """Train a GAN on ``data`` in this process, as ``stgan fit`` would, and return the run.

    Parameters
    ----------
    data : path, glob, list of paths or xarray.Dataset
        The training data (``--data.path``). A Dataset is first written (atomically) to a
        NetCDF file ``<root_dir>/data/dataset-<content hash>.nc``, which the run then reads
        and records in ``run.json``.
    config : str, path, dict or a list of these
        A packaged preset by name (``"recommended"``, ``"demo"``, ``"wgan-gp"``, ...: an overlay
        preset goes on ``demo``, exactly as ``stgan fit --config NAME``), a YAML file, or a
        dict laid out as such a file; a list composes them in order, later ones overriding.
    max_steps : int, optional
        Training iterations (``--trainer.max_steps``; default: the config's).
    max_time : float, str or timedelta, optional
        Stop after this long (``--trainer.max_time``): seconds, a ``timedelta`` or
        ``"DD:HH:MM:SS"``.
    seed : int
        ``--seed_everything``.
    root_dir : path
        ``--trainer.default_root_dir``: the run goes to ``<root_dir>/logs/version_N``.
    progress : bool
        Lightning's progress bar (``--trainer.enable_progress_bar``). In Jupyter it is a
        widget when ``ipywidgets`` is installed (Lightning then uses ``tqdm.auto``), text
        otherwise.
    best_of : int, optional
        Train this many seeds at once, from ``seed`` on, each in a process of its own
        sharing the cores, and return the run with the best in-training domain score
        (``stgan fit --best-of N``; :mod:`stgan.training.best_of`): each seed's run is
        under ``<root_dir>/seedK``, the winner's checkpoint is also copied to
        ``<root_dir>/best.ckpt``, and ``<root_dir>/best_of.json`` lists every seed's score.
    **overrides
        ``stgan fit`` options by their dotted keys, ``**{"model.loss.name": "hinge"}``, or
        whole sections as nested dicts, ``model={"loss": {"name": "hinge"}}``; applied last.

    Returns
    -------
    Run
        The checkpoint to sample from, the run folder, health, logged metrics and config.

    Raises
    ------
    StganError
        For a bad option (unknown key, wrong type: the message ``stgan fit`` prints), a
        config that is neither a file nor a preset, or bad data.

    Examples
    --------
    Two iterations of the demo preset on a small synthetic field held in memory:

    >>> import tempfile
    >>> import stgan
    >>> from stgan.data.synthetic import make_grf
    >>> ds = make_grf(time=48, height=8, width=8)
    >>> run = stgan.fit(ds, "demo", max_steps=2, root_dir=tempfile.mkdtemp(), progress=False,
    ...                 **{"data.window_length": 4, "data.batch_size": 2,
    ...                    "trainer.log_every_n_steps": 1})
    >>> run.checkpoint.name, run.health.final_step, len(run.metrics)  # no best yet: the last
    ('last.ckpt', 2, 2)
    """
    from jsonargparse import ArgumentError

    from stgan.training.cli import checkpoints, run_fit

    args = fit_args(data, config, max_steps, max_time, seed, root_dir, progress, overrides)
    command = ["stgan", "fit", *args]
    if best_of is not None:
        return _best_of(args, best_of, command)
    handler = signal.getsignal(signal.SIGINT)
    try:
        cli = run_fit(args, command=command, exit_on_error=False)
    except ArgumentError as err:
        raise StganError(str(err)) from None
    except SystemExit as stop:
        # Lightning ends a Ctrl-C'd fit with sys.exit(1); in a notebook that is an interrupt.
        if stop.code == 1:
            raise KeyboardInterrupt from None
        raise
    finally:
        # ... after setting SIGINT to "ignore", which would leave the kernel uninterruptible.
        if handler is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, handler)
    trainer = cli.trainer
    run_dir = Path(trainer.log_dir)
    best, last = checkpoints(trainer)
    monitor_path = next(
        (getattr(c, "path", None) for c in trainer.callbacks if _is_monitor(c)), None
    )
    return _read_run(run_dir, Path(best), Path(last) if last else None, monitor_path, command)


def _read_run(
    run_dir: Path,
    checkpoint: Path,
    last: Path | None,
    health: Path | None,
    command: list[str],
) -> Run:
    """A :class:`Run` of the finished run in ``run_dir``: its health (if ``health`` names a
    file), logged metrics and saved config read back."""
    saved = run_dir / "config.yaml"
    return Run(
        run_dir=run_dir,
        checkpoint=checkpoint,
        last_checkpoint=last,
        health=Health.read(health) if health and health.is_file() else None,
        metrics=_metrics(run_dir),
        config=yaml.safe_load(saved.read_text(encoding="utf-8")) if saved.is_file() else {},
        command=command,
    )


def _best_of(args: list[str], n: int, command: list[str]) -> Run:
    """:func:`fit` with ``best_of=n``: the winning seed's run, read back from its folder."""
    from jsonargparse import ArgumentError

    from stgan.training.best_of import check_count, run_best_of

    try:
        record = run_best_of(args, check_count(n), exit_on_error=False)
    except ArgumentError as err:
        raise StganError(str(err)) from None
    best = Path(record["best"]["checkpoint"])
    run_dir = best.parent.parent  # <root>/seedK/logs/version_N/checkpoints/best-*.ckpt
    last = run_dir / "checkpoints" / "last.ckpt"
    health = next(iter(sorted(run_dir.rglob("health.json"))), None)
    command = [*command, "--best-of", str(n)]
    return _read_run(run_dir, best, last if last.is_file() else None, health, command)


def fit_args(
    data: Any,
    config: Any,
    max_steps: int | None,
    max_time: Any,
    seed: int,
    root_dir: str | os.PathLike,
    progress: bool,
    overrides: Mapping[str, Any],
) -> list[str]:
    """The ``stgan fit`` arguments :func:`fit` passes for its own arguments (same meanings)."""
    args = []
    for item in [config] if isinstance(config, str | os.PathLike | Mapping) else config:
        args += ["--config", _config_arg(item)]
    args += ["--data.path", _data_arg(data, Path(root_dir))]
    args += ["--seed_everything", str(seed), "--trainer.default_root_dir", str(root_dir)]
    if max_steps is not None:
        args += ["--trainer.max_steps", str(max_steps)]
    if max_time is not None:
        args += ["--trainer.max_time", _duration(max_time)]
    args += ["--trainer.enable_progress_bar", "true" if progress else "false"]
    return args + option_args(overrides)


def option_args(options: Mapping[str, Any]) -> list[str]:
    """``{"model.loss.name": "hinge", "trainer": {...}}`` as ``--KEY VALUE`` arguments.

    Strings go as they are (the parser reads them as the command line's); other values as
    JSON, which the parser reads as YAML: numbers, ``true``/``false``, ``null``, lists, and
    dicts (a section's options, merged into the section as ``--model '{...}'`` does).
    """
    args = []
    for key, value in options.items():
        text = (
            str(value) if isinstance(value, str | os.PathLike) else json.dumps(value, default=str)
        )
        args += [f"--{key}", text]
    return args


def _config_arg(item: Config) -> str:
    from stgan.training.cli import preset_names

    if isinstance(item, Mapping):
        return yaml.safe_dump(json.loads(json.dumps(item, default=str)), sort_keys=False)
    if Path(item).is_file() or (isinstance(item, str) and item in preset_names()):
        return str(item)
    raise StganError(
        f"config {str(item)!r} is neither a file nor a packaged preset; give a YAML file or "
        f"one of the presets: {', '.join(preset_names())}"
    )


def _data_arg(data: Any, root_dir: Path) -> str:
    if isinstance(data, xr.Dataset):
        return str(_write_dataset(data, root_dir / "data"))
    if isinstance(data, str | os.PathLike):
        return str(data)
    return json.dumps([str(p) for p in data])


def _write_dataset(ds: xr.Dataset, folder: Path) -> Path:
    """``ds`` as ``folder/dataset-<hash>.nc``: a Dataset fitted again reuses its file."""
    from dask.base import tokenize

    from stgan.io.netcdf import write_netcdf

    path = folder / f"dataset-{tokenize(ds)[:16]}.nc"
    return path if path.is_file() else write_netcdf(ds, path)


def _duration(value: float | str | timedelta) -> str:
    """Seconds or a timedelta as Lightning's ``DD:HH:MM:SS`` (rounded up to whole seconds)."""
    if isinstance(value, str):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    s = math.ceil(seconds)
    return f"{s // 86400:02d}:{s % 86400 // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _is_monitor(callback: Any) -> bool:
    from stgan.health import HealthMonitor

    return isinstance(callback, HealthMonitor) and callback.enabled


def _metrics(run_dir: Path) -> pd.DataFrame:
    """The run's logged values as :func:`stgan.report.runlog.read_metrics_csv` reads them."""
    import pandas as pd

    from stgan.report.runlog import CSV_NAME, EVENTS_GLOB, read_metrics_csv, read_tensorboard

    if (run_dir / CSV_NAME).is_file():
        return read_metrics_csv(run_dir / CSV_NAME)
    if any(run_dir.glob(EVENTS_GLOB)):
        return read_tensorboard(run_dir)
    return pd.DataFrame(index=pd.Index([], name="step", dtype=int))  # logging was off
