"""LightningDataModule: NetCDF file(s) → transformed, masked (B, C, T, H, W) training batches."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_info

from stgan.conditioning.place import time_table
from stgan.conditioning.spec import condition_spec, static_entries
from stgan.conditioning.static_files import read_static
from stgan.data.patching import BUDGET_CELLS, choose_patch, step_cost
from stgan.data.sampler import ResumableLoader, WindowSampler
from stgan.data.splits import time_splits
from stgan.data.time_features import TimeFeatures
from stgan.data.transform_fit import fit_transforms
from stgan.data.transforms import forward_all, parse_steps
from stgan.data.windows import WindowDataset, valid_starts
from stgan.errors import StganError
from stgan.io.source import GridSource
from stgan.io.time_description import describe_time

# Training splits up to this size are read once into memory; larger ones stream from disk.
IN_MEMORY_BYTES = 2 * 1024**3


def _plain(value: Any) -> Any:
    """Attribute values as plain Python (str, int, float, lists), safe in a weights-only checkpoint."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, list)):
        return value
    return str(value)


def _time_step_seconds(time: np.ndarray) -> float | None:
    """The step of a datetime-like time axis in seconds (None if numeric or too short)."""
    if time.size < 2:
        return None
    step = time[1] - time[0]
    if isinstance(step, np.timedelta64):
        return float(step / np.timedelta64(1, "s"))
    if hasattr(step, "total_seconds"):  # datetime.timedelta from cftime dates
        return float(step.total_seconds())
    return None


def _data_seed() -> int:
    """Seed of the training crops: the run's seed (``seed_everything``), else a fresh one."""
    seed = os.environ.get("PL_GLOBAL_SEED")  # set by Lightning's seed_everything
    return int(seed) if seed is not None else int(torch.initial_seed() % 2**32)


class SpaceTimeDataModule(pl.LightningDataModule):
    """Random space-time windows from NetCDF data, transformed per variable and masked.

    The time axis is cut into contiguous train / validation / test blocks separated by one
    window (:func:`stgan.data.splits.time_splits`); transforms are fitted on the training block
    only. A cell missing at every training step is a static mask (land under an ocean field):
    it is zero in every standardised window, the generator's output is masked the same way
    before D sees it, and it is written back as NaN. Steps where more than
    ``max_missing_fraction`` of the other cells are missing are never inside a window; the
    remaining sporadic gaps are filled with the training mean (0 after standardisation).

    Parameters
    ----------
    path : str or list of str
        A NetCDF file, a glob pattern, or a list of them (concatenated along time).
    variables : list[str] | None
        Variables to train on, one channel each; default: every variable with a time dim.
    select : dict | None
        One value per extra dimension, e.g. ``{level: 500}``.
    dims : dict | None
        Which dimension is which, e.g. ``{time: timestep, y: FNOCY, x: FNOCX}`` (keys ``time``,
        ``y`` or ``lat``, ``x`` or ``lon``); default: found from CF attributes and names.
    transforms : dict | None
        Per-variable steps before standardisation, e.g. ``{precip: [log1p]}`` or
        ``{tas: [detrend, anomaly]}`` (:mod:`stgan.data.transforms`: log1p, detrend, anomaly,
        monthly_anomaly; applied in that order whatever order they are listed in).
    window_length : int
        Time steps per window (T).
    window_height, window_width : int | None
        Grid rows (H) and columns (W) per window. Default (both None): the whole grid, or,
        when one step on it would cost more than on a 64×64 window, the largest affordable
        patch (:func:`stgan.data.patching.choose_patch`), announced once when training starts.
        Giving either one keeps the other at the whole grid's size.
    batch_size : int
        Windows per batch.
    samples_per_epoch : int
        Random windows drawn per training epoch.
    val_fraction, test_fraction : float
        Shares of the time axis held out (0 disables a split).
    max_missing_fraction : float
        Steps with a larger share of missing (unmasked) cells are left out of windows.
    in_memory : bool | None
        Hold the standardised training split in memory; default: when it is under 2 GiB.
    num_workers : int
        DataLoader worker processes.
    conditions : list | None
        Conditions both networks see (:mod:`stgan.conditioning`), e.g. ``[coords, calendar,
        year, climatology]``; each batch then carries where and when its windows lie.
    static : list of str | None
        Static covariates, ``path.nc:variable`` each (a 2-D field on the data's grid), seen
        as conditions (kind ``static``).
    """

    def __init__(
        self,
        path: str | list[str],
        variables: list[str] | None = None,
        select: dict[str, Any] | None = None,
        dims: dict[str, str] | None = None,
        transforms: dict[str, list[str]] | None = None,
        window_length: int = 8,
        window_height: int | None = None,
        window_width: int | None = None,
        batch_size: int = 16,
        samples_per_epoch: int = 1024,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        max_missing_fraction: float = 0.05,
        in_memory: bool | None = None,
        num_workers: int = 0,
        conditions: list[Any] | str | None = None,
        static: list[str] | str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.source = GridSource(path, variables, select, dims)
        self.variables = self.source.variables
        self.time_features = TimeFeatures.from_times(
            self.source.time
        )  # for date-dependent transforms
        sizes = self.source.sizes
        self.window = (window_length, window_height or sizes["y"], window_width or sizes["x"])
        self.patch_note: str | None = None  # why the window is a patch, when it is one
        self._patch_note_said = False
        if window_height is None and window_width is None and window_length >= 1:
            self.window = (window_length, *self._patch(window_length, batch_size))
        for role, want in zip(("time", "y", "x"), self.window):
            if want < 1 or want > sizes[role]:
                raise StganError(
                    f"window {role} size {want} does not fit the data's {sizes[role]} {role} "
                    f"points (window {self.window} vs data {tuple(sizes.values())}); use a smaller window"
                )
        self.splits = time_splits(
            sizes["time"],
            window_length=window_length,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
        )
        self.steps = parse_steps(transforms, self.variables)
        for name, value, least in (
            ("batch_size", batch_size, 1),
            ("samples_per_epoch", samples_per_epoch, 1),
            ("num_workers", num_workers, 0),
        ):
            if not isinstance(value, int) or value < least:
                raise StganError(
                    f"data.{name} must be an integer of at least {least}, got {value!r}"
                )
        if samples_per_epoch < batch_size:
            raise StganError(
                f"data.samples_per_epoch ({samples_per_epoch}) is less than one batch "
                f"({batch_size}); raise samples_per_epoch or lower batch_size"
            )
        if not 0 <= max_missing_fraction <= 1:
            raise StganError(f"max_missing_fraction must be in [0, 1], got {max_missing_fraction}")
        self.batch_size = batch_size
        self.samples_per_epoch = samples_per_epoch
        self.max_missing_fraction = max_missing_fraction
        self.in_memory = in_memory
        self.num_workers = num_workers
        self.info = self._describe()
        self.fitted = None
        self.static = static_entries(static)
        self.static_fields = read_static(self.static, self.source)  # (S, H, W), checked
        self.time_table = time_table(self.time_features, sizes["time"])  # (T_all, 4)
        # Linked into the model by stgan fit (model.conditioning).
        self.condition_spec = condition_spec(self, conditions)

    @property
    def num_channels(self) -> int:
        """Number of channels C of the batches: one per variable (``model.channels``)."""
        return len(self.variables)

    @property
    def periodic_x(self) -> bool:
        """Windows are periodic in x: a global longitude, and windows as wide as the grid.

        ``stgan fit`` passes this to the networks (wrap padding in x). A patch narrower than
        the grid may wrap around the date line when it is cut, but its own east and west
        edges are not neighbours, so it is not periodic.
        """
        return bool(self.source.periodic_x and self.window[2] == self.source.sizes["x"])

    def _patch(self, window_length: int, batch_size: int) -> tuple[int, int]:
        """The default (H, W): the whole grid, or a patch when that costs too much per step."""
        sizes = self.source.sizes
        grid = (sizes["y"], sizes["x"])
        opts = {"channels": len(self.variables), "batch_size": max(int(batch_size), 1)}
        patch = choose_patch(grid, window_length, **opts)
        if patch != grid:
            whole = step_cost((window_length, *grid), **opts).describe()
            part = step_cost((window_length, *patch), **opts).describe()
            side = int(BUDGET_CELLS**0.5)
            self.patch_note = (
                f"a training step on the whole {grid[0]}×{grid[1]} grid at {window_length} steps "
                f"costs {whole}, more than on a {side}×{side} window; training on "
                f"{patch[0]}×{patch[1]} patches instead, {part}; set --data.window_height "
                f"{grid[0]} --data.window_width {grid[1]} for whole-grid windows"
            )
        return patch

    def _describe(self) -> dict[str, Any]:
        """What generation needs to write data like the input: names, attrs, coords, dims."""
        src = self.source
        coords = {
            role: {
                "name": src.dims[role],
                "values": src.coords[role].values.astype(float).tolist(),
                "attrs": {k: _plain(v) for k, v in src.coords[role].attrs.items()},
            }
            for role in ("y", "x")
        }
        return {
            "source": ", ".join(p.name for p in src.paths[:3])
            + (" ..." if len(src.paths) > 3 else ""),
            "variables": [
                {"name": v, "attrs": {k: _plain(a) for k, a in src.var_attrs[v].items()}}
                for v in self.variables
            ],
            "dims": dict(src.dims),
            "coords": coords,
            "time_step_seconds": _time_step_seconds(src.time),  # for code older than "time" below
            "time": describe_time(src.time, src.time_encoding, src.time_attrs),
            "periodic_x": src.periodic_x,
            "global_attrs": {k: _plain(v) for k, v in src.global_attrs.items()},
            "window": list(self.window),
            "splits": {k: [s.start, s.stop] for k, s in self.splits.items()},
        }

    def fit_statistics(self) -> None:
        """One streaming pass: transforms on the training split, mask and missing steps."""
        if self.fitted is not None:
            return
        self.fitted = fit_transforms(self.source, self.splits["train"], self.steps)
        self.bad_steps = self.fitted.missing_fraction > self.max_missing_fraction
        n_bad = int(self.bad_steps.sum())
        if n_bad:
            rank_zero_info(
                f"stgan: {n_bad} time steps have more than {self.max_missing_fraction:.0%} "
                "of cells missing and are left out of every window"
            )
        self.info["transforms"] = [t.to_dict() for t in self.fitted.transforms]
        self.info["mask"] = torch.from_numpy(self.fitted.mask)

    def starts(self, split: str) -> np.ndarray:
        """Window start steps inside ``split`` whose window holds no dropped step."""
        return valid_starts(self.splits[split], self.window[0], self.bad_steps)

    def eval_windows(self, split: str, *, max_windows: int | None = None) -> np.ndarray:
        """A deterministic, strided set of windows of ``split`` in physical units.

        Windows do not overlap: starts advance by T in time, skipping dropped steps, and the
        grid is tiled by (H, W) from the origin. Masked cells are NaN. Returns
        (N, C, T, H, W) float32, N at most ``max_windows`` (the earliest ones).
        """
        t, h, w = self.window
        chosen, last = [], -t
        for t0 in self.starts(split):
            if t0 >= last + t:
                chosen.append(int(t0))
                last = t0
        sizes = self.source.sizes
        tiles = [
            (y0, x0)
            for y0 in range(0, sizes["y"] - h + 1, h)
            for x0 in range(0, sizes["x"] - w + 1, w)
        ]
        out = []
        for t0 in chosen:
            block = self.source.read(t0, t0 + t)  # (C, T, H_all, W_all)
            block[..., self.fitted.mask] = np.nan
            out += [block[..., y0 : y0 + h, x0 : x0 + w] for y0, x0 in tiles]
            if max_windows is not None and len(out) >= max_windows:
                break
        if not out:
            return np.empty((0, self.num_channels, t, h, w), np.float32)
        return np.stack(out[:max_windows])

    def count_windows(self, split: str) -> int:
        """Distinct training windows (all start positions) in ``split``."""
        _, h, w = self.window
        sizes = self.source.sizes
        nx = sizes["x"] if self.source.periodic_x else sizes["x"] - w + 1
        return len(self.starts(split)) * (sizes["y"] - h + 1) * nx

    def setup(self, stage: str | None = None) -> None:
        """Fit the normalisation statistics; refuse a training split smaller than a batch."""
        if self.patch_note is not None and not self._patch_note_said:
            rank_zero_info(f"stgan: {self.patch_note}")
            self._patch_note_said = True  # once, not again at every stage
        self.fit_statistics()
        n_windows = self.count_windows("train")
        if n_windows < self.batch_size:
            raise StganError(
                f"the training split has only {n_windows} distinct windows, fewer than one batch "
                f"of {self.batch_size}; lower batch_size, shorten the window or use more data"
            )

    def standardised(self, t0: int, t1: int, **crop: int) -> np.ndarray:
        """Steps ``[t0, t1)`` as the networks see them: transformed and standardised, (C, T,
        H, W) float32, masked and missing cells at 0; ``crop``: ``y0, h, x0, w`` of a window."""
        z = forward_all(
            self.fitted.transforms,
            self.source.read(t0, t1, **crop),
            self.time_features[t0:t1],
            crop,
        )
        return np.nan_to_num(z, nan=0.0)  # masked and sporadic gaps → the training mean

    def train_dataloader(self) -> ResumableLoader:
        """Random standardised training windows as batches ``(real, valid)``, resumable.

        ``real`` (B, C, T, H, W) has masked and missing cells at 0; ``valid`` is (B, 1, 1, H, W).
        Each epoch's ``samples_per_epoch`` windows are shared out among the DDP ranks.
        """
        train = self.splits["train"]
        sizes = self.source.sizes
        nbytes = 4 * self.num_channels * (train.stop - train.start) * sizes["y"] * sizes["x"]
        in_memory = self.in_memory if self.in_memory is not None else nbytes <= IN_MEMORY_BYTES
        resident = (
            torch.from_numpy(self.standardised(train.start, train.stop)) if in_memory else None
        )
        dataset = WindowDataset(
            read=self.standardised,
            resident=resident,
            offset=train.start,
            starts=self.starts("train"),
            window=self.window,
            grid=(sizes["y"], sizes["x"]),
            periodic_x=self.source.periodic_x,
            mask=self.fitted.mask,
            times=self.time_table,
            length=self.samples_per_epoch,
            seed=_data_seed(),
        )
        # Under DDP each rank takes its own share of the epoch's window ids (distinct windows);
        # the loader's position is checkpointed so a resumed run goes on with the next batch.
        trainer = getattr(self, "trainer", None)
        world, rank = (trainer.world_size, trainer.global_rank) if trainer is not None else (1, 0)
        sampler = WindowSampler(self.samples_per_epoch, num_replicas=world, rank=rank)
        if len(sampler) < self.batch_size:  # an epoch without a batch would never end
            raise StganError(
                f"data.samples_per_epoch ({self.samples_per_epoch}) gives each of {world} "
                f"processes less than one batch of {self.batch_size}; raise it"
            )
        # Its own generator: creating the loader's iterator must not draw from torch's global
        # one (the latent noise), or a resumed run would draw different noise.
        return ResumableLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            drop_last=True,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            generator=torch.Generator().manual_seed(0),
        )
