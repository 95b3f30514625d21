"""``stgan fit ... --best-of N``: train N seeds at once and keep the best by domain score.

A GAN's result depends on its training seed (Lucic et al. 2018, "Are GANs Created Equal?"),
so one run can be unlucky. ``--best-of N`` runs the same ``stgan fit`` N times at once, as
N processes that share this machine's cores (each ``cores // N`` threads, at least one),
at seeds ``S, S+1, ..., S+N-1`` (``S`` = ``--seed_everything``, default 0), each into
``ROOT/seedK`` (``ROOT`` = ``--trainer.default_root_dir``). Each keeps its best checkpoint
by the in-training domain score (:class:`stgan.training.callbacks.DomainMetrics`, computed on
the validation block of the training data; the test block is never read), and the run with
the lowest such score wins: its checkpoint is copied to ``ROOT/best.ckpt`` and
``ROOT/best_of.json`` lists every seed's score.

The budget is the user's to state honestly: N runs of ``--budget.cpu_minutes M`` cost N × M
CPU-minutes; for the cost of one run, give each ``M / N``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from stgan.errors import StganError
from stgan.io.atomic import atomic_path, write_text
from stgan.training.cli import StganCLI, run_fit

FLAG = "--best-of"


class ResolvedFit(StganCLI):
    """``stgan fit``'s parser only: the configs and overrides resolved, nothing built or run."""

    def before_instantiate_classes(self) -> None:
        """Nothing to prepare: no class is built."""

    def instantiate_classes(self) -> None:
        """Build nothing: only the parsed configuration is wanted."""

    def after_instantiate_classes(self) -> None:
        """Nothing to finish: no class was built."""

    def _run_subcommand(self, subcommand: str) -> None:
        """Run nothing."""


def check_count(n: int) -> int:
    """``n`` if it is a number of seeds to choose among (2 or more), else a clear error."""
    if n < 2:
        raise StganError(f"{FLAG} must be at least 2 seeds, got {n}; leave it out for one run")
    return n


def pop_best_of(args: list[str]) -> tuple[list[str], int | None]:
    """``args`` without ``--best-of N`` (or ``--best-of=N``), and N (None when absent)."""
    out, n = [], None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == FLAG or arg.startswith(FLAG + "="):
            value = (
                arg.partition("=")[2] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            )
            i += 1 if "=" in arg else 2
            try:
                n = int(value)
            except ValueError:
                raise StganError(f"{FLAG} takes a number of seeds, got {value!r}") from None
            check_count(n)
            continue
        out.append(arg)
        i += 1
    return out, n


def best_score(root: Path) -> tuple[float, Path] | None:
    """The lowest domain score of the run under ``root`` and its checkpoint, from the
    run's ``last.ckpt`` (the checkpoint callback's own record); None if it has none."""
    lasts = sorted(root.rglob("last.ckpt"), key=lambda p: p.stat().st_mtime)
    if not lasts:
        return None
    state = torch.load(lasts[-1], map_location="cpu", weights_only=True)
    for key, value in state.get("callbacks", {}).items():
        if key.startswith("ModelCheckpoint") and value.get("best_model_path"):
            score = value["best_model_score"]
            return float(score), Path(value["best_model_path"])
    return None


def run_best_of(args: list[str], n: int, *, exit_on_error: bool = True) -> dict[str, Any]:
    """Train ``stgan fit args`` at ``n`` seeds at once; the best copied to ``ROOT/best.ckpt``.

    ``exit_on_error`` as :func:`stgan.training.cli.run_fit`'s, for the arguments' check.
    Returns the ``best_of.json`` content: ``runs`` (seed → folder, score, checkpoint, exit
    status) and ``best`` (the winner's seed, score and checkpoint).
    """
    config = run_fit(args, cli_class=ResolvedFit, exit_on_error=exit_on_error).config["fit"]
    if not config["metrics"]["every_n_steps"]:
        raise StganError(
            f"{FLAG} picks the run with the best in-training domain score, and "
            "--metrics.every_n_steps 0 turns that score off; set it to a positive number"
        )
    root = Path(config["trainer"].get("default_root_dir") or ".")
    first = int(config.get("seed_everything") or 0)
    seeds = list(range(first, first + n))
    threads = max(1, (os.cpu_count() or 1) // n)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    print(f"{FLAG} {n}: seeds {seeds[0]}..{seeds[-1]} at once, {threads} thread(s) each, in {root}")
    procs = {}
    for seed in seeds:
        folder = root / f"seed{seed}"
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "stgan.cli", "fit", *args]
        command += ["--seed_everything", str(seed), "--trainer.default_root_dir", str(folder)]
        command += ["--trainer.enable_progress_bar", "false"]
        log = open(folder / "fit.log", "w")  # noqa: SIM115 (closed below, after the run)
        procs[seed] = (
            subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env),
            log,
        )
    try:
        codes = {seed: proc.wait() for seed, (proc, _) in procs.items()}
    except KeyboardInterrupt:
        for proc, _ in procs.values():
            proc.terminate()
        raise
    finally:
        for _, log in procs.values():
            log.close()
    runs = {}
    for seed in seeds:
        folder = root / f"seed{seed}"
        found = best_score(folder) if codes[seed] == 0 else None
        runs[seed] = {
            "folder": str(folder),
            "exit": codes[seed],
            "score": found[0] if found else None,
            "checkpoint": str(found[1]) if found else None,
        }
        state = f"domain score {found[0]:.3f}" if found else f"no score (exit {codes[seed]})"
        print(f"  seed {seed}: {state}; log {folder / 'fit.log'}")
    scored = {s: r for s, r in runs.items() if r["score"] is not None and math.isfinite(r["score"])}
    if not scored:
        tail = (root / f"seed{seeds[0]}" / "fit.log").read_text(errors="replace")[-1500:]
        raise StganError(
            f"no run of {FLAG} {n} ended with a domain score; seed {seeds[0]}'s log ends:\n{tail}"
        )
    winner = min(scored, key=lambda s: scored[s]["score"])
    best = root / "best.ckpt"
    with atomic_path(best) as tmp:
        shutil.copyfile(scored[winner]["checkpoint"], tmp)
    record = {"best": {"seed": winner, **scored[winner], "copied_to": str(best)}, "runs": runs}
    write_text(root / "best_of.json", json.dumps(record, indent=1))
    print(f"best: seed {winner}, domain score {scored[winner]['score']:.3f} -> {best}")
    return record
