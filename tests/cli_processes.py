"""`stgan` commands as real processes forked from one warm interpreter.

A fresh ``python -m stgan.cli`` spends most of a short test command importing torch,
Lightning, xarray and matplotlib (6 s on an idle 2-core machine, 15-35 s while the suite
keeps both cores busy). Here a fork server (:mod:`multiprocessing`'s ``forkserver``) imports
them once; each command is then a process forked from it that runs ``stgan.cli`` as
``python -m stgan.cli`` would (``runpy`` with ``__main__`` and ``sys.argv`` set, so that
Lightning's DDP launcher re-runs the same command line), with its own working folder,
environment, stdout and stderr, and its exit status. The server never runs a tensor
operation, so a forked child starts its thread pools from scratch.

Tests of the process itself keep plain subprocesses: what a cold start imports
(``test_cli_imports``) and a run killed mid-way (``test_resume``, ``test_atomic_outputs``).
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

# What the server imports before it forks: everything a command would import on its own.
PRELOAD = [
    "torch",
    "pytorch_lightning",
    "xarray",
    "netCDF4",
    "matplotlib.pyplot",
    "stgan.cli",
    "stgan.training.cli",
    "stgan.api",
    "stgan.metrics",
    "stgan.report",
    "stgan.plots",
]

_CONTEXT: multiprocessing.context.BaseContext | None = None


def _context() -> multiprocessing.context.BaseContext:
    global _CONTEXT
    if _CONTEXT is None:
        os.environ.setdefault("MPLBACKEND", "Agg")  # read when the server imports matplotlib
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(PRELOAD)
    return _CONTEXT


def _child(argv: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    """The forked process: ``python -m stgan.cli ARGV`` in ``cwd`` with ``env``."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        opened = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(opened, fd)
        os.close(opened)
    if "OMP_NUM_THREADS" in env:  # read by torch when it loads, which the server did
        import torch

        torch.set_num_threads(int(env["OMP_NUM_THREADS"]))
    if env.get("PYTHONWARNINGS") == "ignore":
        warnings.simplefilter("ignore")
    sys.argv = ["stgan", *argv]
    runpy.run_module("stgan.cli", run_name="__main__", alter_sys=True)


def run(
    argv: list[str],
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """Run ``stgan ARGV`` as a forked process; its exit status, stdout and stderr as text.

    A command still running after ``timeout`` seconds is killed and raises
    :class:`subprocess.TimeoutExpired`, as :func:`subprocess.run` would.
    """
    argv = [str(a) for a in argv]
    env = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="stgan-cli-") as tmp:
        out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
        out.touch()
        err.touch()
        process = _context().Process(
            target=_child, args=(argv, str(cwd or os.getcwd()), env, str(out), str(err))
        )
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(["stgan", *argv], timeout)
        return subprocess.CompletedProcess(
            ["stgan", *argv], process.exitcode, out.read_text(), err.read_text()
        )
