"""``stgan.open_dataset``: the data as training reads it, as an xarray Dataset.

The same code as ``stgan fit`` and ``stgan survey`` decides what is read
(:class:`~stgan.io.source.GridSource`: files, dimension roles, variables, selections), cuts
the time splits (:func:`~stgan.data.splits.time_splits`) and finds the static mask on the
training split (:func:`~stgan.data.transform_fit.fit_transforms`); this module only hands the
result back as labelled arrays.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import xarray as xr

from stgan.errors import DataError, StganError

# Time steps per dask chunk of a file opened here: a few MB for common grids.
TIME_CHUNK = 128


@contextmanager
def data_errors() -> Iterator[None]:
    """Re-raise a plain :class:`StganError` from reading data as a :class:`DataError`.

    The message is unchanged (it is what the CLI prints); typed errors pass through as they are.
    """
    try:
        yield
    except StganError as err:
        if type(err) is not StganError:
            raise
        raise DataError(str(err)) from None


def _listing(items: dict[str, Any]) -> str:
    """``{a: 1, b: 2}`` → ``"a: 1, b: 2"`` (``"none"`` when empty), for a string attribute."""
    return ", ".join(f"{k}: {v}" for k, v in items.items()) or "none"


def open_dataset(
    data: str | os.PathLike | Sequence[str | os.PathLike] | xr.Dataset,
    *,
    variables: list[str] | None = None,
    select: dict[str, float | str] | None = None,
    dims: dict[str, str] | None = None,
    window_length: int = 8,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    max_missing_fraction: float = 0.05,
) -> xr.Dataset:
    """The fields training would read, on (time, y, x), with the static mask as NaN.

    Files, dimension roles, variables and selections are decided as ``stgan fit`` and
    ``stgan survey`` decide them; the options are the ``--data.*`` options of the same name.
    The static mask (cells missing at every step of the training split, e.g. land under an
    ocean field) is NaN at every step, as training and generated samples have it.

    Parameters
    ----------
    data : path, glob pattern, list of them, or xr.Dataset
        NetCDF file(s) or Zarr store(s), or a dataset already open (read as it is; nothing
        is written to disk).
    variables : list of str, optional
        Variables to take, one channel each (default: every field on the time grid).
    select : dict, optional
        One value of each extra dimension, e.g. ``{"level": 500}``.
    dims : dict, optional
        Which dimension is which, e.g. ``{"time": "T", "y": "LAT", "x": "LON"}``, where CF
        attributes and names do not say.
    window_length : int
        Steps per training window: the gap between the time splits, so it moves the training
        split that the mask is found on.
    val_fraction, test_fraction : float
        Shares of the time axis held out from training, as in ``stgan fit``.
    max_missing_fraction : float
        Steps with a larger share of (unmasked) cells missing are left out of training
        windows; they are counted in the attribute ``stgan_dropped_steps``.

    Returns
    -------
    xr.Dataset
        One float32 variable per chosen field, dims named as in the file in the order
        (time, y, x), with the variable's attributes (units, long_name, ...) and the file's
        global attributes. The ``stgan_*`` attributes say what was chosen: ``stgan_variables``,
        ``stgan_skipped`` (with the reasons), ``stgan_dims`` (role: dimension),
        ``stgan_select``, ``stgan_files``, ``stgan_train_steps`` (the split the mask was found
        on), ``stgan_masked_cells`` and ``stgan_dropped_steps``. Data read from files is
        dask-backed (chunks of :data:`TIME_CHUNK` steps); a dataset given in memory stays as
        it was (NumPy or dask).

    Raises
    ------
    DataError
        The data cannot be used as given (no file, no time dimension, an unknown variable,
        ...), with the message the CLI prints.

    Examples
    --------
    >>> import stgan
    >>> from stgan.data.synthetic import make_grf
    >>> raw = make_grf(time=32, height=8, width=8, seed=0, mask="island")
    >>> ds = stgan.open_dataset(raw, window_length=4)
    >>> ds["field"].dims
    ('time', 'y', 'x')
    >>> ds.attrs["stgan_variables"], ds.attrs["stgan_dims"]
    ('field', 'time: time, y: y, x: x')
    >>> int(ds["field"].isel(time=0).isnull().sum()) == ds.attrs["stgan_masked_cells"]
    True
    """
    from stgan.data.splits import time_splits
    from stgan.data.transform_fit import fit_transforms
    from stgan.data.transforms import parse_steps
    from stgan.io.source import GridSource

    with data_errors():
        source = GridSource(data, variables, select, dims)
        splits = time_splits(
            source.sizes["time"],
            window_length=window_length,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
        )
        if not 0 <= max_missing_fraction <= 1:
            raise StganError(f"max_missing_fraction must be in [0, 1], got {max_missing_fraction}")
        # The mask and the missing share come from the pass that fits the standardisation.
        fitted = fit_transforms(source, splits["train"], parse_steps(None, source.variables))
    tdim, ydim, xdim = (source.dims[role] for role in ("time", "y", "x"))
    mask = xr.DataArray(fitted.mask, dims=(ydim, xdim))
    fields = {}
    for name in source.variables:
        da = source.field(name)
        if not isinstance(data, xr.Dataset) and da.chunks is None:
            da = da.chunk({tdim: TIME_CHUNK})  # lazy: a file may not fit in memory
        da = da.astype(np.float32).where(~mask)  # float32 as training reads it
        da = da.assign_coords({ydim: source.coords["y"], xdim: source.coords["x"]})
        da.attrs = dict(source.var_attrs[name])
        fields[name] = da
    train = splits["train"]
    attrs = {
        **source.global_attrs,
        "stgan_variables": ", ".join(source.variables),
        "stgan_skipped": _listing(source.skipped),
        "stgan_dims": _listing(source.dims),
        "stgan_select": _listing(source.select),
        "stgan_files": ", ".join(str(p) for p in source.paths),
        "stgan_train_steps": f"{train.start}-{train.stop - 1}",
        "stgan_masked_cells": int(fitted.mask.sum()),
        "stgan_dropped_steps": int((fitted.missing_fraction > max_missing_fraction).sum()),
    }
    return xr.Dataset(fields, attrs=attrs)
