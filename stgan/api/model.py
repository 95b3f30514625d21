"""``stgan.load`` and :class:`Model`: a trained checkpoint that makes samples as xarray.

:meth:`Model.sample` returns the samples in memory and :meth:`Model.write` writes them to
NetCDF or Zarr; ``stgan generate`` is :meth:`Model.write`. Both plan the same windows (length,
dates, tiling) and make them with the same functions of :mod:`stgan.sampling` and
:mod:`stgan.tiling`, so the file and the in-memory dataset hold the same values at one seed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from stgan.api.tasks import TaskMethods
from stgan.checkpoint import load_checkpoint
from stgan.conditioning.request import sampling_table
from stgan.data.time_features import TimeFeatures
from stgan.errors import StganError
from stgan.io.netcdf import write_dataset
from stgan.io.time_description import time_text
from stgan.io.timeaxis import OutputTime
from stgan.sampler import Sampler
from stgan.sampling import (
    check_length,
    generate_array,
    stream_array,
    to_dataset,
    window_times,
    write_streamed,
)
from stgan.tiling import full_grid_array, grid_shape, trained_on_patches


def load(checkpoint: str | os.PathLike) -> Model:
    """The trained model in ``checkpoint``, ready to sample.

    Parameters
    ----------
    checkpoint : path
        A ``.ckpt`` written by ``stgan fit`` (loaded on the CPU with ``weights_only=True``).

    Returns
    -------
    Model
        Its generator (the EMA copy when training kept one) and its data description.

    Raises
    ------
    CheckpointError
        The file is missing, unreadable, unsafe to load or not an stgan checkpoint, with the
        message ``stgan generate`` prints.

    Examples
    --------
    >>> import stgan
    >>> model = stgan.load("model.ckpt")
    >>> model.variables, model.window
    (['field'], (4, 16, 16))
    """
    ckpt = load_checkpoint(checkpoint)
    return Model(Sampler.from_checkpoint(ckpt), Path(checkpoint), int(ckpt.get("global_step", 0)))


def check_request(num_samples: int, full_grid: bool, overlap: int | None) -> None:
    """Refuse a sample count or tiling option that no model can honour.

    ``stgan generate`` checks these before it reads the checkpoint, so a mistyped option is
    reported first; :meth:`Model.sample` and :meth:`Model.write` check them too.
    """
    if num_samples < 1:
        raise StganError(f"--num-samples must be at least 1, got {num_samples}")
    if overlap is not None and not full_grid:
        raise StganError("--overlap sets how full-grid samples are tiled: add --full-grid")


@dataclass
class _Plan:
    """What one request makes: the window, its time axis and how the windows are made."""

    window: tuple[int, int, int]  # (T, H, W) of each sample
    times: OutputTime
    time: TimeFeatures | None  # dates of the steps, for date-dependent transforms
    tiled: bool  # a full grid from overlapping patches
    overlap: int | None  # cells the patches of a tiled sample share
    streamed: bool  # frame by frame from a recurrent generator
    when: np.ndarray  # (T, 4) steps a conditioned model is conditioned on


class Model(TaskMethods):
    """A trained stgan model: facts about it, and samples in physical units as xarray.

    Made by :func:`load`. Samples have the training data's variable names, units,
    coordinates, calendar and CF attributes, exactly as ``stgan generate`` writes them.
    A model trained for a conditional task also downscales, nowcasts or fills gaps
    (:class:`~stgan.api.tasks.TaskMethods`).

    Parameters
    ----------
    sampler : Sampler
        The sampling network rebuilt from the checkpoint.
    checkpoint : Path
        Where the checkpoint was read from (named in the samples' ``source`` attribute).
    steps : int
        Optimiser steps the model was trained for.
    """

    def __init__(self, sampler: Sampler, checkpoint: Path, steps: int = 0) -> None:
        self.sampler = sampler
        self.checkpoint = checkpoint
        self.steps = steps
        self._info = sampler.data_info

    @property
    def variables(self) -> list[str]:
        """The variables the model makes, one channel each."""
        return [v["name"] for v in self._info["variables"]]

    @property
    def units(self) -> dict[str, str]:
        """Each variable's units (``"?"`` where the training data gave none)."""
        return {v["name"]: str(v["attrs"].get("units", "?")) for v in self._info["variables"]}

    @property
    def window(self) -> tuple[int, int, int]:
        """The training window (T, H, W)."""
        return tuple(self.sampler.window)

    @property
    def grid(self) -> tuple[int, int]:
        """The training data's whole grid (H, W)."""
        return tuple(grid_shape(self._info))

    @property
    def trained_on_patches(self) -> bool:
        """Whether windows were smaller than the grid (``full_grid=True`` then tiles them)."""
        return trained_on_patches(self.sampler)

    @property
    def dims(self) -> dict[str, str]:
        """Dimension name of each role in the training data, ``{"time", "y", "x"}``."""
        return dict(self._info["dims"])

    @property
    def calendar(self) -> str | None:
        """The training time axis's calendar (None: numeric time, or an earlier checkpoint)."""
        return (self._info.get("time") or {}).get("calendar")

    @property
    def time_step(self) -> str:
        """The training data's time step in words, e.g. ``fixed 1 day, calendar ...``."""
        desc = self._info.get("time")
        return time_text(desc) if desc else "unknown (a checkpoint from before time steps)"

    @property
    def generator(self) -> str:
        """The generator's registry key, e.g. ``"conv3d"``."""
        return str(self.sampler.hparams["generator"]["name"])

    @property
    def conditions(self) -> list[str]:
        """The conditions the model was trained with (``data.conditions``), [] if none."""
        return self.sampler.conditions.names if self.sampler.conditions is not None else []

    def __repr__(self) -> str:
        variables = ", ".join(f"{n} [{u}]" for n, u in self.units.items())
        c = self.sampler.conditions
        t, h, w = self.window
        gh, gw = self.grid
        patches = f", patches of the {gh}×{gw} grid" if self.trained_on_patches else ""
        return (
            f"stgan Model {self.checkpoint.name!r}: generator {self.generator!r}, "
            f"{self.steps} steps\n"
            f"  variables: {variables}\n"
            f"  window (T, H, W): ({t}, {h}, {w}){patches}\n"
            f"  dims: {', '.join(f'{r} ← {d!r}' for r, d in self.dims.items())}\n"
            f"  time step: {self.time_step}\n"
            f"  conditions: {c.describe() if c is not None else 'none'}\n"
            f"  trained on: {self._info.get('source', '?')}"
        )

    def _plan(
        self,
        num_samples: int,
        length: int | None,
        start_time: str | None,
        full_grid: bool,
        overlap: int | None,
        month: int | None = None,
        year: float | None = None,
    ) -> _Plan:
        """Check a request and lay out its windows; print what the user should know."""
        check_request(num_samples, full_grid, overlap)
        conditions = self.sampler.conditions
        tiled = full_grid and self.trained_on_patches
        if full_grid and not tiled:
            print(
                "note: this model was trained on whole-grid windows; "
                "its samples are full-grid already"
            )
        t, h, w = self.window
        if length is not None:
            note = check_length(self.sampler, length)
            if note:
                print(f"note: {note}")
            t = length
        times = window_times(self._info, t, start_time)
        if times.note:
            print(f"note: {times.note}")
        # Only an absolute time coordinate (standard_name time) dates the steps; offsets from
        # the window's start do not, and a date-dependent transform then says what to give.
        dated = times.attrs.get("standard_name") == "time"
        time = TimeFeatures.from_times(times.values) if dated else None
        return _Plan(
            window=(t, h, w),
            times=times,
            time=time,
            tiled=tiled,
            overlap=overlap,
            # Recurrent generators make frame by frame, so a file of any length is written
            # in flat memory.
            streamed=hasattr(self.sampler.sampling_generator, "stream") and not tiled,
            when=sampling_table(conditions, time, t, month=month, year=year),
        )

    def _array(self, plan: _Plan, num_samples: int, seed: int, batch_size: int) -> np.ndarray:
        """(N, C, T, H, W) samples in physical units, made as :meth:`write` makes them."""
        common = dict(seed=seed, batch_size=batch_size, time=plan.time)
        if plan.tiled:
            return full_grid_array(
                self.sampler,
                num_samples,
                length=plan.window[0],
                overlap=plan.overlap,
                when=plan.when,
                **common,
            )
        if plan.streamed:
            out = np.empty((num_samples, len(self.variables), *plan.window), np.float32)
            for samples, steps, values in stream_array(
                self.sampler, num_samples, plan.window[0], **common
            ):
                out[samples, :, steps] = values
            return out
        return generate_array(
            self.sampler, num_samples, window=plan.window, when=plan.when, **common
        )

    def _dataset(self, samples: np.ndarray, plan: _Plan, seed: int) -> xr.Dataset:
        """Samples wrapped as the CF dataset ``stgan generate`` writes."""
        return to_dataset(
            samples, self._info, seed=seed, checkpoint=str(self.checkpoint), times=plan.times
        )

    def sample(
        self,
        n: int,
        *,
        length: int | None = None,
        seed: int = 0,
        start_time: str | None = None,
        full_grid: bool = False,
        overlap: int | None = None,
        batch_size: int = 32,
        month: int | None = None,
        year: float | None = None,
    ) -> xr.Dataset:
        """``n`` generated windows in physical units, in memory.

        The same values and attributes as ``stgan generate`` writes with the same options
        (:meth:`write`).

        Parameters
        ----------
        n : int
            Number of samples.
        length : int, optional
            Time steps per sample (default: the training window's T). A generator that cannot
            make longer windows says so.
        seed : int
            Seed of the latent draw.
        start_time : str, optional
            Date of the first step, e.g. ``"2001-07-01"`` (default: one step after the
            training record's last time stamp, in its calendar).
        full_grid : bool
            For a model trained on patches: samples of the whole grid, from overlapping
            patches blended together (:func:`stgan.tiling.full_grid_array`).
        overlap : int, optional
            Cells the patches overlap by with ``full_grid`` (default: half a patch side).
        batch_size : int
            Samples made per forward pass.
        month : int, optional
            A conditioned model (``calendar`` or ``climatology``): condition every step on
            this calendar month (1-12), whatever the dates written; e.g. 7 for a July.
        year : float, optional
            A model conditioned on ``year``: condition every step on this year (a trend's
            handle); default: each step's own date.

        Returns
        -------
        xr.Dataset
            Each variable on (sample, time, y, x) with the training data's dimension names,
            coordinates, units and attributes; NaN on the static mask.

        Raises
        ------
        StganError
            An option the model cannot honour (a length too long for the generator, a
            ``start_time`` that is not a date, ...).

        Examples
        --------
        >>> import stgan
        >>> samples = stgan.load("model.ckpt").sample(2, seed=1)
        >>> samples["field"].dims, samples["field"].shape
        (('sample', 'time', 'y', 'x'), (2, 4, 16, 16))
        >>> samples["field"].attrs["units"]
        'K'
        """
        plan = self._plan(n, length, start_time, full_grid, overlap, month, year)
        return self._dataset(self._array(plan, n, seed, batch_size), plan, seed)

    def write(
        self,
        path: str | os.PathLike,
        n: int,
        *,
        length: int | None = None,
        seed: int = 0,
        start_time: str | None = None,
        full_grid: bool = False,
        overlap: int | None = None,
        batch_size: int = 32,
        month: int | None = None,
        year: float | None = None,
    ) -> Path:
        """Write ``n`` samples to ``path``, as :meth:`sample` makes them: ``stgan generate``.

        ``path`` is a NetCDF file, or a Zarr store when its name ends in ``.zarr``; it
        appears only once complete. A recurrent generator (``convgru``) is streamed: frames
        are made and written chunk by chunk (:func:`stgan.sampling.stream_array`,
        :func:`stgan.sampling.write_streamed`), so memory does not grow with ``length``. The
        options are those of :meth:`sample`.

        Returns
        -------
        Path
            ``path``.

        Examples
        --------
        >>> import stgan
        >>> stgan.load("model.ckpt").write("samples.nc", 2, seed=1)
        PosixPath('samples.nc')
        """

        plan = self._plan(n, length, start_time, full_grid, overlap, month, year)
        if not plan.streamed:
            write_dataset(self._dataset(self._array(plan, n, seed, batch_size), plan, seed), path)
            return Path(path)
        chunks = stream_array(
            self.sampler, n, plan.window[0], seed=seed, batch_size=batch_size, time=plan.time
        )
        # The layout's data are placeholders broadcast from one NaN: no memory.
        placeholder = np.broadcast_to(np.float32(np.nan), (n, len(self.variables), *plan.window))
        write_streamed(chunks, self._dataset(placeholder, plan, seed), path)
        return Path(path)
