"""DDP scaling on CPU: `stgan fit` with 1 process vs 2 processes at the same global batch.

Both sides run the real ``stgan fit --config configs/demo.yaml`` (conv3d × conv3d, windows
(8, 32, 32)) on the demo's training file, a (512, 32, 32) grf field, with one thread per
process (``OMP_NUM_THREADS=1``):

- 1 process, ``data.batch_size`` 16;
- 2 processes, ``--trainer.strategy ddp --trainer.devices 2`` over gloo, ``data.batch_size``
  8 each: the same global batch of 16 windows per step.

A callback (:class:`StepTimer`, loaded by class path in every process) stamps the end of
each training batch on rank zero; the rate is global windows per second over the steps after
``--warmup`` (process start, imports, DDP's set-up and the first steps are not counted).
Neither side computes domain metrics or logs. The two sides run in turn, in the order
1, 2, 2, 1, ... (``--rounds`` pairs), so a drift in the machine's load falls on both alike;
each side's rate is the median over its runs. Scaling efficiency = 2-process rate ÷
(2 × 1-process rate): 1.0 is perfect, 0.5 means the second process added nothing.

Run: ``python benchmarks/bench_ddp.py`` (``--steps 10`` took 7 minutes on 2 loaded cores).
The machine's load average is printed before and after, as the ratio is only as fair as the
load was even.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "demo.yaml"
DEMO_DATA = {"time": 512, "height": 32, "width": 32, "seed": 0}  # `stgan demo`'s training file
GLOBAL_BATCH = 16  # configs/demo.yaml's data.batch_size


class StepTimer(pl.Callback):
    """Writes rank zero's ``time.perf_counter()`` at the end of every training batch."""

    def __init__(self, out: str) -> None:
        self.out = Path(out)
        self.stamps: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.stamps.append(time.perf_counter())

    def on_train_end(self, trainer, pl_module) -> None:
        if trainer.global_rank == 0:
            self.out.write_text(json.dumps(self.stamps))


def windows_per_second(data: Path, work: Path, processes: int, steps: int, warmup: int) -> float:
    """Global training windows per second of one ``stgan fit`` run with ``processes`` ranks."""
    out = Path(tempfile.mkdtemp(dir=work))
    timer = {"class_path": "bench_ddp.StepTimer", "init_args": {"out": str(out / "t.json")}}
    ddp = ["--trainer.strategy", "ddp", "--trainer.devices", str(processes)]
    command = [
        *[sys.executable, "-m", "stgan.cli", "fit", "--config", str(CONFIG)],
        *["--data.path", str(data), "--data.batch_size", str(GLOBAL_BATCH // processes)],
        *["--trainer.max_steps", str(warmup + steps), "--trainer.accelerator", "cpu"],
        *["--trainer.default_root_dir", str(out), "--trainer.logger", "false"],
        *["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"],
        *["--metrics.every_n_steps", "0", "--trainer.callbacks", json.dumps([timer])],
        *(ddp if processes > 1 else []),
    ]
    # One thread per process (Lightning leaves OMP_NUM_THREADS alone when it is set); the
    # timer's module must import in every rank.
    path = os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(command, cwd=out, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"stgan fit failed ({processes} processes):\n{proc.stderr[-3000:]}")
    stamps = json.loads((out / "t.json").read_text())  # one per step
    return GLOBAL_BATCH * steps / (stamps[-1] - stamps[warmup - 1])


def main() -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run (20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed first steps (3)")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of runs per side (2)")
    parser.add_argument("--json", default=None, help="write the ratio row here (benchmarks.all)")
    args = parser.parse_args()
    if args.warmup < 1:
        parser.error("--warmup must be at least 1: the first step's end starts the clock")

    from stgan.data.synthetic import make_grf
    from stgan.io.netcdf import write_netcdf

    load_before = os.getloadavg()
    rates: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "grf.nc"
        write_netcdf(make_grf(**DEMO_DATA), data)
        for i in range(args.rounds):
            for processes in (1, 2) if i % 2 == 0 else (2, 1):  # 1, 2, 2, 1, 1, 2, ...
                rate = windows_per_second(data, work, processes, args.steps, args.warmup)
                rates[processes].append(rate)
                print(f"round {i + 1}: {processes} process(es): {rate:.1f} windows/s", flush=True)

    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print()
    print(f"DDP on CPU, demo model, global batch {GLOBAL_BATCH}, 1 thread per process,")
    print(f"{args.steps} timed steps after {args.warmup}, median of {args.rounds} runs per side")
    print(f"machine: {os.cpu_count()} CPU cores; command: python benchmarks/bench_ddp.py")
    loads = [f"{a:.1f} before, {b:.1f} after" for a, b in zip(load_before, os.getloadavg())]
    print(f"load average (1 min): {loads[0]}")
    print()
    print("| processes | batch per process | windows/s |")
    print("|---|---|---|")
    print(f"| 1 | {GLOBAL_BATCH} | {one:.1f} |")
    print(f"| 2 (ddp, gloo) | {GLOBAL_BATCH // 2} | {two:.1f} |")
    print()
    print(f"speed-up {two / one:.2f}×, scaling efficiency {two / (2 * one):.2f}")
    if args.json:
        row = {
            "what": "DDP, 2 processes ÷ 1 process (efficiency = ratio / 2)",
            "measured": two,
            "reference": one,
            "unit": "windows/s",
            "ratio": two / one,
        }
        Path(args.json).write_text(json.dumps({"rows": [row]}, indent=1))


if __name__ == "__main__":
    main()
