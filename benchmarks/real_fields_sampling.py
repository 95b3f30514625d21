"""Samples spread over the held-out split's dates, so the season and the year are covered.

``Model.sample`` dates every sample alike (``start_time``). A conditioned model makes the
season and year its dates ask for, so samples that all start on one date would cover a few
months of one year: the seasonal-cycle error would be undefined and the year-conditioned
mean map would be one year's. Here the held-out (test) split's windows are cut as the
evaluation cuts them, and samples start at up to ``MAX_STARTS`` of their start dates, spread
evenly; the samples keep their own dates as a (sample, time) coordinate, which
``stgan.evaluate`` reads month by month. An unconditional model gets the same request (it
ignores the dates, unless a date-dependent transform adds a trend or cycle back).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import xarray as xr

import stgan
from stgan.checkpoint import load_checkpoint

MAX_STARTS = 12


def test_starts(checkpoint: Path, data: Path, window_length: int) -> list[str]:
    """Start dates (YYYY-MM-DD) of up to :data:`MAX_STARTS` test windows, evenly spread."""
    info = load_checkpoint(checkpoint)["stgan"]["data"]
    first, stop = info["splits"]["test"]
    with xr.open_dataset(data, use_cftime=True) as ds:
        times = ds[info["dims"]["time"]].values
    starts = np.arange(first, stop - window_length + 1, window_length)
    if len(starts) == 0 or not hasattr(times[0], "strftime"):
        return []
    picked = starts[np.unique(np.linspace(0, len(starts) - 1, MAX_STARTS).round().astype(int))]
    return [times[i].strftime("%Y-%m-%d") for i in picked]


def spread_samples(
    model: stgan.Model, n: int, starts: list[str], *, full_grid: bool, seed: int = 0
) -> xr.Dataset:
    """About ``n`` samples, in equal shares starting at each of ``starts`` (one call per date)."""
    if not starts:
        return model.sample(n, seed=seed, full_grid=full_grid)
    k = math.ceil(n / len(starts))
    parts = []
    for i, start in enumerate(starts):
        ds = model.sample(k, seed=seed + i, start_time=start, full_grid=full_grid)
        tdim = model.dims["time"]
        values = ds[tdim].values
        ds = ds.drop_vars([tdim, *[v for v in ds.variables if str(v).endswith("_bnds")]])
        parts.append(ds.assign_coords({tdim: (("sample", tdim), np.tile(values, (k, 1)))}))
    out = xr.concat(parts, dim="sample")
    return out.assign_coords(sample=np.arange(out.sizes["sample"], dtype=np.int32))


def training_windows(data: Path, checkpoint: Path, window_length: int) -> xr.Dataset:
    """The run's training split, cut into non-overlapping windows laid out as samples.

    Judged by ``stgan.evaluate`` like a generator's samples (sample, time, y, x; each window
    keeps its dates as a (sample, time) coordinate), the training data give the *floor* of
    each figure: what a model that reproduced the training period exactly would score
    against the held-out test period. Where the climate drifts (a trend, decadal
    variability), the floor of the mean-map and seasonal-cycle errors is above zero, and a
    target below the floor cannot be met without telling the model the year.
    """
    info = load_checkpoint(checkpoint)["stgan"]["data"]
    first, stop = info["splits"]["train"]
    tdim = info["dims"]["time"]
    names = [v["name"] for v in info["variables"]]
    with xr.open_dataset(data, use_cftime=True) as ds:
        train = ds[names].isel({tdim: slice(first, stop)}).load()
    n = (stop - first) // window_length
    parts = [
        train.isel({tdim: slice(i * window_length, (i + 1) * window_length)}) for i in range(n)
    ]
    times = np.stack([p[tdim].values for p in parts])
    out = xr.concat([p.drop_vars(tdim) for p in parts], dim="sample")
    out = out.assign_coords({tdim: (("sample", tdim), times)})
    return out.assign_coords(sample=np.arange(n, dtype=np.int32))


def year_map_errors(
    model: stgan.Model, data: Path, checkpoint: Path, *, n: int = 32, span: int = 10
) -> dict[int, float]:
    """On a trending record: for test-split years Y, the mean map of samples conditioned on Y
    against the real mean map of the ``span`` years centred on Y, in units of the real
    local std over the test split; area-weighted as the ``maps`` metric weighs.

    A single year's map is mostly weather, so the reference is a ``span``-year mean; years
    whose span leaves the record are skipped. An unconditional model is asked for the dates
    alone. Returns {Y: error}, the worst variable's.
    """
    from stgan.io.degrees import is_degrees
    from stgan.metrics.weights import area_weights

    info = load_checkpoint(checkpoint)["stgan"]["data"]
    first, stop = info["splits"]["test"]
    tdim, ydim = info["dims"]["time"], info["dims"]["y"]
    errors: dict[int, float] = {}
    with xr.open_dataset(data, use_cftime=True) as ds:
        years = np.array([t.year for t in ds[tdim].values])
        test = ds.isel({tdim: slice(first, stop)})
        half = span // 2
        for year in range(years[first] + half, years[stop - 1] - half + 1, span):
            real = ds.isel({tdim: (years >= year - half) & (years < year - half + span)})
            # An unconditional model gets the dates only (it cannot take the year).
            asked = {"year": year} if "year" in model.conditions else {}
            samples = model.sample(n, start_time=f"{year}-01-01", **asked)
            worst = 0.0
            for name in model.variables:
                std = test[name].std(tdim).values
                gap = np.abs(
                    samples[name].mean(("sample", tdim)).values - real[name].mean(tdim).values
                )
                geographic = is_degrees(ds[ydim], ydim, "latitude")
                w = (
                    area_weights(ds[ydim].values, std.shape[-1])
                    if geographic
                    else np.ones_like(std)
                )
                keep = np.isfinite(gap) & (std > 0)
                worst = max(worst, float((gap[keep] / std[keep] * w[keep]).sum() / w[keep].sum()))
            errors[year] = worst
    return errors


if __name__ == "__main__":  # post hoc, on a finished run: CHECKPOINT DATA
    import sys

    ckpt, path = Path(sys.argv[1]), Path(sys.argv[2])
    for y, e in year_map_errors(stgan.load(ckpt), path, ckpt).items():
        print(f"{y}: year-conditioned mean-map error {e:.3f}")
