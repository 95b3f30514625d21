"""The metrics on named dimensions: ``xr.DataArray`` in, ``xr.DataArray`` out.

Each function here is the DataArray form of the public metric of the same name (which
dispatches to it when given a DataArray): the computation is the NumPy path's, applied with
:func:`xarray.apply_ufunc` over the *core* dimensions a metric reads (y and x for a spectrum;
time and the grid points for an ACF), so every other dimension (``member``, ``level``, ...)
is kept with its coordinates, and dask-backed arrays stay lazy and are computed chunk by
chunk along those other dimensions. Core dimensions default to the ones stgan's dimension
detection finds (CF attributes, then names; :func:`stgan.io.axes.role_candidates`); say them
with ``dims=`` / ``dim=`` when it cannot.

Results carry their coordinates: ``wavenumber`` (cycles per grid cell) for spectra, ``lag``
(time steps) for ACFs plus ``lag_time`` (a timedelta) when the time coordinate holds evenly
spaced dates, ``frequency`` (cycles per time step) for temporal spectra.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from stgan.errors import DataError, StganError
from stgan.io.axes import AXIS, role_candidates
from stgan.metrics import spectral as _spectral
from stgan.metrics import temporal as _temporal

_WHAT = {"time": "time", "y": "y (latitude or grid rows)", "x": "x (longitude or grid columns)"}


def _dim(da: xr.DataArray, role: str, given: str | None, func: str, keyword: str) -> str:
    """The dimension of ``da`` that plays ``role``: ``given`` if named, else the detected one."""
    dims = [str(d) for d in da.dims]
    if given is not None:
        if given not in dims:
            raise DataError(
                f"{func}: {keyword}={given!r} is not a dimension of the DataArray; it has {dims}"
            )
        return given
    candidates = role_candidates(da)
    found = candidates[role]
    if len(found) == 1:
        return found[0]
    # Suggest a dimension that is not recognisably spatial (a time-less field has none: then
    # the message names a placeholder rather than a grid axis).
    spatial = set(candidates["y"] + candidates["x"])
    others = [d for d in dims if d not in spatial] or ["TIME"]
    example = (
        f"{keyword}={others[0]!r}"
        if keyword == "dim"
        else f"{keyword}=({', '.join(map(repr, dims[-2:]))})"
    )
    problem = f"dimensions {found} could all be" if found else "no dimension is recognisably"
    raise DataError(
        f"{func}: {problem} {_WHAT[role]} in a DataArray with dimensions {dims}; name it "
        f"with {example} (or give its coordinate the CF attribute axis={AXIS[role]!r})"
    )


def _space_dims(da: xr.DataArray, dims: Sequence[str] | None, func: str) -> tuple[str, str]:
    """(y, x) dimension names of ``da``: ``dims`` if given, else detected."""
    if dims is not None:
        if isinstance(dims, str) or len(dims) != 2:
            raise StganError(f"{func}: dims must name two dimensions (y, x); got {dims!r}")
        return (_dim(da, "y", dims[0], func, "dims"), _dim(da, "x", dims[1], func, "dims"))
    return (_dim(da, "y", None, func, "dims"), _dim(da, "x", None, func, "dims"))


def _names(keep: str | Sequence[str], *arrays: xr.DataArray, func: str) -> list[str]:
    """``keep`` as a list, each name a dimension of every array."""
    names = [keep] if isinstance(keep, str) else list(keep)
    for da in arrays:
        missing = [d for d in names if d not in da.dims]
        if missing:
            raise StganError(
                f"{func}: keep names {missing}, not dimensions of a DataArray with "
                f"dimensions {list(map(str, da.dims))}"
            )
    return names


def _float_dtype(da: xr.DataArray) -> np.dtype:
    """The dtype the NumPy path returns: floats keep theirs, anything else is float64."""
    return da.dtype if da.dtype.kind == "f" else np.dtype(np.float64)


def _power_units(da: xr.DataArray) -> dict[str, str]:
    units = da.attrs.get("units")
    return {"units": f"({units})^2"} if units else {}


def _time_step(da: xr.DataArray, dim: str) -> Any | None:
    """The spacing of ``da``'s time coordinate as a timedelta when it holds evenly spaced
    dates (numpy or cftime), else None."""
    if dim not in da.coords or da.sizes[dim] < 2:
        return None
    values = da[dim].values
    if not (values.dtype.kind == "M" or hasattr(values.flat[0], "calendar")):
        return None
    steps = np.diff(values)
    if not all(s == steps[0] for s in steps[1:]):
        return None
    return np.timedelta64(steps[0]) if values.dtype.kind == "O" else steps[0]


def rapsd(
    da: xr.DataArray,
    *,
    dims: Sequence[str] | None = None,
    normalize: bool = False,
    wavenumbers: str = "index",
) -> xr.DataArray:
    """RAPSD of every (y, x) field of ``da``; see :func:`stgan.metrics.rapsd`.

    Returns dims (other dims..., ``wavenumber``): every dimension but y and x is kept with its
    coordinates; ``wavenumber`` is the bin frequency ``k / max(H, W)`` in cycles per grid cell.
    """
    y, x = _space_dims(da, dims, "rapsd")
    h, w = da.sizes[y], da.sizes[x]
    if not h or not w:
        raise StganError(f"rapsd needs non-empty fields; {y!r} and {x!r} have sizes {h}, {w}")
    freq = np.fft.fftfreq(max(h, w))[: _spectral._n_bins(h, w)]
    out = xr.apply_ufunc(
        _spectral.rapsd,
        da,
        input_core_dims=[[y, x]],
        output_core_dims=[["wavenumber"]],
        kwargs={"normalize": normalize, "wavenumbers": wavenumbers},
        dask="parallelized",
        keep_attrs=True,  # the coordinates' attributes; the data's are replaced
        output_dtypes=[_float_dtype(da)],
        dask_gufunc_kwargs={"output_sizes": {"wavenumber": freq.size}, "allow_rechunk": True},
    )
    wavenumber = xr.Variable(
        "wavenumber", freq, {"long_name": "spatial frequency", "units": "cycles per grid cell"}
    )
    attrs = {"long_name": "radially averaged power spectral density"}
    attrs |= {"units": "1"} if normalize else _power_units(da)
    return (
        out.assign_coords(wavenumber=wavenumber)
        .rename("rapsd")
        .drop_attrs(deep=False)
        .assign_attrs(attrs)
    )


def mean_rapsd(
    da: xr.DataArray,
    *,
    dims: Sequence[str] | None = None,
    keep: str | Sequence[str] = (),
    wavenumbers: str = "index",
) -> xr.DataArray:
    """:func:`rapsd` averaged (in linear power) over every dimension but y, x and ``keep``.

    Returns dims (``keep``..., ``wavenumber``); lazy for dask-backed input.
    """
    kept = _names(keep, da, func="mean_rapsd")
    spectra = rapsd(da, dims=dims, wavenumbers=wavenumbers)
    over = [d for d in spectra.dims if d != "wavenumber" and d not in kept]
    return spectra.mean(over, keep_attrs=True).rename("mean_rapsd")


def _paired(
    fn: Callable[[np.ndarray, np.ndarray], Any],
    a: xr.DataArray,
    b: xr.DataArray,
    dim: str,
    func: str,
) -> xr.DataArray:
    """``fn`` over the core dimension ``dim`` of two aligned, broadcast curves."""
    if not (isinstance(a, xr.DataArray) and isinstance(b, xr.DataArray)):
        raise StganError(f"{func}: give both curves as xr.DataArray, or both as arrays")
    for which, v in (("first", a), ("second", b)):
        if dim not in v.dims:
            raise StganError(
                f"{func}: the {which} DataArray has no {dim!r} dimension "
                f"(it has {list(map(str, v.dims))}); name the curve's with dim="
            )
    try:
        a, b = xr.broadcast(*xr.align(a, b, join="exact"))
    except ValueError as err:
        raise StganError(f"{func}: the two curves do not share their coordinates ({err})") from None
    return xr.apply_ufunc(
        lambda p, q: np.asarray(fn(p, q)),
        a,
        b,
        input_core_dims=[[dim], [dim]],
        dask="parallelized",
        keep_attrs=True,  # the coordinates' attributes; the data's are replaced
        output_dtypes=[np.float64],
        dask_gufunc_kwargs={"allow_rechunk": True},
    )


def log_spectral_distance(
    p_real: xr.DataArray, p_gen: xr.DataArray, *, dim: str = "wavenumber"
) -> xr.DataArray:
    """Log-spectral distance in dB over ``dim``; see :func:`stgan.metrics.log_spectral_distance`.

    Other dimensions (shared by both, exactly aligned) are kept.
    """
    fn = _spectral.log_spectral_distance
    out = _paired(fn, p_real, p_gen, dim, "log_spectral_distance")
    attrs = {"long_name": "log-spectral distance", "units": "dB"}
    return out.rename("log_spectral_distance").drop_attrs(deep=False).assign_attrs(attrs)


def temporal_acf(
    da: xr.DataArray,
    max_lag: int,
    *,
    dim: str | None = None,
    dims: Sequence[str] | None = None,
    adjusted: bool = False,
    weights: xr.DataArray | np.ndarray | None = None,
) -> xr.DataArray:
    """ACF at lags ``0 .. max_lag`` along ``dim``, averaged over the grid points ``dims``.

    ``dims`` defaults to the y and x dimensions ``da`` has (none: ``da`` is one series per
    index of the other dims); ``weights`` are over those points (a DataArray is matched by
    dimension name and broadcast). Returns dims (other dims..., ``lag``) with ``lag`` in time
    steps and, for evenly spaced dates, ``lag_time``. See :func:`stgan.metrics.temporal_acf`.
    """
    t = _dim(da, "time", dim, "temporal_acf", "dim")
    if dims is None:
        found = role_candidates(da)
        points = [found[r][0] for r in ("y", "x") if len(found[r]) == 1 and found[r][0] != t]
    else:
        points = [_dim(da, "y", d, "temporal_acf", "dims") for d in dims]
    n = da.sizes[t]
    if not 0 <= max_lag < n:
        raise StganError(
            f"max_lag={max_lag} must be at least 0 and smaller than the series length {t}={n}"
        )
    w = None
    if isinstance(weights, xr.DataArray):
        if set(weights.dims) - set(points) or any(
            weights.sizes[d] != da.sizes[d] for d in weights.dims
        ):
            raise StganError(
                f"temporal_acf: weights with dimensions {dict(weights.sizes)} do not "
                f"fit the grid points { ({p: da.sizes[p] for p in points}) }"
            )
        w = weights.expand_dims([p for p in points if p not in weights.dims]).transpose(*points)
        w = np.broadcast_to(w.values, [da.sizes[p] for p in points])
    elif weights is not None:
        w = weights
    out = xr.apply_ufunc(
        _temporal.temporal_acf,
        da,
        max_lag,
        input_core_dims=[[t, *points], []],
        output_core_dims=[["lag"]],
        kwargs={"dim": -1 - len(points), "adjusted": adjusted, "weights": w},
        dask="parallelized",
        keep_attrs=True,  # the coordinates' attributes; the data's are replaced
        output_dtypes=[_float_dtype(da)],
        dask_gufunc_kwargs={"output_sizes": {"lag": max_lag + 1}, "allow_rechunk": True},
    )
    lag = np.arange(max_lag + 1)
    coords: dict[str, Any] = {"lag": ("lag", lag, {"long_name": "lag", "units": "time steps"})}
    step = _time_step(da, t)
    if step is not None:
        coords["lag_time"] = ("lag", lag * step, {"long_name": "lag as a time span"})
    attrs = {"long_name": "temporal autocorrelation", "units": "1"}
    return out.assign_coords(coords).rename("acf").drop_attrs(deep=False).assign_attrs(attrs)


def acf_rmse(acf_real: xr.DataArray, acf_gen: xr.DataArray, *, dim: str = "lag") -> xr.DataArray:
    """RMS difference of two ACFs over lags 1 .. n along ``dim``; see
    :func:`stgan.metrics.acf_rmse`. Other dimensions (shared, exactly aligned) are kept."""
    out = _paired(_temporal.acf_rmse, acf_real, acf_gen, dim, "acf_rmse")
    attrs = {"long_name": "RMS difference of the ACFs over lags >= 1", "units": "1"}
    return out.rename("acf_rmse").drop_attrs(deep=False).assign_attrs(attrs)


def temporal_psd(
    da: xr.DataArray,
    *,
    dim: str | None = None,
    keep: str | Sequence[str] = (),
    nperseg: int | None = None,
) -> xr.DataArray:
    """Welch PSD along ``dim``, averaged over every series (all other dims but ``keep``).

    Series holding a missing value are left out, as in :func:`stgan.metrics.temporal_psd`
    (a mean over no series is NaN here, not an error: a lazy result cannot raise early).
    Returns dims (``keep``..., ``frequency``), ``frequency`` in cycles per time step.
    """
    t = _dim(da, "time", dim, "temporal_psd", "dim")
    kept = _names(keep, da, func="temporal_psd")
    n = da.sizes[t]
    nperseg = min(nperseg or 256, n)
    freq = np.fft.rfftfreq(nperseg)
    spectra = xr.apply_ufunc(
        _temporal.series_psd,
        da,
        input_core_dims=[[t]],
        output_core_dims=[["frequency"]],
        kwargs={"nperseg": nperseg},
        dask="parallelized",
        keep_attrs=True,  # the coordinates' attributes; the data's are replaced
        output_dtypes=[np.float64],
        dask_gufunc_kwargs={"output_sizes": {"frequency": freq.size}, "allow_rechunk": True},
    )
    out = spectra.mean([d for d in spectra.dims if d != "frequency" and d not in kept])
    frequency = xr.Variable(
        "frequency", freq, {"long_name": "temporal frequency", "units": "cycles per time step"}
    )
    attrs = {"long_name": "Welch power spectral density along time"}
    if "units" in da.attrs:
        attrs["units"] = f"({da.attrs['units']})^2 per cycle per time step"
    return (
        out.assign_coords(frequency=frequency)
        .rename("psd")
        .drop_attrs(deep=False)
        .assign_attrs(attrs)
    )
