"""Static covariates from files (``data.static: [path.nc:variable]``), checked against the grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from stgan.errors import DataError, StganError


def _split(entry: str) -> tuple[Path, str]:
    path, sep, name = str(entry).rpartition(":")
    if not sep or not path or not name:
        raise StganError(
            f"data.static entry {entry!r} is not 'path.nc:variable'; e.g. --data.static topo.nc:z"
        )
    return Path(path), name


def _field(entry: str, source) -> np.ndarray:
    """One covariate as (H, W) float64 on the data's grid, or a clear error."""
    path, name = _split(entry)
    if not path.exists():
        raise DataError(f"data.static file {str(path)!r} does not exist ({entry!r})")
    try:
        ds = xr.open_dataset(path)
    except Exception as err:  # netCDF4/h5py raise many kinds for a corrupt file
        raise DataError(f"data.static file {str(path)!r} cannot be read as NetCDF: {err}") from None
    with ds:
        if name not in ds.data_vars:
            raise DataError(
                f"data.static file {str(path)!r} has no variable {name!r}; it has "
                f"{', '.join(map(str, ds.data_vars)) or 'none'}"
            )
        da = ds[name].squeeze(drop=True)
        ydim, xdim = source.dims["y"], source.dims["x"]
        grid = (source.sizes["y"], source.sizes["x"])
        dims = (ydim, xdim) if {ydim, xdim} <= set(da.dims) else da.dims
        if da.ndim != 2 or tuple(da.sizes[d] for d in dims) != grid:
            shape = "×".join(str(n) for n in da.shape)
            raise StganError(
                f"static covariate {entry!r} is on a {shape} grid ({', '.join(map(str, da.dims))}), "
                f"the data's is {grid[0]}×{grid[1]} ({ydim}, {xdim}); regrid it to the data's "
                f"grid first (e.g. cdo remapbil or xESMF)"
            )
        for d, role in zip(dims, ("y", "x")):
            mine = da[d].values if d in da.coords else None
            theirs = source.coords[role].values
            if mine is not None and not np.allclose(
                np.asarray(mine, float), np.asarray(theirs, float), atol=1e-6 * (1 + np.ptp(theirs))
            ):
                raise StganError(
                    f"static covariate {entry!r}: its {d} coordinates are not the data's "
                    f"{source.dims[role]} ({mine[0]}…{mine[-1]} vs {theirs[0]}…{theirs[-1]}); "
                    f"regrid it to the data's grid first"
                )
        return da.transpose(*dims).values.astype(np.float64)


def read_static(entries: list[str], source) -> np.ndarray:
    """The ``data.static`` fields, standardised, as (S, H, W) float32 (NaN cells at 0).

    Parameters
    ----------
    entries : list of str
        ``path.nc:variable`` each; the variable must be 2-D on the data's grid (same sizes
        and, where the file has them, the same coordinate values).
    source : GridSource
        The training data.
    """
    fields = []
    for entry in entries:
        f = _field(entry, source)
        finite = np.isfinite(f)
        if not finite.any():
            raise DataError(f"static covariate {entry!r} has no finite value")
        std = f[finite].std() or 1.0
        fields.append(np.where(finite, (f - f[finite].mean()) / std, 0.0))
    h, w = source.sizes["y"], source.sizes["x"]
    return np.stack(fields).astype(np.float32) if fields else np.zeros((0, h, w), np.float32)
