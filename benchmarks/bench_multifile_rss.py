"""Peak resident memory while training-style streaming from a multi-file dataset larger than RAM.

For each total size, many NetCDF files are written (one random block, written again and again
with a different offset, so writing is disk-bound), then a fresh process builds the data module
on the glob ``dir/*.nc`` with ``in_memory=False`` (transforms fitted by streaming every file,
windows read from disk) and draws training batches (``bench_data_memory.py``'s child). Bounded
memory means peak RSS stays flat as the dataset grows past the machine's RAM. The files are
deleted after each size, also on failure or Ctrl-C.

    python benchmarks/bench_multifile_rss.py                       # 0.5 GiB and 1.25 x RAM
    python benchmarks/bench_multifile_rss.py --sizes-gb 0.25 1     # quick check
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from child import run_child

CHILD = Path(__file__).with_name("bench_data_memory.py")  # builds the data module, reports VmHWM


def ram_gib() -> float:
    """This machine's memory (MemTotal of /proc/meminfo) in GiB."""
    line = next(
        li for li in Path("/proc/meminfo").read_text().splitlines() if li.startswith("MemTotal")
    )
    return int(line.split()[1]) / 1024**2


def write_files(folder: Path, total_gib: float, *, file_mib: int, grid: int) -> tuple[int, int]:
    """Fill ``folder`` with ``total_gib`` of (time, y, x) float32 NetCDF files; return (files, steps)."""
    import xarray as xr

    steps = max(1, file_mib * 1024**2 // (4 * grid * grid))
    n_files = max(1, round(total_gib * 1024 / file_mib))
    block = np.random.default_rng(0).standard_normal((steps, grid, grid), dtype=np.float32)
    coords = {
        "y": ("y", np.arange(grid) * 10.0, {"units": "km"}),
        "x": ("x", np.arange(grid) * 10.0, {"units": "km"}),
    }
    start = np.datetime64("2000-01-01", "h")
    for k in range(n_files):
        time_k = start + np.arange(k * steps, (k + 1) * steps) * np.timedelta64(6, "h")
        # The same block, shifted a little per file, so no two files hold identical windows.
        field = xr.Variable(("time", "y", "x"), block + np.float32(0.01 * k), {"units": "K"})
        xr.Dataset({"field": field}, coords={"time": time_k, **coords}).to_netcdf(
            folder / f"part{k:05d}.nc", engine="netcdf4"
        )
    return n_files, n_files * steps


def measure(pattern: str, batches: int) -> dict[str, float]:
    """Run the data module on ``pattern`` in a fresh process; its peak RSS and window rate."""
    return run_child(str(CHILD), "--child", pattern, "--batches", str(batches))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes-gb",
        type=float,
        nargs="+",
        default=None,
        help="dataset sizes in GiB (default: 0.5 and 1.25 x this machine's RAM)",
    )
    parser.add_argument("--file-mb", type=int, default=256, help="size of each file in MiB")
    parser.add_argument("--grid", type=int, default=256, help="grid side (H = W)")
    parser.add_argument("--batches", type=int, default=50, help="training batches of 16 windows")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the files are written")
    args = parser.parse_args()
    sizes = args.sizes_gb or [0.5, round(1.25 * ram_gib(), 1)]

    rows = []
    for gib in sizes:
        free = shutil.disk_usage(args.dir).free / 1024**3
        if gib > 0.95 * free:
            raise SystemExit(
                f"{gib:g} GiB does not fit the {free:.0f} GiB free in {args.dir}; pass --dir"
            )
        folder = Path(tempfile.mkdtemp(prefix="stgan_multifile_", dir=args.dir))
        try:
            t0 = time.perf_counter()
            n_files, steps = write_files(folder, gib, file_mib=args.file_mb, grid=args.grid)
            written = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in folder.iterdir()) / 1024**3
            rows.append(
                (size, n_files, steps, written, measure(str(folder / "*.nc"), args.batches))
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    print(
        f"RAM {ram_gib():.1f} GiB; files of {args.file_mb} MiB, grid {args.grid}x{args.grid}, "
        f"windows 8x64x64, batch 16, {args.batches} batches, in_memory=False, data.path 'dir/*.nc'"
    )
    print(
        f"{'data GiB':>9} {'x RAM':>6} {'files':>6} {'steps':>8} {'write s':>8} {'peak RSS MiB':>13} "
        f"{'fit s':>7} {'windows/s':>10}"
    )
    for size, n_files, steps, written, r in rows:
        print(
            f"{size:9.2f} {size / ram_gib():6.2f} {n_files:6d} {steps:8d} {written:8.1f} "
            f"{r['peak_rss_mib']:13.0f} {r['fit_s']:7.1f} {r['windows_per_s']:10.0f}"
        )


if __name__ == "__main__":
    main()
