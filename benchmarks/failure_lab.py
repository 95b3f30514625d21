"""The failure-mode lab: each stabilisation preset trained on `waves` (K = 8 modes) and `grf`.

For every configuration in :data:`failure_lab_plan.LAB` and both datasets, the real commands
run as subprocesses, as a user runs them::

    stgan make-data waves|grf ...          (training data seed 0, held-out data seed 1)
    stgan fit --config configs/demo.yaml --config configs/PRESET.yaml [...] --data.path train.nc ...
    stgan generate --checkpoint CKPT --num-samples N --output generated.nc
    stgan evaluate --real heldout.nc --generated generated.nc --output-dir evaluation

and the table reports, from ``evaluation/metrics.json``: on `waves` the modes covered (of 8)
and the high-quality fraction of generated windows; on `grf` the log-spectral distance and
the ACF RMSE; on both the direction ratio (effective number of propagation directions of the
generated windows ÷ the real ones'); the generator updates made and the wall time of
``stgan fit``; and the health monitor's alarms (names from the run's ``health.json``, "—"
when it raised none or wrote none). ``CKPT`` is, on `grf`, the checkpoint with the best
in-training domain score (``last.ckpt`` if there is none) and, on `waves`, ``last.ckpt``
(:data:`failure_lab_plan.CHECKPOINT`). The data and generation seeds are fixed; every
configuration trains once per training seed of ``--seeds`` (``seed_everything``; default 0,
``--seeds 0-7`` for eight), and the table gives per configuration the median and the worst
seed of each figure and how many seeds meet each target, then every run.

Default mode: the demo's models and `grf` data (32 × 32), `waves` on a 16 × 16 grid (two
wavelengths) with a latent-vector generator (:data:`failure_lab_plan.DATASET_FIT`), ``--steps``
generator updates per run (600; with ``--minutes M`` also at most M CPU-minutes of the run's
process, whichever comes first: ``--budget.cpu_minutes``, so a busy machine slows runs down
without cutting their training).
``--jobs N`` trains N runs at once, each with cores / N threads. ``--quick``: a 16 × 16 grid,
windows of 4 steps, batch 4, 4 updates: seconds per run, for development. Targets (default
mode): the recommended preset covers all 8 modes with >= 80 % high-quality samples and on
`grf` reaches <= 1 dB and ACF RMSE <= 0.05; `vanilla` collapses and the monitor says so.

    python benchmarks/failure_lab.py [--quick] [--jobs N] [--minutes M] [--seeds 0-7]
        [--only NAME ...] [--out DIR]

Outputs under ``--out`` (default ``benchmarks/out/failure_lab``, git-ignored): the data,
one folder per run, ``DATASET/CONFIG/seedS`` (logs, checkpoints, health.json, generated.nc,
evaluation/ with metrics.json, report.md, report.html and plots), ``results.json`` and
``table.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from failure_lab_plan import CHECKPOINT, CONFIGS, DATA, DATASET_FIT, GRF_ONLY, LAB, QUICK_FIT, REPO
from failure_lab_table import distribution_table, summary, table, verdicts


def stgan(*args: str, log: Path, threads: int | None = None) -> float:
    """Run ``stgan ARGS`` in a subprocess, output appended to ``log``; return its wall time.
    ``threads`` sets the subprocess's torch/OpenMP thread count (default: torch's own)."""
    start = time.perf_counter()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    with open(log, "a") as out:
        out.write(f"$ stgan {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run(
            [sys.executable, "-m", "stgan.cli", *args],
            check=False,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
        )
    if proc.returncode:
        raise SystemExit(f"stgan {args[0]} failed (exit {proc.returncode}); see {log}")
    return time.perf_counter() - start


def make_data(out: Path, mode: str) -> dict[str, tuple[Path, Path]]:
    files = {}
    for dataset, (train_opts, heldout_opts) in DATA[mode].items():
        pair = []
        for role, opts in (("train", train_opts), ("heldout", heldout_opts)):
            path = out / "data" / f"{dataset}_{role}.nc"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                stgan("make-data", dataset, "--output", str(path), *opts, log=out / "data.log")
            pair.append(path)
        files[dataset] = tuple(pair)
    return files


def checkpoint_facts(ckpt: Path) -> dict:
    """Generator updates and the CPU seconds of training (``--budget.cpu_minutes``'s count)."""
    import torch

    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    budget = state.get("callbacks", {}).get("stgan.CpuBudget", {})
    return {"steps": int(state["global_step"]), "cpu_s": budget.get("used_s")}


def parse_seeds(specs: list[str]) -> list[int]:
    """``["0-7"]`` → 0 … 7; ``["0", "3", "100-104"]`` → 0, 3, 100 … 104 (sorted, unique)."""
    seeds = set()
    for spec in specs:
        first, _, last = spec.partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise SystemExit(
                f"--seeds {spec!r}: give seeds as N or N-M, e.g. --seeds 0-7"
            ) from None
        if high < low:
            raise SystemExit(f"--seeds {spec!r}: the range runs backwards")
        seeds.update(range(low, high + 1))
    return sorted(seeds)


def run_dir(out: Path, dataset: str, name: str, seed: int) -> Path:
    """Where one run's files go: ``OUT/DATASET/CONFIG/seedS``."""
    return out / dataset / name / f"seed{seed}"


def run_one(
    name: str,
    overlay: str,
    dataset: str,
    seed: int,
    files: tuple[Path, Path],
    out: Path,
    args: argparse.Namespace,
) -> dict:
    run = run_dir(out, dataset, name, seed)
    shutil.rmtree(run, ignore_errors=True)  # a fresh run: no checkpoints of an earlier one
    run.mkdir(parents=True)
    log = run / "commands.log"
    log.write_text("")
    presets = ["demo", *overlay.split("+")]
    fit = [
        "fit",
        *(arg for p in presets for arg in ("--config", str(CONFIGS / f"{p}.yaml"))),
        "--data.path",
        str(files[0]),
        "--trainer.default_root_dir",
        str(run),
        "--trainer.max_steps",
        str(args.steps),
        "--trainer.enable_progress_bar",
        "false",
        "--seed_everything",
        str(seed),
        *DATASET_FIT[dataset],
    ]
    if args.quick:
        fit += QUICK_FIT
    if args.minutes:
        # CPU time, not wall time: a busy machine slows a run down but does not cut its training.
        fit += ["--budget.cpu_minutes", str(args.minutes)]
    fit_s = stgan(*fit, log=log, threads=args.threads)
    ckpts = sorted((run / "logs").rglob("*.ckpt"))
    last = next(c for c in ckpts if c.name == "last.ckpt")
    best = [c for c in ckpts if c.name.startswith("best-")]
    ckpt = best[-1] if best and CHECKPOINT[dataset] == "best" else last
    generated = run / "generated.nc"
    stgan(
        "generate",
        "--checkpoint",
        str(ckpt),
        "--num-samples",
        str(args.num_samples),
        "--output",
        str(generated),
        "--seed",
        "0",
        log=log,
        threads=args.threads,
    )
    stgan(
        "evaluate",
        "--real",
        str(files[1]),
        "--generated",
        str(generated),
        "--output-dir",
        str(run / "evaluation"),
        log=log,
        threads=args.threads,
    )
    return {
        "config": name,
        "dataset": dataset,
        "seed": seed,
        "fit_s": fit_s,
        "checkpoint": str(ckpt.relative_to(out)),
        **checkpoint_facts(last),
        **summary(run),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, 4 steps: seconds per run")
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        choices=[n for n, _, _ in LAB],
        metavar="NAME",
        help=f"configurations to run (default: all of {[n for n, _, _ in LAB]})",
    )
    parser.add_argument("--datasets", nargs="+", default=["waves", "grf"], choices=["waves", "grf"])
    parser.add_argument(
        "--out",
        default=str(REPO / "benchmarks" / "out" / "failure_lab"),
        help="output folder (default: benchmarks/out/failure_lab)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="generator updates per run (default 600; --quick: 4)",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="also stop training after this many CPU-minutes of the run's process "
        "(--budget.cpu_minutes; off by default)",
    )
    parser.add_argument(
        "--num-samples",
        type=int,
        default=None,
        help="generated windows evaluated (default 128; --quick: 16)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="runs trained at once (default 1); each gets cores/jobs threads (with --jobs = "
        "cores, a CPU-minute is a minute on one core)",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        default=["0"],
        metavar="S",
        help="training seeds (seed_everything), as N or N-M: --seeds 0-7 runs each "
        "configuration 8 times (default 0); the data and the generation seed stay fixed",
    )
    parser.add_argument(
        "--retable",
        action="store_true",
        help="train nothing: re-read the metrics and alarms of the runs in --out "
        "and print the table",
    )
    args = parser.parse_args()
    args.seeds = parse_seeds(args.seeds)
    args.steps = args.steps or (4 if args.quick else 600)
    args.num_samples = args.num_samples or (16 if args.quick else 128)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    args.threads = max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else None
    out = Path(args.out) / ("quick" if args.quick else "full")
    out.mkdir(parents=True, exist_ok=True)

    results_path = out / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    if args.retable:
        for r in previous:
            r.update(summary(run_dir(out, r["dataset"], r["config"], r.get("seed", 0))))
    else:
        files = make_data(out, "quick" if args.quick else "full")
    todo = [
        (name, overlay, what, dataset, seed)
        for name, overlay, what in LAB
        for seed in args.seeds
        for dataset in args.datasets
        if not args.retable
        and (not args.only or name in args.only)
        and not (dataset == "waves" and name in GRF_ONLY)
    ]

    def one(name: str, overlay: str, what: str, dataset: str, seed: int) -> dict:
        print(f"{name} on {dataset}, seed {seed}: {what} ...", flush=True)
        r = run_one(name, overlay, dataset, seed, files[dataset], out, args)
        print(
            f"  {name} on {dataset}, seed {seed}: {r['fit_s']:.0f} s, {r['steps']} G updates, "
            f"alarms: {', '.join(r['alarms']) or '—'}",
            flush=True,
        )
        return r

    # Runs are independent subprocesses: --jobs N runs N at once, each with its share of cores.
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda job: one(*job), todo))

    # Runs not repeated this time keep their earlier results, so --only refreshes part of a table.
    def key(r: dict) -> tuple:
        return r["config"], r["dataset"], r.get("seed", 0)

    done = {key(r) for r in results}
    results = [r for r in previous if key(r) not in done] + results
    results_path.write_text(json.dumps(results, indent=1))
    text = distribution_table(results) + "\n\nEvery run:\n\n" + table(results)
    (out / "table.md").write_text(text + "\n")
    mode = "--quick (smoke test, not results)" if args.quick else f"{args.steps} steps"
    if args.minutes:
        mode += f" or {args.minutes:g} CPU-minutes"
    print(f"\nfailure-mode lab, {mode}; outputs in {out}\n\n{text}\n")
    for line in [] if args.quick else verdicts(results):
        print(line)


if __name__ == "__main__":
    main()
