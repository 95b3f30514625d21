"""`stgan fit`'s speed at each training precision and memory format, on one accelerator.

Runs the real ``stgan fit --config configs/demo.yaml`` (conv3d × conv3d, windows (8, 32, 32))
on the demo's training file, as :mod:`bench_fit_speed` does, once per combination of
``--trainer.precision`` (``--precisions``; default: ``32-true`` and the precision that
``stgan fit`` picks by itself on that accelerator,
:func:`stgan.training.precision.fastest_precision`, where it differs) and
``--model.channels_last`` true / false, on ``--accelerator`` (``cpu`` or ``gpu``) at batches
of ``--batch``. The combinations run round robin (``--rounds`` times, the order reversed
every other round) and each rate is the median of its runs. Prints windows per second, the
ratio to float32 in channels-last memory, and that choice.

Run: ``python benchmarks/bench_precision.py --accelerator gpu --batch 256 --precisions
32-true 16-mixed bf16-mixed`` (on a GPU); ``python benchmarks/bench_precision.py`` (on a CPU).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import tempfile
from pathlib import Path

from bench_fit_speed import DEMO_DATA, ROOT, windows_per_second


def main(argv: list[str] | None = None) -> None:
    """Run every combination and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accelerator", default="cpu", help="trainer.accelerator (cpu)")
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=None,
        help="trainer.precision values (default: 32-true and stgan fit's own choice)",
    )
    parser.add_argument("--batch", type=int, default=16, help="data.batch_size (16)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run (20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed first steps (3)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per combination (1)")
    parser.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS")
    parser.add_argument("--json", default=None, help="write the ratio rows here (benchmarks.all)")
    args = parser.parse_args(argv)
    if args.warmup < 1:
        parser.error("--warmup must be at least 1: the first step's end starts the clock")

    from stgan.data.synthetic import make_grf
    from stgan.io.netcdf import write_netcdf
    from stgan.training.precision import fastest_precision

    chosen = fastest_precision(args.accelerator)
    precisions = args.precisions or list(dict.fromkeys(["32-true", chosen]))
    combos = list(itertools.product(precisions, (True, False)))
    rates: dict[tuple[str, bool], list[float]] = {c: [] for c in combos}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "grf.nc"
        write_netcdf(make_grf(**DEMO_DATA), data)
        for i in range(args.rounds):
            for precision, layout in combos if i % 2 == 0 else combos[::-1]:
                flags = [
                    *["--trainer.accelerator", args.accelerator, "--trainer.precision", precision],
                    *["--model.channels_last", str(layout).lower()],
                    *["--data.batch_size", str(args.batch)],
                ]
                rate, _ = windows_per_second(ROOT, data, work, flags, args, batch=args.batch)
                rates[(precision, layout)].append(rate)
                print(f"round {i + 1}: {precision}, channels_last {layout}: {rate:.1f} windows/s")

    median = {c: statistics.median(r) for c, r in rates.items()}
    base = median.get(("32-true", True))
    print()
    print(f"stgan fit, demo preset, accelerator {args.accelerator}, batch {args.batch},")
    print(f"{args.steps} timed steps after {args.warmup}, median of {args.rounds} run(s) each;")
    print(f"machine: {os.cpu_count()} CPU cores; threads: {args.threads or 'torch default'}")
    print(f"stgan fit's own choice here: {chosen}")
    print()
    print("| precision | channels-last | windows/s | ÷ 32-true channels-last |")
    print("|---|---|---:|---:|")
    for (precision, layout), rate in median.items():
        ratio = f"{rate / base:.2f}×" if base else "—"
        print(f"| {precision} | {'yes' if layout else 'no'} | {rate:.1f} | {ratio} |")
    if args.json and base:
        rows = [
            {
                "what": f"stgan fit {precision}{'' if layout else ', contiguous'} ÷ 32-true "
                f"channels-last ({args.accelerator}, batch {args.batch})",
                "measured": rate,
                "reference": base,
                "unit": "windows/s",
                "ratio": rate / base,
            }
            for (precision, layout), rate in median.items()
            if (precision, layout) != ("32-true", True)
        ]
        Path(args.json).write_text(json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main()
