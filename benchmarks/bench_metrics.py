"""Speed and agreement of stgan's batched metrics against per-field reference loops.

(a) ``stgan.metrics.rapsd`` on N float32 fields in one call vs a Python loop of
    ``pysteps.utils.spectral.rapsd(field, fft_method=numpy.fft)``;
(b) ``stgan.metrics.temporal_acf`` on a float32 (T, H, W) array vs a per-grid-point loop of
    ``statsmodels.tsa.stattools.acf(series, nlags, fft=False)``, averaged over the points.

The references run on the same values upcast to float64 (their outputs are the accuracy
yardstick); stgan runs on the float32 input. stgan times are the best of --repeats calls after
one warm-up call; reference loops are timed once. Run: ``python benchmarks/bench_metrics.py``.
Needs the dev extras (pysteps, statsmodels).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from stgan.metrics import rapsd, temporal_acf


def best_time(fn, repeats: int) -> tuple[float, object]:
    out = fn()  # warm-up: builds the cached ring weights, spins up torch's thread pool
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def max_rel_err(value: np.ndarray, reference: np.ndarray) -> float:
    return float(np.max(np.abs(value.astype(np.float64) - reference) / np.abs(reference)))


def bench_rapsd(n_fields: int, size: int, repeats: int, rng: np.random.Generator) -> dict:
    from pysteps.utils.spectral import rapsd as pysteps_rapsd

    fields = rng.standard_normal((n_fields, size, size)).astype(np.float32)
    t_stgan, ours = best_time(lambda: rapsd(fields), repeats)

    fields64 = fields.astype(np.float64)
    start = time.perf_counter()
    ref = np.stack([pysteps_rapsd(f, fft_method=np.fft) for f in fields64])
    t_ref = time.perf_counter() - start
    return {
        "metric": "rapsd",
        "data": f"{n_fields} x {size}x{size} white noise f32",
        "stgan": t_stgan,
        "ref": t_ref,
        "ref_name": "pysteps loop",
        "err": max_rel_err(ours, ref),
    }


def ar1_cube(n_times: int, grid: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    """AR(1) series at every point of a grid x grid field: realistic, clearly nonzero ACFs."""
    noise = rng.standard_normal((n_times + 100, grid, grid))
    x = np.empty_like(noise)
    x[0] = noise[0]
    for t in range(1, len(noise)):
        x[t] = phi * x[t - 1] + noise[t]
    return x[100:].astype(np.float32)


def bench_acf(
    n_times: int, grid: int, nlags: int, points: int | None, repeats: int, rng: np.random.Generator
) -> dict:
    from statsmodels.tsa.stattools import acf

    cube = ar1_cube(n_times, grid, 0.7, rng)
    n_points = grid * grid
    t_stgan, _ = best_time(lambda: temporal_acf(cube, nlags), repeats)

    # Reference loop, optionally on a subset of points; its time is scaled to all points.
    series = cube.reshape(n_times, n_points).astype(np.float64)
    subset = np.arange(n_points) if points is None else rng.choice(n_points, points, replace=False)
    start = time.perf_counter()
    ref = np.mean([acf(series[:, p], nlags=nlags, fft=False) for p in subset], axis=0)
    t_ref = (time.perf_counter() - start) * n_points / len(subset)
    # Agreement on exactly the points the reference saw (dim=0: time first, points after).
    ours = temporal_acf(cube.reshape(n_times, n_points)[:, subset], nlags, dim=0)
    scaled = "" if len(subset) == n_points else f", scaled from {len(subset)} pts"
    return {
        "metric": f"temporal_acf ({nlags} lags)",
        "data": f"({n_times}, {grid}, {grid}) AR(1) f32",
        "stgan": t_stgan,
        "ref": t_ref,
        "ref_name": f"statsmodels loop{scaled}",
        "err": max_rel_err(ours, ref),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-fields", type=int, default=1000, help="fields for rapsd")
    parser.add_argument("--size", type=int, default=64, help="field side for rapsd")
    parser.add_argument("--n-times", type=int, default=1000, help="series length for the ACF")
    parser.add_argument("--grid", type=int, default=32, help="grid side for the ACF")
    parser.add_argument("--nlags", type=int, default=20)
    parser.add_argument(
        "--acf-points",
        type=int,
        default=None,
        help="time the statsmodels loop on this many random points and scale (default: all)",
    )
    parser.add_argument("--repeats", type=int, default=15, help="timed stgan calls (best kept)")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="max relative error")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    rows = [
        bench_rapsd(args.n_fields, args.size, args.repeats, rng),
        bench_acf(args.n_times, args.grid, args.nlags, args.acf_points, args.repeats, rng),
    ]

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    header = (
        f"{'metric':<24}{'data':<30}{'stgan [s]':>10}{'reference [s]':>15}  "
        f"{'reference':<40}{'speed-up':>9}{'max rel err':>13}  ok"
    )
    print(header)
    print("-" * len(header))
    failed = False
    for r in rows:
        ok = r["err"] <= args.tolerance
        failed |= not ok
        print(
            f"{r['metric']:<24}{r['data']:<30}{r['stgan']:>10.4f}{r['ref']:>15.4f}  "
            f"{r['ref_name']:<40}{r['ref'] / r['stgan']:>8.1f}x{r['err']:>13.1e}  "
            f"{'yes' if ok else 'NO'}"
        )
    if failed:
        raise SystemExit(f"agreement worse than {args.tolerance:g} relative")


if __name__ == "__main__":
    main()
