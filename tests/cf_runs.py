"""stgan on the CF fixtures: real processes, commands in-process, and one fixture's round trip.

:func:`stgan` runs a real ``stgan`` process on one torch thread; :func:`stgan_here` runs a
command through the CLI's entry point in this process; :class:`RoundTrip`, :func:`fit_round_trip`
and :func:`finish_round_trip` take one fixture file through ``fit → generate → evaluate``;
:func:`_error_line` reads the one ``stgan: error:`` line of a failed command.
"""

from __future__ import annotations

import io
import os
import subprocess
import traceback
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import cli_processes
import pytest
from conftest import TINY_FIT

from stgan.cli import main

REPO = Path(__file__).resolve().parents[1]
DEMO = str(REPO / "configs" / "demo.yaml")
NUM_SAMPLES = 8


def stgan(*args: str) -> subprocess.CompletedProcess:
    """A real ``stgan`` process (forked warm: :mod:`cli_processes`), on one torch thread so
    that two can share two cores."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    return cli_processes.run(list(args), cwd=REPO, env=env)


def stgan_here(*argv: str) -> subprocess.CompletedProcess:
    """``stgan ARGV`` through the CLI's own entry point, in this process.

    ``stgan.cli.main`` is what the console script runs; calling it here saves the ~6 s of
    imports a process pays, which for ``inspect``, ``generate`` and ``evaluate`` of a finished
    model (nothing to kill, nothing left running) is all a process would add; ``fit`` keeps
    its real processes. A traceback or an argparse exit is recorded as a process would show it.
    Not thread-safe (stdout and stderr are redirected): one call at a time.
    """
    argv = list(argv)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse refusing an option
            code = exit_.code if isinstance(exit_.code, int) else 1
        except Exception:  # noqa: BLE001 - what an uncaught error looks like from a process: exit 1, a traceback
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def fit_args(data: Path, root: Path, *extra: str) -> list[str]:
    return [
        "fit",
        "--config",
        DEMO,
        "--data.path",
        str(data),
        "--trainer.max_steps",
        "2",
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
        *extra,
    ]


@dataclass
class RoundTrip:
    """One fixture's pass through the CLI: the processes that ran and the files they wrote."""

    name: str
    source: Path
    root: Path
    runs: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)

    @property
    def checkpoint(self) -> Path:
        return self.root / "run" / "logs" / "version_0" / "checkpoints" / "last.ckpt"

    @property
    def output(self) -> Path:
        return self.root / "generated.nc"

    @property
    def evaluation(self) -> Path:
        return self.root / "evaluation"

    def require(self, *steps: str) -> None:
        """Fail with the step's own error message unless each of ``steps`` ran and exited 0."""
        for step in steps:
            run = self.runs.get(step)
            if run is None:
                pytest.fail(f"{self.name}: `stgan {step}` did not run: an earlier step failed")
            if run.returncode != 0:
                pytest.fail(
                    f"{self.name}: `stgan {step}` exited {run.returncode}:\n{run.stderr[-2500:]}"
                )


def fit_round_trip(rt: RoundTrip) -> RoundTrip:
    """``stgan fit`` on ``rt.source`` in ``rt.root``, as a real process (threads may run two)."""
    rt.runs["fit"] = stgan(*fit_args(rt.source, rt.root / "run"))
    return rt


def finish_round_trip(rt: RoundTrip) -> RoundTrip:
    """inspect, then generate and evaluate from the fitted model, each step if it can run,
    in this process (one fixture at a time)."""
    rt.runs["inspect"] = stgan_here("inspect", str(rt.source))
    if rt.runs["fit"].returncode == 0 and rt.checkpoint.is_file():
        rt.runs["generate"] = stgan_here(
            "generate",
            "--checkpoint",
            str(rt.checkpoint),
            "--num-samples",
            str(NUM_SAMPLES),
            "--output",
            str(rt.output),
            "--seed",
            "0",
        )
    if rt.runs.get("generate") is not None and rt.runs["generate"].returncode == 0:
        rt.runs["evaluate"] = stgan_here(
            "evaluate",
            "--real",
            str(rt.source),
            "--generated",
            str(rt.output),
            "--output-dir",
            str(rt.evaluation),
        )
    return rt


def _error_line(run: subprocess.CompletedProcess) -> str:
    """The one ``stgan: error:`` line of a failed command (Lightning may log before it)."""
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("stgan: error: ")]
    assert "Traceback" not in run.stderr, run.stderr[-2500:]
    assert len(errors) == 1 and lines[-1] == errors[0], run.stderr[-2500:]
    return errors[0]
