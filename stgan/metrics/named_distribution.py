"""Distribution distances on named dimensions: two DataArrays in, a DataArray out.

The DataArray forms of :func:`stgan.metrics.wasserstein1` and
:func:`stgan.metrics.ks_statistic` (which dispatch here): the values of each array are pooled
over every dimension except those named in ``keep``, which both arrays must share (exactly
aligned) and which the result keeps with their coordinates. The pooled dimensions may differ
in size and coordinates between the two arrays (five real members, eight generated ones).
Weights are DataArrays matched to their array by dimension name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.metrics.named import _names

Score = Callable[..., float]


def _pooled_input(v: xr.DataArray, kept: list[str], tag: str) -> tuple[xr.DataArray, list[str]]:
    """``v`` with its pooled dimensions renamed apart (``tag`` prefix) and their coordinates
    dropped, so that the two arrays are never aligned along them; and those new names."""
    pooled = [str(d) for d in v.dims if d not in kept]
    coords = [c for c in v.coords if set(v[c].dims) & set(pooled)]
    renamed = {d: f"_{tag}_{d}" for d in pooled}
    return v.drop_vars(coords).rename(renamed), list(renamed.values())


def _weights_like(w: xr.DataArray | None, v: xr.DataArray, name: str) -> xr.DataArray | None:
    """Weights broadcast to ``v``'s dimensions and order (matched by name, not coordinate)."""
    if w is None:
        return None
    if not isinstance(w, xr.DataArray) or set(w.dims) - set(v.dims):
        raise StganError(
            f"{name} must be a DataArray over dimensions of its data {list(map(str, v.dims))}"
        )
    if any(w.sizes[d] != v.sizes[d] for d in w.dims):
        raise StganError(f"{name} sizes {dict(w.sizes)} do not match the data's {dict(v.sizes)}")
    w = w.drop_vars(list(w.coords))
    return w.expand_dims({d: v.sizes[d] for d in v.dims if d not in w.dims}).transpose(*v.dims)


def _pooled_score(
    fn: Score,
    a: xr.DataArray,
    b: xr.DataArray,
    keep: str | Sequence[str],
    a_weights: xr.DataArray | None,
    b_weights: xr.DataArray | None,
    func: str,
    attrs: dict[str, str],
) -> xr.DataArray:
    """``fn(a_values, b_values, a_weights=..., b_weights=...)`` per index of the kept dims,
    named ``func``, with ``attrs``."""
    if not (isinstance(a, xr.DataArray) and isinstance(b, xr.DataArray)):
        raise StganError(f"{func}: give both samples as xr.DataArray, or both as arrays")
    kept = _names(keep, a, b, func=func)
    differ = [
        d
        for d in kept
        if a.sizes[d] != b.sizes[d]
        or (d in a.indexes and d in b.indexes and not a.indexes[d].equals(b.indexes[d]))
    ]
    if differ:
        raise StganError(f"{func}: the kept dimensions {differ} differ between the two arrays")
    args, cores = [], []
    for tag, v, w in (("a", a, a_weights), ("b", b, b_weights)):
        for x in (v, _weights_like(w, v, f"{tag}_weights")):
            if x is not None:
                x, core = _pooled_input(x, kept, tag)
                args.append(x)
                cores.append(core)
    has_aw, has_bw = a_weights is not None, b_weights is not None

    def per_index(*blocks: np.ndarray) -> np.ndarray:
        # Each block is (kept..., pooled...); the kept axes come first and agree in size.
        out = np.empty(blocks[0].shape[: len(kept)])
        for index in np.ndindex(out.shape):
            parts = iter(block[index] for block in blocks)
            x_a = next(parts)
            w_a = next(parts) if has_aw else None
            x_b = next(parts)
            w_b = next(parts) if has_bw else None
            out[index] = fn(x_a, x_b, a_weights=w_a, b_weights=w_b)
        return out

    out = xr.apply_ufunc(
        per_index,
        *args,
        input_core_dims=cores,
        dask="parallelized",
        keep_attrs=True,  # the coordinates' attributes; the data's are replaced
        output_dtypes=[np.float64],
        dask_gufunc_kwargs={"allow_rechunk": True},
    )
    return out.rename(func).drop_attrs(deep=False).assign_attrs(attrs)


def wasserstein1(
    a: xr.DataArray,
    b: xr.DataArray,
    *,
    keep: str | Sequence[str] = (),
    a_weights: xr.DataArray | None = None,
    b_weights: xr.DataArray | None = None,
) -> xr.DataArray:
    """Wasserstein-1 distance of the values pooled over all dims but ``keep``; in the units
    of the values. See :func:`stgan.metrics.wasserstein1`."""
    from stgan.metrics.distribution import wasserstein1 as score

    attrs = {"long_name": "Wasserstein-1 distance"}
    if isinstance(a, xr.DataArray) and "units" in a.attrs:
        attrs["units"] = a.attrs["units"]
    return _pooled_score(score, a, b, keep, a_weights, b_weights, "wasserstein1", attrs)


def ks_statistic(
    a: xr.DataArray,
    b: xr.DataArray,
    *,
    keep: str | Sequence[str] = (),
    a_weights: xr.DataArray | None = None,
    b_weights: xr.DataArray | None = None,
) -> xr.DataArray:
    """Two-sample KS statistic of the values pooled over all dims but ``keep``; unitless.
    See :func:`stgan.metrics.ks_statistic`."""
    from stgan.metrics.distribution import ks_statistic as score

    attrs = {"long_name": "two-sample Kolmogorov-Smirnov statistic", "units": "1"}
    return _pooled_score(score, a, b, keep, a_weights, b_weights, "ks_statistic", attrs)
