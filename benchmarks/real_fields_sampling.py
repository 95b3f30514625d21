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
