"""How one training step's time and memory grow with the grid and the window.

Each cell is one (generator, grid, window): the plain PyTorch loop of ``bench_training.py``
(one D then one G update, non-saturating loss, Adam, fp32, all threads) with the conv3d or the
ConvGRU generator against the default conv3d discriminator (``bench_training.PAIRS``: the demo
options for conv3d, the defaults for ConvGRU), on batch ``--batch`` of standard-normal windows
(T, N, N). Step time is the median of ``--steps`` steps after ``--warmup``. Peak memory is the
resident-set high-water mark (``VmHWM`` in ``/proc/self/status``) of a fresh subprocess per
cell, so no cell inherits another's peak; "step MiB" is that peak less the resident size just
before the first step (interpreter, torch, models and batch). tracemalloc would miss torch's
allocations, which are not Python objects.

Cells run in order of size (T × N²) per generator. A cell is skipped, with the reason printed,
when its memory or time predicted from the largest cell already measured for that generator
(both taken as proportional to T × N²) exceeds ``--max-mib`` or ``--max-cell-s``.

The exponent ``p`` of cost ∝ cells^p (cells = N²) is the least-squares slope of log cost on
log cells, per generator and window, for the step time and for the step memory.

Run: ``python benchmarks/bench_scaling.py`` (all cells; ``--quick`` for 16² and 32² grids).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

# Each generator's pair in bench_training.PAIRS: its options and the default discriminator's.
PAIR_LABELS = {"conv3d": "conv3d × conv3d (default)", "convgru": "convgru × conv3d"}


def fit_exponent(cells: Sequence[float], costs: Sequence[float]) -> float:
    """Exponent ``p`` of ``cost = a · cells^p``: the least-squares slope of log cost on log cells.

    Parameters
    ----------
    cells : sequence of float
        Grid cells (N² for an N × N grid), at least two distinct values, all positive.
    costs : sequence of float
        The cost measured at each entry of ``cells`` (seconds or MiB), all positive.

    Returns
    -------
    float
        The fitted exponent: 1 for a cost linear in the cells, 2 for quadratic.
    """
    if len(cells) != len(costs):
        raise ValueError(f"{len(cells)} cells but {len(costs)} costs")
    if min(cells, default=0) <= 0 or min(costs, default=0) <= 0:
        raise ValueError("cells and costs must be positive to take their logarithms")
    x = [math.log(c) for c in cells]
    y = [math.log(c) for c in costs]
    if len(set(x)) < 2:
        raise ValueError("need costs at two or more distinct grid sizes to fit an exponent")
    mx, my = statistics.fmean(x), statistics.fmean(y)
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)


def exponents(cells: Iterable[dict]) -> list[dict]:
    """Fitted exponents of step time and step memory vs grid cells, per generator and window.

    Parameters
    ----------
    cells : iterable of dict
        Measured cells with keys ``model``, ``grid`` (N), ``window`` (T), ``step_s`` and
        ``step_mib``; skipped cells (with a ``skipped`` key) are ignored.

    Returns
    -------
    list of dict
        One dict per (model, window), in order of first appearance, with ``grids`` (the N
        used) and ``time_exponent`` and ``memory_exponent`` (None with fewer than two grids,
        or for memory where a step's memory is not positive).
    """
    groups: dict[tuple[str, int], list[dict]] = {}
    for cell in cells:
        if "skipped" not in cell:
            groups.setdefault((cell["model"], cell["window"]), []).append(cell)
    fits = []
    for (model, window), group in groups.items():
        n2 = [c["grid"] ** 2 for c in group]
        enough = len({c["grid"] for c in group}) >= 2
        positive_mib = all(c["step_mib"] > 0 for c in group)
        fits.append(
            {
                "model": model,
                "window": window,
                "grids": sorted({c["grid"] for c in group}),
                "time_exponent": fit_exponent(n2, [c["step_s"] for c in group]) if enough else None,
                "memory_exponent": fit_exponent(n2, [c["step_mib"] for c in group])
                if enough and positive_mib
                else None,
            }
        )
    return fits


def markdown(result: dict) -> str:
    """The cell table and the exponent table of a :func:`run_cells` result, as markdown."""
    s = result["settings"]
    lines = [
        f"Step time and peak memory of one G + D step (plain loop, fp32, batch {s['batch']}, "
        f"median of {s['steps']} steps after {s['warmup']}; memory: VmHWM of a fresh "
        "process per cell)",
        "",
        "| generator | grid | window | step (s) | peak RSS (MiB) | step MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in result["cells"]:
        head = f"| {c['model']} | {c['grid']}² | {c['window']} |"
        if "skipped" in c:
            lines.append(f"{head} skipped: {c['skipped']} | | |")
        else:
            lines.append(f"{head} {c['step_s']:.3f} | {c['peak_mib']:.0f} | {c['step_mib']:.0f} |")
    lines += [
        "",
        "Fitted exponent p of cost ∝ (grid cells)^p (least squares of log cost on log cells)",
        "",
        "| generator | window | grids | time p | memory p |",
        "|---|---:|---|---:|---:|",
    ]

    def fmt(p: float | None) -> str:
        return "—" if p is None else f"{p:.2f}"

    for f in result["exponents"]:
        grids = ", ".join(f"{n}²" for n in f["grids"])
        lines.append(
            f"| {f['model']} | {f['window']} | {grids} | {fmt(f['time_exponent'])} | "
            f"{fmt(f['memory_exponent'])} |"
        )
    return "\n".join(lines) + "\n"


def _resident_mib(field: str) -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith(field)) / 1024


def measure_cell(model: str, grid: int, window: int, batch: int, steps: int, warmup: int) -> dict:
    """Time ``warmup + steps`` plain-loop steps of one cell in this process; read its peak RSS."""
    import torch
    from bench_training import PAIRS, PlainGAN

    pair = next(p[1:] for p in PAIRS if p[0] == PAIR_LABELS[model])
    gan = PlainGAN(*pair)
    gan.window = (window, grid, grid)
    real = torch.randn(batch, 1, window, grid, grid)
    valid = torch.ones_like(real)
    before = _resident_mib("VmRSS")
    times = []
    for _ in range(warmup + steps):
        start = time.perf_counter()
        gan.step(real, valid)
        times.append(time.perf_counter() - start)
    # VmHWM, not getrusage's ru_maxrss: Linux carries the latter across fork+exec.
    peak = _resident_mib("VmHWM")
    return {
        "step_s": statistics.median(times[warmup:]),
        "peak_mib": peak,
        "step_mib": peak - before,
    }


def _predicted(done: dict | None, grid: int, window: int, key: str) -> float | None:
    """``key`` of the largest measured cell of one generator scaled by T × N² to this cell."""
    if done is None:
        return None
    return done[key] * (window * grid**2) / (done["window"] * done["grid"] ** 2)


def run_cells(args: argparse.Namespace) -> dict:
    """Measure every cell of ``args`` in its own subprocess, smallest first; skip the too big."""
    cells = []
    for model in args.models:
        largest = None  # the largest cell measured so far for this generator
        for grid, window in sorted(
            ((g, w) for g in args.grids for w in args.windows), key=lambda gw: gw[1] * gw[0] ** 2
        ):
            cell = {"model": model, "grid": grid, "window": window}
            mib = _predicted(largest, grid, window, "step_mib")
            seconds = _predicted(largest, grid, window, "step_s")
            if mib is not None and mib > args.max_mib:
                cell["skipped"] = f"~{mib:.0f} MiB predicted > --max-mib {args.max_mib:.0f}"
            elif seconds is not None and seconds * (args.steps + args.warmup) > args.max_cell_s:
                cell["skipped"] = (
                    f"~{seconds * (args.steps + args.warmup):.0f} s predicted "
                    f"> --max-cell-s {args.max_cell_s:.0f}"
                )
            else:
                cell |= _run_one(model, grid, window, args)
            if "skipped" in cell:
                print(f"{model} {grid}² window {window}: skipped, {cell['skipped']}", flush=True)
            else:
                largest = cell
                print(
                    f"{model} {grid}² window {window}: {cell['step_s']:.3f} s/step, "
                    f"peak {cell['peak_mib']:.0f} MiB (+{cell['step_mib']:.0f})",
                    flush=True,
                )
            cells.append(cell)
    settings = {k: getattr(args, k) for k in ("batch", "steps", "warmup", "max_mib", "max_cell_s")}
    return {"settings": settings, "cells": cells, "exponents": exponents(cells)}


def _run_one(model: str, grid: int, window: int, args: argparse.Namespace) -> dict:
    """One cell in a fresh interpreter, so its memory peak is its own."""
    command = [sys.executable, __file__, "--cell", model, str(grid), str(window)]
    command += ["--batch", str(args.batch), "--steps", str(args.steps)]
    command += ["--warmup", str(args.warmup)]
    # Imports and start-up come on top of the steps; a generous margin before giving up.
    timeout = 2 * args.max_cell_s + 120
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"skipped": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return {"skipped": f"failed (exit {done.returncode}): {tail}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _available_mib() -> float:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    return next(int(line.split()[1]) for line in meminfo if line.startswith("MemAvailable")) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--grids", type=int, nargs="+", default=[16, 32, 64, 128], help="grid sides N (N × N)"
    )
    parser.add_argument(
        "--windows", type=int, nargs="+", default=[8, 16, 32], help="window lengths T"
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=list(PAIR_LABELS),
        choices=PAIR_LABELS,
        help="generators (default: both), each against the default conv3d discriminator",
    )
    parser.add_argument("--batch", type=int, default=4, help="windows per batch (default 4)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per cell (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument(
        "--max-mib",
        type=float,
        default=_available_mib() / 2,
        help="skip cells predicted to need more step memory (default: half of MemAvailable)",
    )
    parser.add_argument(
        "--max-cell-s",
        type=float,
        default=300.0,
        help="skip cells whose steps are predicted to take longer (default 300 s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="grids 16² and 32², windows 8 and 16, 3 steps after 1"
    )
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    parser.add_argument("--cell", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.cell is not None:  # a child process: one cell, its result as JSON on stdout
        model, grid, window = args.cell[0], int(args.cell[1]), int(args.cell[2])
        result = measure_cell(model, grid, window, args.batch, args.steps, args.warmup)
        print(json.dumps(result))
        return
    if args.quick:
        args.grids, args.windows, args.steps, args.warmup = [16, 32], [8, 16], 3, 1

    import torch

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores; "
        f"batch {args.batch}, grids {args.grids}, windows {args.windows}\n",
        flush=True,
    )
    result = run_cells(args)
    print("\n" + markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
