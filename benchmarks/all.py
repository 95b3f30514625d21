"""Every speed benchmark in one run: their ratios in one table, and the scaling table.

Each script of :data:`BENCHMARKS` runs in its own subprocess (``python benchmarks/X.py``,
with this checkout first on ``PYTHONPATH``), one after the other, its output echoed as it
comes, killed after ``--timeout`` seconds, with ``--json PATH`` where the script offers it.
A script's JSON holds ``{"rows": [...]}``, each row ``{"what", "measured", "reference",
"unit", "ratio"}`` with ``ratio`` = measured ÷ reference as measured side by side in that
script (rates, such as samples/s, so that above 1 means the measured side is faster);
``bench_scaling.py`` writes its cells and fitted exponents instead. A script without
``--json`` is run and its output kept, but nothing is parsed from it.

``--quick`` (the default) runs every script in a small configuration, a few minutes in all;
``--full`` runs each with its own defaults (the figures for ``benchmarks/RESULTS.md``).
``--out FILE.md`` writes the tables as markdown with the machine, the commit, the load
average and the command line, and each script's own output folded below.

Run from the repository root: ``python -m benchmarks.all [--quick | --full] [--out FILE.md]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from stgan.io.atomic import atomic_path

from .bench_scaling import markdown as scaling_markdown

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ROW_KEYS = ("what", "measured", "reference", "unit", "ratio")


@dataclass(frozen=True)
class Benchmark:
    """One script and the arguments of its quick configuration (``--full``: none)."""

    name: str
    script: str
    quick: tuple[str, ...]


# A script that offers ``--quick`` gets that flag instead of ``quick`` (bench_metrics.py and
# bench_ddp.py are written by others; the arguments below are today's flags).
BENCHMARKS = [
    Benchmark(
        "training",
        "bench_training.py",
        ("--steps", "3", "--warmup", "1", "--repeats", "1", "--skip-pairs"),
    ),
    Benchmark(
        "metrics",
        "bench_metrics.py",
        ("--n-fields", "100", "--n-times", "300", "--grid", "16", "--acf-points", "32"),
    ),
    Benchmark("data_loading", "bench_data_loading.py", ("--batches", "20", "--train-steps", "3")),
    Benchmark(
        "generation",
        "bench_generation.py",
        ("--samples", "32", "--repeats", "1", "--rollout", "2000"),
    ),
    Benchmark("fit_speed", "bench_fit_speed.py", ("--steps", "8", "--rounds", "1")),
    Benchmark("precision", "bench_precision.py", ("--steps", "8", "--warmup", "2")),
    Benchmark("ddp", "bench_ddp.py", ("--steps", "8", "--rounds", "1")),
    Benchmark("scaling", "bench_scaling.py", ("--quick",)),
]


@dataclass
class Outcome:
    """What one script's run left: exit status, output, seconds, and its JSON if written."""

    benchmark: Benchmark
    returncode: int | None  # None: killed at the time limit
    output: str
    seconds: float
    result: dict | None


def arguments(bench: Benchmark, source: str, full: bool, json_path: Path) -> list[str]:
    """The command-line arguments for ``bench`` given its script's ``source``."""
    if full:
        args = []
    elif '"--quick"' in source:
        args = ["--quick"]
    else:
        args = list(bench.quick)
    if '"--json"' in source:
        args += ["--json", str(json_path)]
    return args


def run_one(bench: Benchmark, full: bool, folder: Path, timeout: float | None) -> Outcome:
    """Run one script in a fresh interpreter, echoing its output as it comes and keeping it."""
    script = HERE / bench.script
    json_path = folder / f"{bench.name}.json"
    command = [sys.executable, str(script), *arguments(bench, script.read_text(), full, json_path)]
    print(f"\n=== {bench.script} {shlex.join(command[2:])}", flush=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO
    )
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        proc.kill()

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer is not None:
        timer.start()
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    returncode = proc.wait()
    if timer is not None:
        timer.cancel()
    seconds = time.perf_counter() - start
    result = json.loads(json_path.read_text()) if json_path.exists() else None
    return Outcome(bench, None if killed.is_set() else returncode, "".join(lines), seconds, result)


def ratio_rows(outcomes: list[Outcome]) -> list[tuple[str, str, str, str, str]]:
    """(benchmark, what, measured, reference, ratio) for every row of every script.

    A script that failed, timed out, or wrote no rows gets one row that says so.
    """
    table = []
    for o in outcomes:
        name = o.benchmark.script
        if o.returncode is None:
            table.append((name, "timed out: no figures", "", "", ""))
            continue
        if o.returncode != 0:
            last = (o.output.strip().splitlines() or ["no output"])[-1]
            table.append((name, f"failed (exit {o.returncode}): {last}", "", "", ""))
            continue
        rows = (o.result or {}).get("rows")
        if rows is None:
            if o.result is None or "cells" not in o.result:
                table.append((name, "no --json rows: see its output", "", "", ""))
            continue
        for row in rows:
            missing = [k for k in ROW_KEYS if k not in row]
            if missing:  # another schema: say so rather than lose the other scripts' table
                table.append((name, f"a row without {', '.join(missing)}: {row}", "", "", ""))
                continue
            unit = row["unit"]
            table.append(
                (
                    name,
                    row["what"],
                    f"{row['measured']:.4g} {unit}",
                    f"{row['reference']:.4g} {unit}",
                    f"{row['ratio']:.4g}",
                )
            )
    return table


def machine() -> str:
    """Cores, CPU model, torch and Python versions, in one line."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
        if names:
            model = names[0].split(":", 1)[1].strip()
    return (
        f"{os.cpu_count()} cores, {model}, torch {version('torch')}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def commit() -> str:
    """The checkout's commit, with ``+changes`` when the work tree differs from it."""
    git = ["git", "-C", str(REPO)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
    except OSError:  # no git on this machine
        return "unknown"
    if head.returncode != 0:  # not a git checkout
        return "unknown"
    return head.stdout.strip() + (" +changes" if dirty.stdout.strip() else "")


def report(outcomes: list[Outcome], header: dict, *, details: bool) -> str:
    """The ratio table and the scaling table as markdown, headed by the run's facts."""
    lines = [
        f"Command: `{header['command']}`",
        "",
        f"Machine: {header['machine']}; commit {header['commit']}; {header['date']}; "
        f"load average (1, 5, 15 min) {header['load_start']} at the start, "
        f"{header['load_end']} at the end.",
        "",
    ]
    cores = os.cpu_count() or 1
    if max(header["load_start_1min"], header["load_end_1min"]) > cores:
        lines += [
            f"The machine was busy (1-minute load above its {cores} cores): absolute figures "
            "do not compare between runs; the ratios do (each was taken side by side).",
            "",
        ]
    lines += [
        "Ratios measured side by side within each script (measured ÷ reference):",
        "",
        "| benchmark | what | measured | reference | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for row in ratio_rows(outcomes):
        # A "|" inside a cell (as in "G × D | variant") would end it.
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    times = ", ".join(f"{o.benchmark.script} {o.seconds:.0f} s" for o in outcomes)
    lines += ["", f"Wall time: {times}."]
    for o in outcomes:
        if o.result is not None and "cells" in o.result:
            lines += ["", scaling_markdown(o.result).rstrip()]
    if details:
        for o in outcomes:
            lines += ["", f"<details><summary>{o.benchmark.script} output</summary>", ""]
            lines += ["```", o.output.rstrip(), "```", "", "</details>"]
    return "\n".join(lines) + "\n"


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small configurations (the default)")
    size.add_argument("--full", action="store_true", help="every script with its own defaults")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[b.name for b in BENCHMARKS],
        help="run only these benchmarks (default: all whose script exists)",
    )
    parser.add_argument("--out", default=None, help="write the tables as markdown to this file")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds each script may run (default: 1800 with --quick, none with --full)",
    )
    args = parser.parse_args(argv)
    timeout = args.timeout or (None if args.full else 1800.0)
    chosen = [b for b in BENCHMARKS if args.only is None or b.name in args.only]
    absent = [b.script for b in chosen if not (HERE / b.script).exists()]
    if absent:
        print(f"not present, skipped: {', '.join(absent)}")
    header = {
        "command": shlex.join(
            ["python", "-m", "benchmarks.all", *(sys.argv[1:] if argv is None else argv)]
        ),
        "machine": machine(),
        "commit": commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": _load(),
        "load_start_1min": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = [
            run_one(b, args.full, Path(tmp), timeout) for b in chosen if (HERE / b.script).exists()
        ]
    header["load_end"] = _load()
    header["load_end_1min"] = os.getloadavg()[0]
    print("\n" + report(outcomes, header, details=False))
    if args.out:
        with atomic_path(args.out) as path:
            path.write_text(report(outcomes, header, details=True))
        print(f"written: {args.out}")
    return 0 if all(o.returncode == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
