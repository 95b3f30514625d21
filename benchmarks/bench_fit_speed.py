"""`stgan fit` with today's defaults against the same command at a pinned earlier commit.

Both sides run the real ``stgan fit --config configs/demo.yaml`` (conv3d × conv3d, windows
(8, 32, 32), batch 16) on the demo's training file, a (512, 32, 32) grf field, in their own
process, with neither domain metrics nor logs, and with no flag of their own:

- **now**: this checkout, with its defaults (the precision chosen by
  :func:`stgan.training.precision.fastest_precision`, ``model.channels_last`` true, the
  generator's upsampling convolutions folded onto the coarse grid);
- **reference**: the code of ``--reference`` (default: the last commit before the fast
  paths, when ``stgan fit`` trained in float32, contiguous memory, upsampling then
  convolving), unpacked by ``git archive`` into a temporary folder.

A callback (``bench_ddp.StepTimer``) stamps the end of every training batch; the rate is
windows per second over the steps after ``--warmup``. The sides run in turn, in the order
A, B, B, A, ... (``--rounds`` pairs), so a drift in the machine's load falls on both alike;
each side's rate is the median of its runs, and the ratio now ÷ reference is printed.
``--threads N`` sets ``OMP_NUM_THREADS`` for both (default: torch's own choice);
``--try FLAGS...`` adds flags to the "now" side (e.g. ``--try --model.compile true``).

Run: ``python benchmarks/bench_fit_speed.py`` (about 5 minutes on 2 quiet cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO_DATA = {"time": 512, "height": 32, "width": 32, "seed": 0}  # `stgan demo`'s training file
BATCH = 16  # configs/demo.yaml's data.batch_size
# The last commit before the fast paths of issue 25 (float32, contiguous, plain upsampling).
REFERENCE = "fffdc166021593bce472eca0a97a0fe233c5f9aa"


def unpack(commit: str, folder: Path) -> Path:
    """The tree of ``commit`` of this repository, written under ``folder``."""
    tree = folder / f"stgan-{commit[:8]}"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SystemExit(f"cannot read commit {commit}: {archive.stderr.decode()[-500:]}")
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def windows_per_second(
    code: Path,
    data: Path,
    work: Path,
    flags: list[str],
    args: argparse.Namespace,
    batch: int = BATCH,
) -> tuple[float, str]:
    """Training windows per second of one ``stgan fit`` run of the code in ``code``.

    ``batch`` is the run's batch size (``flags`` set it where it is not the demo's).
    Returns the rate and the precision the run's ``config.yaml`` records.
    """
    out = Path(tempfile.mkdtemp(dir=work))
    timer = {"class_path": "bench_ddp.StepTimer", "init_args": {"out": str(out / "t.json")}}
    command = [
        *[sys.executable, "-m", "stgan.cli", "fit", "--config", str(code / "configs/demo.yaml")],
        *["--data.path", str(data), "--trainer.max_steps", str(args.warmup + args.steps)],
        *["--trainer.default_root_dir", str(out), "--trainer.logger", "false"],
        *["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"],
        *["--metrics.every_n_steps", "0", "--trainer.callbacks", json.dumps([timer])],
        *flags,
    ]
    # The timer from this checkout's benchmarks/, stgan from ``code``, the rest as before.
    paths = [str(ROOT / "benchmarks"), str(code), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
        "PYTHONWARNINGS": "ignore",
    }
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    proc = subprocess.run(command, cwd=out, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"stgan fit failed ({code}):\n{proc.stderr[-3000:]}")
    stamps = json.loads((out / "t.json").read_text())  # one per step
    config = next(out.rglob("config.yaml"), None)
    precision = "?"
    if config is not None:
        chosen = yaml.safe_load(config.read_text())["trainer"]["precision"]
        precision = str(chosen) if chosen else "32-true (Lightning default)"
    rate = batch * args.steps / (stamps[-1] - stamps[args.warmup - 1])
    return rate, precision


def main(argv: list[str] | None = None) -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run (20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed first steps (3)")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of runs (2)")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS for both")
    parser.add_argument("--reference", default=REFERENCE, help="the pinned commit")
    parser.add_argument("--json", default=None, help="write the ratio row here (benchmarks.all)")
    parser.add_argument(
        "--try",
        dest="extra",
        nargs=argparse.REMAINDER,
        default=[],
        help="flags added to the 'now' side (e.g. --try --model.compile true)",
    )
    args = parser.parse_args(argv)
    if args.warmup < 1:
        parser.error("--warmup must be at least 1: the first step's end starts the clock")

    from stgan.data.synthetic import make_grf
    from stgan.io.netcdf import write_netcdf

    load_before = os.getloadavg()
    rates: dict[str, list[float]] = {"now": [], "reference": []}
    precisions: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sides = {"now": (ROOT, args.extra), "reference": (unpack(args.reference, work), [])}
        data = work / "grf.nc"
        write_netcdf(make_grf(**DEMO_DATA), data)
        for i in range(args.rounds):
            for side in ("now", "reference") if i % 2 == 0 else ("reference", "now"):
                code, flags = sides[side]
                rate, precisions[side] = windows_per_second(code, data, work, flags, args)
                rates[side].append(rate)
                print(f"round {i + 1}: {side}: {rate:.2f} windows/s", flush=True)

    median = {side: statistics.median(r) for side, r in rates.items()}
    ratio = median["now"] / median["reference"]
    print()
    print(f"stgan fit, demo preset, batch {BATCH}, {args.steps} timed steps after {args.warmup},")
    print(f"median of {args.rounds} runs per side; threads: {args.threads or 'torch default'}")
    print(f"machine: {os.cpu_count()} CPU cores; command: python benchmarks/bench_fit_speed.py")
    print(f"load average (1 min): {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
    print()
    print("| side | code | flags | precision | windows/s |")
    print("|---|---|---|---|---|")
    now_flags = " ".join(args.extra) or "(none)"
    print(f"| now | this checkout | {now_flags} | {precisions['now']} | {median['now']:.2f} |")
    print(
        f"| reference | {args.reference[:8]} | (none) | {precisions['reference']} | "
        f"{median['reference']:.2f} |"
    )
    print()
    print(f"now ÷ reference: {ratio:.2f}×")
    if args.json:
        row = {
            "what": f"stgan fit defaults ÷ stgan fit at {args.reference[:8]}",
            "measured": median["now"],
            "reference": median["reference"],
            "unit": "windows/s",
            "ratio": ratio,
        }
        Path(args.json).write_text(json.dumps({"rows": [row]}, indent=1))


if __name__ == "__main__":
    main()
