"""Peak resident memory of ``stgan.evaluate`` as the real file grows (past RAM if asked).

For each size, one real NetCDF file (time, y, x) of float32 values is written slab by slab
(never whole in memory), then a fresh process runs ``stgan.evaluate(real, generated)`` against
a small generated file and reports its peak RSS (VmHWM of its own address space) and run time.
The evaluation streams the real file in blocks and keeps at most ``max_real_windows`` windows
(:mod:`stgan.report.real_windows`), so peak RSS should level off as the file grows. Files are
deleted after each size, also on failure or Ctrl-C.

    python benchmarks/bench_eval_rss.py                         # 0.25, 0.5 and 1 GiB
    python benchmarks/bench_eval_rss.py --sizes-gb 0.25 40      # past RAM (needs the disk)
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from child import run_child

WINDOW = (8, 32, 32)  # generated (T, H, W)


def write_real(path: Path, gib: float, grid: int) -> int:
    """A (time, y, x) float32 file of about ``gib`` GiB, written in slabs; returns its steps."""
    import netCDF4

    steps = max(WINDOW[0], int(gib * 1024**3 // (4 * grid * grid)))
    slab = np.random.default_rng(0).standard_normal((256, grid, grid), dtype=np.float32) + 280
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("time", None)
        nc.createDimension("y", grid)
        nc.createDimension("x", grid)
        t = nc.createVariable("time", "f8", ("time",))
        t.units, t.calendar = "hours since 2000-01-01", "standard"
        for name in ("y", "x"):
            nc.createVariable(name, "f8", (name,))[:] = np.arange(grid) * 10.0
            nc[name].units = "km"
        field = nc.createVariable("field", "f4", ("time", "y", "x"), chunksizes=(8, grid, grid))
        field.units = "K"
        for start in range(0, steps, len(slab)):
            n = min(len(slab), steps - start)
            # Shifted per slab so that no two slabs hold the same windows.
            field[start : start + n] = slab[:n] + np.float32(0.001 * start)
            t[start : start + n] = 6.0 * np.arange(start, start + n)
    return steps


def write_generated(path: Path) -> None:
    import xarray as xr

    values = np.random.default_rng(1).standard_normal((8, *WINDOW)) + 280
    coords = {
        "time": ("time", 6.0 * np.arange(WINDOW[0]), {"units": "hours since 2000-01-01"}),
        "y": ("y", np.arange(WINDOW[1]) * 10.0, {"units": "km"}),
        "x": ("x", np.arange(WINDOW[2]) * 10.0, {"units": "km"}),
    }
    field = xr.Variable(("sample", "time", "y", "x"), values, {"units": "K"})
    xr.Dataset({"field": field}, coords=coords).to_netcdf(path)


def child(real: str, generated: str, metrics: list[str]) -> None:
    """Run the evaluation here and print peak RSS and timings as one JSON line."""
    import stgan

    start = time.perf_counter()
    ev = stgan.evaluate(real, generated, metrics=metrics)
    elapsed = time.perf_counter() - start
    # VmHWM is this process's own peak; getrusage's ru_maxrss would carry the parent's over exec.
    status = Path("/proc/self/status").read_text().splitlines()
    peak_mib = next(int(li.split()[1]) for li in status if li.startswith("VmHWM")) / 1024
    result = ev.to_dict()
    print(
        json.dumps(
            {
                "peak_rss_mib": peak_mib,
                "seconds": elapsed,
                "n_real_windows": result["n_real_windows"],
                "lsd_db": result["variables"]["field"].get("rapsd_lsd_db"),
            }
        )
    )


def measure(real: Path, generated: Path, metrics: list[str]) -> dict:
    return run_child(__file__, "--child", str(real), str(generated), "--metrics", *metrics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-gb", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--grid", type=int, default=64, help="real grid side (H = W)")
    parser.add_argument(
        "--metrics",
        nargs="+",
        default=["spectrum", "acf", "tpsd", "distribution", "gridpoint", "maps"],
        help="metric keys evaluated (default: the per-window ones; 'diversity' and 'prdc' "
        "add pairwise distances among the kept windows)",
    )
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where files are written")
    parser.add_argument("--child", nargs=2, metavar=("REAL", "GENERATED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.metrics)
        return

    rows = []
    for gib in args.sizes_gb:
        free = shutil.disk_usage(args.dir).free / 1024**3
        if gib > 0.95 * free:
            raise SystemExit(f"{gib:g} GiB does not fit the {free:.0f} GiB free in {args.dir}")
        folder = Path(tempfile.mkdtemp(prefix="stgan_eval_rss_", dir=args.dir))
        try:
            write_generated(folder / "generated.nc")
            steps = write_real(folder / "real.nc", gib, args.grid)
            size = (folder / "real.nc").stat().st_size / 1024**3
            rows.append(
                (size, steps, measure(folder / "real.nc", folder / "generated.nc", args.metrics))
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    print(
        f"real grid {args.grid}x{args.grid} float32, generated 8 samples of {WINDOW}, "
        f"metrics {' '.join(args.metrics)}; each evaluation in a fresh process"
    )
    print(
        f"{'real GiB':>9} {'steps':>8} {'windows kept':>13} {'peak RSS MiB':>13} {'evaluate s':>11}"
    )
    for size, steps, r in rows:
        print(
            f"{size:9.2f} {steps:8d} {r['n_real_windows']:13d} {r['peak_rss_mib']:13.0f} "
            f"{r['seconds']:11.1f}"
        )


if __name__ == "__main__":
    main()
