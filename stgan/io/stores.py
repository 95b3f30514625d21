"""Zarr stores beside NetCDF files: recognise them, open them lazily, write them atomically.

A Zarr store is a folder; stgan writes format 2 with consolidated metadata, the layout every
Zarr reader (zarr-python 2 and 3, xarray, other languages' libraries) opens without warnings.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.atomic import atomic_path

# Files at the root of a Zarr store: format 3, format 2 group, format 2 consolidated metadata.
_ZARR_MARKERS = ("zarr.json", ".zgroup", ".zmetadata")
_WRITE_OPTIONS = {"zarr_format": 2, "consolidated": True}


def sample_fields(ds: xr.Dataset) -> list[str]:
    """The generated fields of a samples dataset: its data variables over ``sample`` (not the
    time bounds or other variables that describe a coordinate)."""
    return [str(n) for n in ds.data_vars if "sample" in ds[n].dims]


def is_zarr_store(path: str | os.PathLike) -> bool:
    """True for a folder that holds a Zarr group (format 2 or 3)."""
    path = Path(path)
    return path.is_dir() and any((path / name).is_file() for name in _ZARR_MARKERS)


def is_zarr_output(path: str | os.PathLike) -> bool:
    """True when an output path asks for a Zarr store: its name ends in ``.zarr``."""
    return Path(path).suffix.lower() == ".zarr"


def _require_zarr() -> None:
    try:
        import zarr  # noqa: F401
    except ImportError:
        raise StganError(
            "Zarr stores need the zarr package; install it with pip install 'stgan[zarr]'"
        ) from None


def open_zarr(path: str | os.PathLike) -> xr.Dataset:
    """Open a Zarr store lazily, without dask: a read fetches only the chunks it touches."""
    _require_zarr()
    try:
        return xr.open_dataset(path, engine="zarr", chunks=None)
    except Exception as err:  # zarr and its codecs raise many types for a damaged store
        raise StganError(
            f"cannot read {str(path)!r} as a Zarr store ({type(err).__name__}: {err}); "
            "is it a complete store written by xarray?"
        ) from None


def _check_target(path: Path) -> None:
    """Refuse to replace something at ``path`` that is not a Zarr store."""
    if path.exists() and not is_zarr_store(path):
        raise StganError(
            f"{str(path)!r} exists and is not a Zarr store; remove it or choose another --output"
        )


def write_zarr(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to the Zarr store ``path`` atomically (a temporary folder, then one rename).

    An existing store at ``path`` is replaced; anything else there is an error.
    """
    _require_zarr()
    path = Path(path)
    _check_target(path)
    with atomic_path(path, directory=True) as tmp:
        ds.to_zarr(tmp, mode="w", **_WRITE_OPTIONS)
    return path


def write_zarr_chunks(
    chunks: Iterator[tuple[slice, slice, np.ndarray]],
    layout: xr.Dataset,
    path: str | os.PathLike,
) -> Path:
    """Write the dataset ``layout`` describes to a Zarr store, its data filled chunk by chunk.

    The Zarr twin of :func:`stgan.sampling.write_streamed`: ``chunks`` yields ``(samples, steps,
    values)`` with ``values`` (n, C, t, H, W) for ``[samples, :, steps]`` (channel c is the c-th
    data variable, whose dimensions are (sample, time, y, x)). The store's chunks are the first
    piece's (n, t, H, W), so every later piece fills whole chunks and nothing is read back.
    Only ``layout``'s metadata and coordinates are written from it, never its data.
    """
    import dask.array

    _require_zarr()
    path = Path(path)
    _check_target(path)
    names = sample_fields(layout)
    first_samples, first_steps, first_values = next(chunks)
    sample_dim, time_dim = layout[names[0]].dims[:2]
    shape = layout[names[0]].shape
    sizes = (first_values.shape[0], first_values.shape[2], *shape[2:])  # one piece per chunk
    lazy = layout.copy()
    for name in names:  # lazy NaN placeholders: to_zarr(compute=False) writes their metadata only
        lazy[name] = layout[name].copy(
            data=dask.array.full(shape, np.nan, dtype=np.float32, chunks=sizes)
        )
    with atomic_path(path, directory=True) as tmp:
        lazy.to_zarr(tmp, mode="w", compute=False, **_WRITE_OPTIONS)
        for samples, steps, values in itertools.chain(
            [(first_samples, first_steps, first_values)], chunks
        ):
            piece = xr.Dataset(
                {name: (layout[name].dims, values[:, c]) for c, name in enumerate(names)}
            )
            piece.to_zarr(tmp, region={sample_dim: samples, time_dim: steps})
    return path
