"""The failure-mode lab: each stabilisation preset trained on `waves` (K = 8 modes) and `grf`.

For every configuration in :data:`LAB` and both datasets, the real commands run as
subprocesses, as a user runs them::

    stgan make-data waves|grf ...          (training data seed 0, held-out data seed 1)
    stgan fit --config configs/demo.yaml --config configs/NAME.yaml --data.path train.nc ...
    stgan generate --checkpoint BEST --num-samples N --output generated.nc
    stgan evaluate --real heldout.nc --generated generated.nc --output-dir evaluation

and the table reports, from ``evaluation/metrics.json``: on `waves` the modes covered (of 8)
and the high-quality fraction of generated windows; on `grf` the log-spectral distance and
the ACF RMSE; the generator updates made and the wall time of ``stgan fit``; and the health
monitor's alarms (names from the run's ``health.json``, "—" when it raised none or wrote
none). ``BEST`` is the checkpoint with the best in-training domain score (``last.ckpt`` if
there is none). Seeds are fixed (data, ``seed_everything``, generation).

Default mode: the demo's data and models, ``--steps`` generator updates per run (600; with
``--minutes M`` also at most M minutes, whichever comes first). ``--quick``: a 16 × 16 grid,
windows of 4 steps, batch 4, 4 updates: seconds per run, for development. Targets (default
mode): the recommended preset covers all 8 modes with >= 80 % high-quality samples and on
`grf` reaches <= 1 dB and ACF RMSE <= 0.05; `vanilla` collapses and the monitor says so.

    python benchmarks/failure_lab.py [--quick] [--only NAME ...] [--out DIR]

Outputs under ``--out`` (default ``benchmarks/out/failure_lab``, git-ignored): the data,
one folder per run (logs, checkpoints, health.json, generated.nc, evaluation/ with
metrics.json, report.md, report.html and plots), ``results.json`` and ``table.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"

# (name, preset overlay on configs/demo.yaml, what it is)
LAB: list[tuple[str, str, str]] = [
    ("vanilla", "vanilla", "saturating minimax, 2 G steps per D step (Helvetica, seed 000)"),
    ("nonsaturating", "nonsaturating", "non-saturating loss, 1:1"),
    ("wgan-gp", "wgan-gp", "Wasserstein + gradient penalty, n_critic 5"),
    ("hinge-sn-r1", "hinge-sn-r1", "recommended: hinge + spectral norm + R1 + TTUR + EMA"),
    ("ns-instance-noise", "ns-instance-noise", "non-saturating + instance noise + label smoothing"),
    ("unrolled", "unrolled", "non-saturating, D unrolled 5 steps"),
]
RECOMMENDED = "hinge-sn-r1"

# make-data options per dataset: (training file, held-out file), full size and quick.
DATA = {
    "full": {
        "waves": (["--time", "1024"], ["--time", "512", "--seed", "1"]),
        "grf": (["--time", "512"], ["--time", "256", "--seed", "1"]),
    },
    "quick": {
        "waves": (["--time", "256", "--height", "16", "--width", "16"],
                  ["--time", "128", "--height", "16", "--width", "16", "--seed", "1"]),
        "grf": (["--time", "128", "--height", "16", "--width", "16"],
                ["--time", "64", "--height", "16", "--width", "16", "--seed", "1"]),
    },
}
QUICK_FIT = ["--data.window_length", "4", "--data.batch_size", "4", "--metrics.num_samples", "8",
             "--metrics.every_n_steps", "2"]


def stgan(*args: str, log: Path) -> float:
    """Run ``stgan ARGS`` in a subprocess, output appended to ``log``; return its wall time."""
    start = time.perf_counter()
    with open(log, "a") as out:
        out.write(f"$ stgan {' '.join(args)}\n")
        out.flush()
        proc = subprocess.run([sys.executable, "-m", "stgan.cli", *args], check=False, stdout=out,
                              stderr=subprocess.STDOUT, cwd=REPO,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
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


def alarms(run: Path) -> list[str]:
    """Alarm names from the run's health.json (written by the health monitor), if any; an
    alarm whose condition no longer held at the end of training is marked "(cleared)"."""
    found = sorted(run.rglob("health.json"))
    if not found:
        return []
    record = json.loads(found[-1].read_text())
    return [a["name"] + ("" if a.get("active_at_end", True) else " (cleared)")
            for a in record.get("alarms", [])]


def generator_updates(ckpt: Path) -> int:
    import torch

    return int(torch.load(ckpt, map_location="cpu", weights_only=True)["global_step"])


def run_one(name: str, overlay: str, dataset: str, files: tuple[Path, Path], out: Path,
            args: argparse.Namespace) -> dict:
    run = out / dataset / name
    shutil.rmtree(run, ignore_errors=True)  # a fresh run: no checkpoints of an earlier one
    run.mkdir(parents=True)
    log = run / "commands.log"
    log.write_text("")
    fit = ["fit", "--config", str(CONFIGS / "demo.yaml"), "--config", str(CONFIGS / f"{overlay}.yaml"),
           "--data.path", str(files[0]), "--trainer.default_root_dir", str(run),
           "--trainer.max_steps", str(args.steps), "--trainer.enable_progress_bar", "false",
           "--seed_everything", "0"]
    if args.quick:
        fit += QUICK_FIT
    if args.minutes:
        fit += ["--trainer.max_time", f"00:00:{args.minutes:02d}:00"]
    fit_s = stgan(*fit, log=log)
    ckpts = sorted((run / "logs").rglob("*.ckpt"))
    best = [c for c in ckpts if c.name.startswith("best-")]
    ckpt = best[-1] if best else next(c for c in ckpts if c.name == "last.ckpt")
    last = next(c for c in ckpts if c.name == "last.ckpt")
    generated = run / "generated.nc"
    stgan("generate", "--checkpoint", str(ckpt), "--num-samples", str(args.num_samples),
          "--output", str(generated), "--seed", "0", log=log)
    stgan("evaluate", "--real", str(files[1]), "--generated", str(generated),
          "--output-dir", str(run / "evaluation"), log=log)
    metrics = json.loads((run / "evaluation" / "metrics.json").read_text())
    m = next(iter(metrics["variables"].values()))
    return {"config": name, "dataset": dataset, "fit_s": fit_s, "checkpoint": str(ckpt.relative_to(out)),
            "steps": generator_updates(last), "alarms": alarms(run),
            **{k: m.get(k) for k in ("rapsd_lsd_db", "acf_rmse", "w1", "diversity_ratio",
                                     "modes_covered_generated", "high_quality_fraction_generated",
                                     "modes_covered_real", "high_quality_fraction_real")}}


def _fmt(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(results: list[dict]) -> str:
    by = {(r["config"], r["dataset"]): r for r in results}
    names = [n for n, _, _ in LAB if any(k[0] == n for k in by)]
    header = ("| configuration | waves: modes covered (of 8) | waves: high-quality | grf: LSD (dB) | "
              "grf: ACF RMSE | G updates (waves / grf) | fit wall time (waves / grf) | "
              "alarms (waves; grf) |")
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---|"]
    real = next((r for r in results if r["dataset"] == "waves"), None)
    if real is not None:
        lines.append(f"| real held-out data | {real['modes_covered_real']} | "
                     f"{_fmt(real['high_quality_fraction_real'], '.0%')} | 0 | 0 | | | |")
    for name in names:
        w, g = by.get((name, "waves"), {}), by.get((name, "grf"), {})
        label = f"{name} (recommended)" if name == RECOMMENDED else name
        lines.append(
            f"| {label} | {_fmt(w.get('modes_covered_generated'), 'd')} | "
            f"{_fmt(w.get('high_quality_fraction_generated'), '.0%')} | "
            f"{_fmt(g.get('rapsd_lsd_db'), '.2f')} | {_fmt(g.get('acf_rmse'), '.3f')} | "
            f"{_fmt(w.get('steps'), 'd')} / {_fmt(g.get('steps'), 'd')} | "
            f"{_fmt(w.get('fit_s'), '.0f')} s / {_fmt(g.get('fit_s'), '.0f')} s | "
            f"{', '.join(w.get('alarms') or []) or '—'}; {', '.join(g.get('alarms') or []) or '—'} |")
    return "\n".join(lines)


def verdicts(results: list[dict]) -> list[str]:
    """The issue's targets, checked against what was measured."""
    by = {(r["config"], r["dataset"]): r for r in results}
    out = []
    w, g = by.get((RECOMMENDED, "waves")), by.get((RECOMMENDED, "grf"))
    if w:
        ok = w["modes_covered_generated"] == 8 and w["high_quality_fraction_generated"] >= 0.8
        out.append(f"{RECOMMENDED} on waves: {w['modes_covered_generated']} modes, "
                   f"{w['high_quality_fraction_generated']:.0%} high quality "
                   f"(target 8 and >= 80%): {'met' if ok else 'NOT met'}")
    if g:
        ok = g["rapsd_lsd_db"] <= 1.0 and g["acf_rmse"] <= 0.05 and g["fit_s"] <= 600
        out.append(f"{RECOMMENDED} on grf: {g['rapsd_lsd_db']:.2f} dB, ACF RMSE {g['acf_rmse']:.3f} "
                   f"in {g['fit_s']:.0f} s (target <= 1 dB, <= 0.05, <= 600 s): {'met' if ok else 'NOT met'}")
    v = by.get(("vanilla", "waves"))
    if v:
        collapsed = v["modes_covered_generated"] < 8 or v["high_quality_fraction_generated"] < 0.5
        out.append(f"vanilla on waves: {v['modes_covered_generated']} modes, "
                   f"{v['high_quality_fraction_generated']:.0%} high quality, alarms: "
                   f"{', '.join(v['alarms']) or 'none'} (target: collapse, named by the monitor): "
                   f"{'met' if collapsed and v['alarms'] else 'NOT met'}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, 4 steps: seconds per run")
    parser.add_argument("--only", nargs="+", default=None, choices=[n for n, _, _ in LAB],
                        metavar="NAME", help=f"configurations to run (default: all of {[n for n, _, _ in LAB]})")
    parser.add_argument("--datasets", nargs="+", default=["waves", "grf"], choices=["waves", "grf"])
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "failure_lab"),
                        help="output folder (default: benchmarks/out/failure_lab)")
    parser.add_argument("--steps", type=int, default=None,
                        help="generator updates per run (default 600; --quick: 4)")
    parser.add_argument("--minutes", type=int, default=None,
                        help="also stop training after this many minutes (off by default: a "
                             "time limit makes the steps reached depend on the machine's load)")
    parser.add_argument("--num-samples", type=int, default=None,
                        help="generated windows evaluated (default 128; --quick: 16)")
    parser.add_argument("--retable", action="store_true",
                        help="train nothing: re-read the alarms of the runs in --out and print the table")
    args = parser.parse_args()
    args.steps = args.steps or (4 if args.quick else 600)
    args.num_samples = args.num_samples or (16 if args.quick else 128)
    out = Path(args.out) / ("quick" if args.quick else "full")
    out.mkdir(parents=True, exist_ok=True)

    results_path = out / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else []
    if args.retable:
        for r in previous:
            r["alarms"] = alarms(out / r["dataset"] / r["config"])
    else:
        files = make_data(out, "quick" if args.quick else "full")
    results = []
    for name, overlay, what in LAB:
        if args.retable or (args.only and name not in args.only):
            continue
        for dataset in args.datasets:
            print(f"{name} on {dataset}: {what} ...", flush=True)
            r = run_one(name, overlay, dataset, files[dataset], out, args)
            print(f"  {r['fit_s']:.0f} s, {r['steps']} G updates, alarms: {', '.join(r['alarms']) or '—'}",
                  flush=True)
            results.append(r)
    # Runs not repeated this time keep their earlier results, so --only refreshes part of a table.
    done = {(r["config"], r["dataset"]) for r in results}
    results = [r for r in previous if (r["config"], r["dataset"]) not in done] + results
    results_path.write_text(json.dumps(results, indent=1))
    text = table(results)
    (out / "table.md").write_text(text + "\n")
    mode = "--quick (smoke test, not results)" if args.quick else f"{args.steps} steps"
    if args.minutes:
        mode += f" or {args.minutes} min"
    print(f"\nfailure-mode lab, {mode}; outputs in {out}\n\n{text}\n")
    for line in [] if args.quick else verdicts(results):
        print(line)


if __name__ == "__main__":
    main()
