"""Checkpoint → generated windows → physical units → CF NetCDF or Zarr (sample, time, y, x).

Every function here takes a :class:`~stgan.sampler.SamplingModel`: the light
:class:`~stgan.sampler.Sampler` rebuilt from a checkpoint (what :class:`stgan.Model` and
``stgan generate`` use), or the training module itself while it trains.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from stgan.conditioning.place import condition_batch, time_table
from stgan.data.time_features import TimeFeatures
from stgan.data.transforms import ChannelTransform, inverse_all
from stgan.errors import StganError
from stgan.io.atomic import atomic_path
from stgan.io.netcdf import coordinate_encoding, field_attrs
from stgan.io.source import calendar_months
from stgan.io.stores import is_zarr_output, sample_fields, write_zarr_chunks
from stgan.io.timeaxis import OutputTime, output_times
from stgan.sampler import SamplingModel


def _legacy_times(info: dict[str, Any], length: int, start_time: str | None) -> OutputTime:
    """Time of a window from a checkpoint written before stgan described its time axis.

    Offsets from the window's start, or dates from ``start_time`` (months only then).
    """
    step = info.get("time_step_seconds")
    if start_time is not None:
        if not step:
            raise StganError(
                "--start-time needs a training time axis of dates; this model's is numeric"
            )
        try:
            start = np.datetime64(start_time, "s")
        except ValueError:
            raise StganError(f"--start-time {start_time!r} is not a date like 2001-07-01") from None
        values = start + np.arange(length) * np.timedelta64(int(round(step)), "s")
        return OutputTime(values, {"standard_name": "time"}, {}, months=calendar_months(values))
    if step:
        return OutputTime(
            np.arange(length) * np.timedelta64(int(round(step)), "s"),
            {"long_name": "time since the start of the generated window"},
            {},
        )
    return OutputTime(np.arange(length), {"long_name": "time step within the window"}, {})


def window_times(info: dict[str, Any], length: int, start_time: str | None = None) -> OutputTime:
    """The time coordinate of ``length`` generated steps (see :func:`stgan.io.timeaxis.output_times`).

    Dates continue after the training record, in its calendar and units; a checkpoint written
    before stgan described its time axis gets offsets from the window's start instead.
    """
    desc = info.get("time")
    if desc is None:
        return _legacy_times(info, length, start_time)
    return output_times(desc, length, start_time, bounds_name=f"{info['dims']['time']}_bnds")


@torch.no_grad()
def generate_array(
    module: SamplingModel,
    num_samples: int,
    *,
    seed: int = 0,
    batch_size: int = 32,
    time: TimeFeatures | None = None,
    window: tuple[int, int, int] | None = None,
    when: np.ndarray | None = None,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """``num_samples`` windows in physical units, float32 (N, C, T, H, W), NaN on the mask.

    ``window`` defaults to the training window; a longer T asks the generator for a longer
    sequence (see :func:`check_length`). ``time`` describes the T steps of every window; a
    model with a date-dependent transform (detrend, anomaly) needs it. A conditioned model
    is conditioned on the steps of ``when`` (T, 4) (:func:`stgan.conditioning.place.override`;
    default: ``time``'s own), at the grid's origin; a model conditioned on the data (a
    task's: ``coarse``, ``past``, ``gaps``) on ``known`` (N, C, T, H, W), what is known of
    each window in standardised units.
    """
    rng = torch.Generator().manual_seed(seed)
    transforms = [ChannelTransform(**t) for t in module.data_info["transforms"]]
    window = window or module.window
    table = time_table(time, window[0]) if when is None else when
    chunks = []
    was_training = module.training
    module.eval()  # e.g. spectral norm's power iteration must not advance while sampling
    try:
        for start in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - start)
            field = None if known is None else torch.as_tensor(known[start : start + n])
            cond = condition_batch(module, n, window, table, field=field)
            z = module.sample(module.sample_latent(n, window=window, generator=rng), window, cond)
            # A window smaller than the grid sits at its origin (as the mask below).
            crop = {"h": window[1], "w": window[2]}
            x = inverse_all(transforms, z.float().cpu(), time, channel_dim=1, crop=crop)
            chunks.append(x.numpy())
    finally:
        module.train(was_training)
    samples = np.concatenate(chunks)
    _, _, _, h, w = samples.shape
    mask = np.asarray(module.data_info["mask"])[:h, :w]  # a smaller window sits at the origin
    samples[..., mask] = np.nan
    return samples


def to_dataset(
    samples: np.ndarray, info: dict[str, Any], *, seed: int, checkpoint: str, times: OutputTime
) -> xr.Dataset:
    """Wrap (N, C, T, H, W) samples as a CF dataset with the training data's names and coords.

    ``times`` (:func:`window_times`) is the time coordinate, with its bounds if it has them.
    """
    _, _, t, h, w = samples.shape
    # int32: CF-1.8 knows no 64-bit integers.
    coords: dict[str, Any] = {
        "sample": (
            "sample",
            np.arange(samples.shape[0], dtype=np.int32),
            {"long_name": "sample index"},
        )
    }
    for role, size in (("y", h), ("x", w)):
        c = info["coords"][role]
        # A window smaller than the grid keeps the grid's spacing, starting at its first point.
        coords[c["name"]] = (c["name"], np.asarray(c["values"][:size]), c["attrs"])
    time_dim = info["dims"]["time"]
    coords[time_dim] = xr.Variable(time_dim, times.values, times.attrs, times.encoding)
    dims = ("sample", time_dim, info["coords"]["y"]["name"], info["coords"]["x"]["name"])
    data_vars = {
        v["name"]: (dims, samples[:, i], field_attrs(v["name"], v["attrs"]))
        for i, v in enumerate(info["variables"])
    }
    if (
        times.bounds is not None
    ):  # a variable of its own, as CF files (and xarray reading them) have it
        data_vars[times.attrs["bounds"]] = xr.Variable(
            (time_dim, "bnds"), times.bounds, {}, {"dtype": "float64", "_FillValue": None}
        )
    attrs = {
        "Conventions": "CF-1.8",
        "title": f"stgan samples of {info.get('source', 'training data')}",
        "source": f"stgan generate --checkpoint {Path(checkpoint).name} --seed {seed}",
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


# Time steps gathered per write when streaming: large enough for efficient writes, small
# enough that memory stays flat (batch × C × 64 × H × W floats).
STREAM_CHUNK = 64


@torch.no_grad()
def stream_array(
    module: SamplingModel,
    num_samples: int,
    length: int,
    *,
    seed: int = 0,
    batch_size: int = 32,
    time: TimeFeatures | None = None,
    chunk: int = STREAM_CHUNK,
) -> Iterator[tuple[slice, slice, np.ndarray]]:
    """Generate with the generator's ``stream()``, ``chunk`` steps at a time, in physical units.

    Yields ``(samples, steps, values)``: ``values`` (n, C, t, H, W) float32 (NaN on the mask)
    belong at ``[samples, :, steps]`` of the whole (N, C, length, H, W) output. Only the
    recurrent state and one chunk are held, so memory does not grow with ``length``. Latent
    frames are drawn batch by batch, step by step, from one ``torch.Generator`` seeded with
    ``seed`` (stacked along time they are the latent :meth:`Sampler.sample` would turn into
    the same frames). ``time`` describes the ``length`` steps (see :func:`generate_array`).
    """
    g = module.sampling_generator
    rng = torch.Generator().manual_seed(seed)
    transforms = [ChannelTransform(**t) for t in module.data_info["transforms"]]
    _, h, w = module.window
    mask = np.asarray(module.data_info["mask"])[:h, :w]
    was_training = module.training
    module.eval()  # spectral norm's power iteration must not advance while sampling
    try:
        for s0 in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - s0)
            frames, t0 = [], 0
            for t, frame in enumerate(g.stream(n, length, (length, h, w), generator=rng), start=1):
                frames.append(frame)  # (n, C, H, W)
                if len(frames) == chunk or t == length:
                    z = torch.stack(frames, dim=2).float().cpu()  # (n, C, t, H, W)
                    part = None if time is None else time[t0:t]
                    x = inverse_all(
                        transforms, z, part, channel_dim=1, crop={"h": h, "w": w}
                    ).numpy()
                    x[..., mask] = np.nan
                    yield slice(s0, s0 + n), slice(t0, t), x
                    frames, t0 = [], t
    finally:
        module.train(was_training)


def write_streamed(
    chunks: Iterator[tuple[slice, slice, np.ndarray]],
    layout: xr.Dataset,
    output: str | os.PathLike,
) -> Path:
    """Write the dataset ``layout`` describes, its data variables filled chunk by chunk.

    ``layout`` is the dataset to write with (possibly lazy, e.g. broadcast) placeholders as
    data: its coordinates and attributes are written by xarray, then each data variable is
    created as float32 with NaN as ``_FillValue`` (as :func:`stgan.io.netcdf.write_netcdf` would write it) and
    filled from ``chunks`` (see :func:`stream_array`; channel c is the c-th data variable with a
    sample dimension; others, such as time bounds, are written as they are).
    The file appears at ``output`` only when complete (:func:`stgan.io.atomic.atomic_path`).
    An ``output`` ending in ``.zarr`` is a Zarr store (:func:`stgan.io.stores.write_zarr_chunks`).
    """
    import netCDF4

    if is_zarr_output(output):
        return write_zarr_chunks(chunks, layout, output)
    names = sample_fields(layout)
    with atomic_path(output) as tmp:
        layout.drop_vars(names).to_netcdf(
            tmp, engine="netcdf4", encoding=coordinate_encoding(layout)
        )
        with netCDF4.Dataset(tmp, "a") as nc:
            out = []
            for name in names:
                var = nc.createVariable(
                    name, "f4", layout[name].dims, fill_value=np.float32(np.nan)
                )
                var.setncatts(layout[name].attrs)
                out.append(var)
            for samples, steps, values in chunks:
                for c, var in enumerate(out):
                    var[samples, steps] = values[:, c]
    return Path(output)


def check_length(module: SamplingModel, length: int) -> str | None:
    """Refuse a length the generator cannot make; return a caveat worth printing, if any.

    A generator may declare ``max_length`` (the longest window it can make, None: any) and
    ``length_note`` (what a window longer than the training one means for it).
    """
    if length < 1:
        raise StganError(f"--length must be at least 1, got {length}")
    g = module.sampling_generator
    name = module.hparams["generator"]["name"]
    limit = getattr(g, "max_length", None)
    if limit is not None and length > limit:
        raise StganError(
            f"generator {name!r} makes windows of at most {limit} steps: "
            f"{getattr(g, 'length_note', '')}".rstrip(": ")
        )
    if length > module.window[0]:
        return getattr(g, "length_note", None)
    return None
