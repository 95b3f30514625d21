"""Seams of tiled full-grid samples, looked for in the spectrum along each tiled axis.

A model trained on patches samples the whole grid as overlapping patches, blended
(``stgan.tiling``). A seam left by the blend repeats once per patch, so it would show in the
samples' power spectrum along the tiled axis at the seam wavenumber (patches per axis
length) and its harmonics. Per tiled axis, :func:`seam_figures` takes the ratio of generated
to real power in dB at each wavenumber; its *excess* at a wavenumber is that ratio minus the
median ratio of the :data:`HALF` wavenumbers on either side, so that a smooth spectral bias,
the model's own, cancels. The seam excess is the mean excess over the seam harmonics; its
noise is the standard error of a mean of as many excesses at the other wavenumbers, and
``seam_z`` = |seam excess| / noise. ``seam_z`` ≤ 2 reads as "invisible in the spectrum".

Post hoc, on a finished ``real_fields.py`` output folder::

    python benchmarks/real_fields_seams.py benchmarks/out/real_fields [--num-samples 64]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import xarray as xr

from stgan.tiling import default_overlap, tile_starts

HALF = 3  # wavenumbers on either side whose median ratio is the local baseline


def axis_power(values: np.ndarray, axis: int, *, periodic: bool) -> np.ndarray:
    """Mean power spectrum along ``axis`` of the anomalies from each line's mean; NaN → 0.

    An open axis is tapered with a Hann window (a periodic one needs none).
    """
    x = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    x = x - np.nanmean(x, axis=-1, keepdims=True)
    x = np.nan_to_num(x, nan=0.0)
    if not periodic:
        x = x * np.hanning(x.shape[-1])
    power = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    return power.reshape(-1, power.shape[-1]).mean(axis=0)


def excess_db(generated: np.ndarray, real: np.ndarray, half: int = HALF) -> np.ndarray:
    """Per wavenumber: 10·log10(generated / real) minus its median over the ``half``
    wavenumbers on either side; NaN at wavenumber 0 (the removed mean)."""
    tiny = np.finfo(np.float64).tiny
    ratio = 10 * np.log10(np.maximum(generated, tiny) / np.maximum(real, tiny))
    out = np.full(ratio.shape, np.nan)
    for k in range(1, len(ratio)):
        near = np.r_[ratio[max(1, k - half) : k], ratio[k + 1 : k + half + 1]]
        out[k] = ratio[k] - np.median(near)
    return out


def seam_wavenumbers(size: int, starts: list[int], *, periodic: bool) -> list[int]:
    """The seam wavenumber (cycles per ``size`` cells) and its harmonics up to Nyquist."""
    spacing = size / len(starts) if periodic else float(np.mean(np.diff(starts)))
    base = size / spacing
    harmonics = {round(j * base) for j in range(1, int(size / 2 / base) + 1)}
    return sorted(k for k in harmonics if 1 <= k <= size // 2)


def axis_seam(
    generated: np.ndarray, real: np.ndarray, axis: int, starts: list[int], *, periodic: bool
) -> dict[str, float]:
    """``seam_excess_db`` and ``seam_z`` along one tiled axis (see the module docstring)."""
    size = generated.shape[axis]
    excess = excess_db(
        axis_power(generated, axis, periodic=periodic), axis_power(real, axis, periodic=periodic)
    )
    seams = seam_wavenumbers(size, starts, periodic=periodic)
    others = np.setdiff1d(np.arange(1, len(excess)), seams)
    mean = float(np.mean(excess[seams]))
    noise = float(np.std(excess[others], ddof=1) / np.sqrt(len(seams)))
    return {"seam_excess_db": mean, "seam_z": abs(mean) / noise if noise > 0 else float("inf")}


def seam_figures(model, samples: xr.Dataset, real: xr.Dataset) -> dict[str, float | None]:
    """The worst ``seam_excess_db`` (by size) and ``seam_z`` over variables and tiled axes of a
    model's full-grid ``samples`` against the ``real`` data; None for both where the model
    was trained on the whole grid (nothing tiled)."""
    dims = model.dims
    periodic = {"y": False, "x": bool(model.sampler.data_info.get("periodic_x"))}
    found: list[dict[str, float]] = []
    for role, size, patch in zip(("y", "x"), model.grid, model.window[1:]):
        if patch >= size:
            continue
        starts = tile_starts(size, patch, default_overlap(patch), periodic=periodic[role])
        for name in model.variables:
            gen = samples[name].transpose(..., dims["y"], dims["x"]).values
            obs = real[name].transpose(..., dims["y"], dims["x"]).values
            axis = -2 if role == "y" else -1
            found.append(axis_seam(gen, obs, axis, starts, periodic=periodic[role]))
    if not found:
        return {"seam_excess_db": None, "seam_z": None}
    worst = max(found, key=lambda f: f["seam_z"])
    return {"seam_excess_db": abs(worst["seam_excess_db"]), "seam_z": worst["seam_z"]}


def sampled_checkpoint(run_dir: Path, run: dict) -> Path | None:
    """The checkpoint a benchmark run sampled from: as its result says, else the best one in
    its folder, else ``last.ckpt``."""
    if run.get("checkpoint"):
        return Path(run["checkpoint"])
    found = sorted(run_dir.rglob("*.ckpt"))
    best = [p for p in found if p.name != "last.ckpt"]
    return (best or found or [None])[-1]


def main(argv: list[str] | None = None) -> None:
    from real_fields_data import path_of
    from real_fields_sampling import spread_samples, test_starts

    import stgan

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a real_fields.py --out folder")
    parser.add_argument("--num-samples", type=int, default=64)
    args = parser.parse_args(argv)
    rows = []
    for result in sorted(args.out.glob("*/*/seed*/result.json")):
        run = json.loads(result.read_text())
        ckpt = sampled_checkpoint(result.parent, run)
        if ckpt is None or not run.get("full_grid"):
            continue
        model = stgan.load(ckpt)
        data = path_of(run["dataset"])
        starts = test_starts(ckpt, data, model.window[0])
        samples = spread_samples(model, args.num_samples, starts, full_grid=True)
        with xr.open_dataset(data) as real:
            figures = seam_figures(model, samples, real.load())
        rows.append((run["dataset"], run["preset"], run["seed"], figures))
        print(
            f"{run['dataset']} / {run['preset']} / seed {run['seed']}: seam excess "
            f"{figures['seam_excess_db']:.3f} dB, z = {figures['seam_z']:.2f}",
            flush=True,
        )
    if not rows:
        print(f"no run under {args.out} was sampled full-grid: no seams to look for")


if __name__ == "__main__":
    main()
