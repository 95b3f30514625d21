"""Windows per second from NetCDF against what training consumes, on the default preset.

The data are `stgan demo`'s training file, a (512, 32, 32) grf, cut into the demo's windows
(8, 32, 32) in batches of 16 by the data module ``stgan fit`` uses, read two ways:
``in_memory=True`` (the default for a split under 2 GiB: the standardised training split is
read once, windows are sliced from it) and ``in_memory=False`` (every window read from the
file through xarray/netCDF4). Each loader is drained for ``--batches`` batches after one
untimed batch; transform fitting is timed separately. Training consumption is the plain
PyTorch loop of ``bench_training.py`` (same models, loss, batch) timed in the same run, so
the ratio is free of the machine's speed. Peak memory against file size is
``bench_data_memory.py``'s subject.

Run: ``python benchmarks/bench_data_loading.py``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from bench_training import PAIRS, PlainGAN, demo_batches, demo_file, round_robin

from stgan.data.datamodule import SpaceTimeDataModule


def loading_rate(path: Path, in_memory: bool, batches: int) -> tuple[float, float]:
    """(windows/s over ``batches`` batches after the first, seconds to fit the transforms)."""
    start = time.perf_counter()
    dm = SpaceTimeDataModule(
        str(path),
        window_length=8,
        batch_size=16,
        samples_per_epoch=16 * (batches + 1),
        in_memory=in_memory,
    )
    dm.setup("fit")
    fit_s = time.perf_counter() - start
    loader = iter(dm.train_dataloader())  # in memory: reads the split here, untimed
    next(loader)  # the first batch is untimed
    n, start = 0, time.perf_counter()
    for x, *_ in loader:
        n += x.shape[0]
    return n / (time.perf_counter() - start), fit_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=200, help="timed batches per loader")
    parser.add_argument("--train-steps", type=int, default=10, help="timed training iterations")
    parser.add_argument("--dir", default=None, help="folder for the data file (default: temporary)")
    parser.add_argument("--json", default=None, help="also write the ratios to this JSON file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = demo_file(folder)
        size_mib = path.stat().st_size / 2**20
        rows = [
            ("in memory (default)", *loading_rate(path, True, args.batches)),
            ("from disk (in_memory=False)", *loading_rate(path, False, args.batches)),
        ]
        plain = {"default": (PlainGAN(*PAIRS[0][1:]), torch.get_num_threads())}
        train = 16 * round_robin(plain, demo_batches(path, args.train_steps + 3), 3)["default"]

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; grf (512, 32, 32) "
        f"file of {size_mib:.1f} MiB; windows (8, 32, 32), batch 16\n"
    )
    print(f"training consumes {train:.1f} windows/s (plain loop, default preset)\n")
    print("| loader | fit transforms (s) | windows/s | ÷ training consumption |")
    print("|---|---:|---:|---:|")
    for name, rate, fit_s in rows:
        print(f"| {name} | {fit_s:.2f} | {rate:,.0f} | {rate / train:,.0f}× |")
    if args.json:
        # Rows as benchmarks/all.py gathers them: measured ÷ reference.
        ratios = [
            {
                "what": f"loader {name} ÷ training consumption",
                "measured": rate,
                "reference": train,
                "unit": "windows/s",
                "ratio": rate / train,
            }
            for name, rate, _ in rows
        ]
        Path(args.json).write_text(json.dumps({"rows": ratios}))


if __name__ == "__main__":
    main()
