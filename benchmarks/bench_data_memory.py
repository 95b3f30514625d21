"""Peak resident memory while streaming windows from NetCDF files of growing size.

For each size, a grf file is written once, then a fresh process builds the data module with
``in_memory=False`` (transforms fitted by streaming, windows read from disk), draws training
batches, and reports its peak RSS. Bounded memory means peak RSS stays flat as files grow.

    python benchmarks/bench_data_memory.py --sizes-gb 0.5 1 2 --dir /tmp/stgan_bench
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from pathlib import Path

from child import run_child


def _child(path: str, batches: int) -> None:
    import torch

    from stgan.data.datamodule import SpaceTimeDataModule

    start = time.perf_counter()
    dm = SpaceTimeDataModule(
        path,
        window_length=8,
        window_height=64,
        window_width=64,
        batch_size=16,
        samples_per_epoch=16 * batches,
        in_memory=False,
    )
    dm.setup("fit")
    fitted = time.perf_counter()
    n = 0
    for x, *_ in dm.train_dataloader():
        assert torch.isfinite(x).all()
        n += x.shape[0]
    done = time.perf_counter()
    # VmHWM belongs to this process's own address space. getrusage's ru_maxrss would not do:
    # Linux carries it across fork+exec, so it would include the parent's peak.
    status = Path("/proc/self/status").read_text().splitlines()
    peak_mib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    print(
        json.dumps(
            {
                "peak_rss_mib": peak_mib,
                "fit_s": fitted - start,
                "windows": n,
                "windows_per_s": n / (done - fitted),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-gb", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    parser.add_argument("--dir", default="/tmp/stgan_bench")
    parser.add_argument("--grid", type=int, default=256, help="grid side (H = W)")
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.batches)

    from stgan.data.synthetic import make_grf
    from stgan.io.netcdf import write_netcdf

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for gb in args.sizes_gb:
        steps = int(gb * 1024**3 / (4 * args.grid**2))
        path = out / f"grf_{gb:g}gb.nc"
        if not path.exists():
            write_netcdf(make_grf(time=steps, height=args.grid, width=args.grid), path)
            gc.collect()
        result = run_child(__file__, "--child", str(path), "--batches", str(args.batches))
        rows.append((path.stat().st_size / 1024**2, steps, result))
    print(
        f"grid {args.grid}x{args.grid}, windows 8x64x64, batch 16, {args.batches} batches, in_memory=False"
    )
    print(
        f"{'file MiB':>9} {'steps':>6} {'peak RSS MiB':>13} {'RSS/file':>9} {'fit s':>7} {'windows/s':>10}"
    )
    for size, steps, r in rows:
        print(
            f"{size:9.0f} {steps:6d} {r['peak_rss_mib']:13.0f} {r['peak_rss_mib'] / size:9.2f} "
            f"{r['fit_s']:7.1f} {r['windows_per_s']:10.0f}"
        )


if __name__ == "__main__":
    main()
