"""LightningDataModule: one NetCDF file → standardised (B, C, T, H, W) training batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from stgan.data.normalize import Standardizer
from stgan.data.splits import time_splits
from stgan.data.windows import RandomWindows, count_windows
from stgan.errors import StganError
from stgan.io.netcdf import dimension_roles, open_dataset, select_variables


def _plain(value: Any) -> Any:
    """Attribute values as plain Python (str, int, float, lists), safe in a weights-only checkpoint."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, list)):
        return value
    return str(value)


def _time_step_seconds(time: Any) -> float | None:
    """The step of a datetime-like time coordinate in seconds (None if numeric or too short)."""
    if time.size < 2:
        return None
    step = time.values[1] - time.values[0]
    if isinstance(step, np.timedelta64):
        return float(step / np.timedelta64(1, "s"))
    if hasattr(step, "total_seconds"):  # datetime.timedelta from cftime dates
        return float(step.total_seconds())
    return None


class SpaceTimeDataModule(pl.LightningDataModule):
    """Random space-time windows from a NetCDF file, standardised per variable.

    The time axis is cut into contiguous train / validation / test blocks separated by one
    window (see :func:`stgan.data.splits.time_splits`); standardisation statistics come from
    the training block only.

    Parameters
    ----------
    path : str
        NetCDF file with variables on (time, y, x).
    variables : list[str] | None
        Variables to train on, one channel each; default: every variable with a time dim.
    window_length : int
        Time steps per window (T).
    window_height : int | None
        Grid rows per window (H); default: the whole grid.
    window_width : int | None
        Grid columns per window (W); default: the whole grid.
    batch_size : int
        Windows per batch.
    samples_per_epoch : int
        Random windows drawn per training epoch.
    val_fraction : float
        Share of the time axis held out for validation (0 disables).
    test_fraction : float
        Share of the time axis held out for testing (0 disables).
    num_workers : int
        DataLoader worker processes.
    """

    def __init__(
        self,
        path: str,
        variables: list[str] | None = None,
        window_length: int = 8,
        window_height: int | None = None,
        window_width: int | None = None,
        batch_size: int = 16,
        samples_per_epoch: int = 1024,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.path = str(path)
        ds = open_dataset(path)
        self.variables = select_variables(ds, variables)
        first = ds[self.variables[0]]
        self.dims = dimension_roles(ds, first)
        for name in self.variables[1:]:
            roles = dimension_roles(ds, ds[name])
            if roles != self.dims or ds[name].shape != first.shape:
                raise StganError(
                    f"variables {self.variables[0]!r} and {name!r} are on different grids "
                    f"({dict(first.sizes)} vs {dict(ds[name].sizes)}); train them separately"
                )
        sizes = {role: ds.sizes[dim] for role, dim in self.dims.items()}
        self.window = (
            window_length,
            window_height or sizes["y"],
            window_width or sizes["x"],
        )
        for role, want in zip(("time", "y", "x"), self.window):
            if want < 1 or want > sizes[role]:
                raise StganError(
                    f"window {role} size {want} does not fit the data's {sizes[role]} "
                    f"{role} points (window {self.window} vs data {tuple(sizes.values())})"
                )
        self.splits = time_splits(
            sizes["time"], window_length=window_length,
            val_fraction=val_fraction, test_fraction=test_fraction,
        )
        n_train = self.splits["train"].stop - self.splits["train"].start
        n_windows = count_windows((n_train, sizes["y"], sizes["x"]), self.window)
        if n_windows < batch_size:
            raise StganError(
                f"the training split has only {n_windows} distinct windows, fewer than one batch "
                f"of {batch_size}; lower batch_size or use more data"
            )
        self.batch_size = batch_size
        self.samples_per_epoch = samples_per_epoch
        self.num_workers = num_workers
        self.info = self._describe(ds)
        ds.close()
        self.standardizer: Standardizer | None = None
        self.train_data: torch.Tensor | None = None

    @property
    def num_channels(self) -> int:
        return len(self.variables)

    def _describe(self, ds) -> dict[str, Any]:
        """What generation needs to write data like the input: names, attrs, coords, dims."""
        coords = {}
        for role in ("y", "x"):
            dim = self.dims[role]
            var = ds[dim]
            coords[role] = {
                "name": dim,
                "values": var.values.astype(float).tolist(),
                "attrs": {k: _plain(v) for k, v in var.attrs.items()},
            }
        return {
            "source": Path(self.path).name,
            "variables": [
                {"name": v, "attrs": {k: _plain(a) for k, a in ds[v].attrs.items()
                                      if k not in ("_FillValue", "missing_value")}}
                for v in self.variables
            ],
            "dims": dict(self.dims),
            "coords": coords,
            "time_step_seconds": _time_step_seconds(ds[self.dims["time"]]),
            "global_attrs": {k: _plain(v) for k, v in ds.attrs.items()},
            "window": list(self.window),
            "splits": {k: [s.start, s.stop] for k, s in self.splits.items()},
        }

    def load_split(self, split: str) -> np.ndarray:
        """The raw values of one split as float32 (C, T, H, W), in physical units."""
        ds = open_dataset(self.path)
        order = [self.dims["time"], self.dims["y"], self.dims["x"]]
        arrays = []
        for name in self.variables:
            da = ds[name].isel({self.dims["time"]: self.splits[split]}).transpose(*order)
            values = da.values.astype(np.float32)
            n_bad = int(np.count_nonzero(~np.isfinite(values)))
            if n_bad:
                raise StganError(
                    f"variable {name!r} has {n_bad} missing or non-finite values in the {split} "
                    "split; stgan cannot train on missing values yet: fill or crop them first"
                )
            arrays.append(values)
        ds.close()
        return np.stack(arrays)

    def setup(self, stage: str | None = None) -> None:
        if self.train_data is not None:
            return
        raw = self.load_split("train")
        self.standardizer = Standardizer.fit(raw, self.variables)
        self.info["normalization"] = self.standardizer.to_dict()
        self.train_data = torch.from_numpy(self.standardizer.forward(raw))

    def train_dataloader(self) -> DataLoader:
        dataset = RandomWindows(self.train_data, self.window, self.samples_per_epoch)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=False,  # every item is already a random crop
            drop_last=True,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )
