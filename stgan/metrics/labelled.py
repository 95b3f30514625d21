"""The metrics on xarray objects: labelled arrays in, labelled results out.

A DataArray's time, y and x dimensions are found as everywhere in stgan (CF attributes, then
common names); every other dimension (``sample``, ``member``, ...) is a batch dimension. When
y is a true latitude, averages over grid points are area-weighted by cos(latitude) (set
``area_weighted=False`` to count every cell alike); spectra are never weighted (the FFT needs
a uniform grid).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from stgan.data.windows import complete_windows
from stgan.io.axes import array_axes
from stgan.metrics import registry
from stgan.metrics import spectral as _spectral
from stgan.metrics import temporal as _temporal
from stgan.metrics.base import VALUE
from stgan.metrics.weights import area_weights, is_latitude


def _roles(da: xr.DataArray) -> tuple[list[str], str, str, str]:
    """(batch dims, time, y, x) of ``da``."""
    axes = array_axes(da)
    batch = [str(d) for d in da.dims if d not in axes.values()]
    return batch, axes["time"], axes["y"], axes["x"]


def _weights(da: xr.DataArray, y: str, x: str, area_weighted: bool) -> np.ndarray | None:
    lat = da.coords.get(y)
    if not area_weighted or not is_latitude(lat, y):
        return None
    return area_weights(lat.values, da.sizes[x])


def rapsd(da: xr.DataArray, *, wavenumbers: str = "index") -> xr.DataArray:
    """RAPSD of every frame: dims (batch..., time, ``wavenumber``), coordinate ``freq`` in
    cycles per grid cell. See :func:`stgan.metrics.rapsd`."""
    batch, t, y, x = _roles(da)
    values = da.transpose(*batch, t, y, x).values
    spectrum, freq = _spectral.rapsd(values, return_freq=True, wavenumbers=wavenumbers)
    coords = {d: da.coords[d] for d in (*batch, t) if d in da.coords}
    out = xr.DataArray(spectrum, dims=(*batch, t, "wavenumber"), coords=coords, name="rapsd")
    return out.assign_coords(freq=("wavenumber", freq)).assign_attrs(
        long_name="radially averaged power spectral density",
        units=f"({da.attrs.get('units', '1')})^2",
    )


def temporal_acf(da: xr.DataArray, nlags: int, *, area_weighted: bool = True) -> xr.DataArray:
    """ACF per grid point averaged over the grid (cos-lat weighted on latitude grids):
    dims (batch..., ``lag``). See :func:`stgan.metrics.temporal_acf`."""
    batch, t, y, x = _roles(da)
    values = da.transpose(*batch, t, y, x).values
    acf = _temporal.temporal_acf(values, nlags, weights=_weights(da, y, x, area_weighted))
    coords = {d: da.coords[d] for d in batch if d in da.coords}
    return xr.DataArray(
        acf,
        dims=(*batch, "lag"),
        coords={**coords, "lag": np.arange(nlags + 1)},
        name="acf",
        attrs={"long_name": "temporal autocorrelation", "units": "1"},
    )


def _windows(da: xr.DataArray, length: int | None) -> np.ndarray:
    """(N, T, H, W) from ``da``: batch dims stacked; a single long series cut into windows."""
    batch, t, y, x = _roles(da)
    values = da.transpose(*batch, t, y, x).values.astype(np.float64)
    if not batch and length is not None and values.shape[0] != length:
        return complete_windows(values, (length, *values.shape[-2:]))
    return values.reshape(-1, *values.shape[-3:])


def compare(
    real: xr.DataArray,
    generated: xr.DataArray,
    *,
    metrics: list[str] | None = None,
    max_lag: int = 10,
    wavenumbers: str = "index",
    area_weighted: bool = True,
    train: xr.DataArray | None = None,
) -> xr.Dataset:
    """The registry's metrics of ``generated`` against ``real`` as a Dataset of scalars.

    Batch dimensions of either array are samples; a ``real`` array with no batch dimension
    and a longer time axis is cut into non-overlapping windows of the generated length. Each
    variable of the result carries its unit (``units``); curves (spectra, ACFs) are left
    out: use :func:`rapsd` and :func:`temporal_acf` for those.
    """
    gen = _windows(generated, None)
    ref = _windows(real, gen.shape[1])
    _, _, y, x = _roles(real)
    weights = _weights(real, y, x, area_weighted)
    result = registry.compare(
        ref,
        gen,
        metrics=metrics,
        max_lag=max_lag,
        wavenumbers=wavenumbers,
        weights=weights,
        train=None if train is None else _windows(train, gen.shape[1]),
        attrs=dict(real.attrs),
    )
    scalars: dict[str, Any] = {k: v for k, v in result.items() if not isinstance(v, list)}
    units = str(real.attrs.get("units", "1"))
    unit_of = registry.metric_units(metrics)
    return xr.Dataset(
        {
            k: xr.DataArray(
                np.nan if v is None else v,
                attrs={"units": unit_of[k].replace(VALUE, units)},
            )
            for k, v in scalars.items()
        },
        attrs={
            "area_weighting": "cos(lat)" if weights is not None else "none",
            "n_real": len(ref),
            "n_generated": len(gen),
        },
    )
