"""An evaluation's metrics (the metrics.json content) as one labelled ``xr.Dataset``.

Layout: a ``variable`` dimension (the fields compared, in metrics.json order) and one data
variable per metric scalar (``w1``, ``rapsd_lsd_db``, ...), NaN where metrics.json has
``null`` or a variable lacks the key. The curves are data variables over their own dimension:
``rapsd_real`` / ``rapsd_generated`` over ``wavenumber`` (cycles per grid cell),
``acf_*`` over ``lag`` (time steps), ``tpsd_*`` over ``frequency`` (cycles per time step),
``mode_counts_*`` over ``mode``, ``seasonal_cycle_*`` over ``month`` (1 … 12),
``rapsd_lsd_db_octaves`` over ``octave`` (its lower wavenumber bin). With two or more fields,
``cross_channel_correlation_error`` is a scalar without dimensions.

Each data variable's attrs hold ``units`` and ``metric`` (its registry key) and, from that
metric's entry in :mod:`stgan.metrics.entries`, ``description``; curves also carry a
``long_name``. A value-like unit (``"units of the variable"``) is replaced by the fields'
unit when they share one; otherwise it stays, and the coordinate ``variable_units`` along
``variable`` gives each field's unit. The other metrics.json facts (``comparison``, ``window``,
``n_real_windows``, ...) are the Dataset's attrs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from stgan.metrics.base import VALUE
from stgan.metrics.registry import METRICS

# curve prefix → (dimension, metrics.json key of its coordinate values (None: 0, 1, ...),
# unit of the coordinate, registry key, long name, unit of the curve)
_CURVES = {
    "rapsd": (
        "wavenumber",
        "rapsd_freq",
        "cycles per grid cell",
        "spectrum",
        "mean radially averaged power spectral density",
        f"({VALUE})^2",
    ),
    "acf": ("lag", None, "time steps", "acf", "temporal autocorrelation", "1"),
    "tpsd": (
        "frequency",
        "tpsd_freq",
        "cycles per time step",
        "tpsd",
        "Welch temporal power spectral density",
        f"({VALUE})^2 / (cycles per time step)",
    ),
    "mode_counts": ("mode", None, "1", "waves", "high-quality windows per wave mode", "count"),
    "seasonal_cycle": (
        "month",
        list(range(1, 13)),
        "calendar month",
        "seasonal_cycle",
        "domain-mean monthly mean (area-weighted)",
        VALUE,
    ),
    # an exact key: one value per octave, on the octave's lower edge (its upper edge is the
    # next one's lower edge; the last octave ends at the Nyquist bin, rapsd_octave_edges[-1])
    "rapsd_lsd_db_octaves": (
        "octave",
        "rapsd_octave_edges",
        "wavenumber bin k (k / max(H, W) cycles per grid cell)",
        "octaves",
        "log-spectral distance of the mean RAPSD per octave of wavenumber",
        "dB",
    ),
}
_CROSS_CHANNEL = (
    "RMS difference of the off-diagonal correlation matrices of the variables' pooled "
    "values, generated vs real"
)
# metrics.json keys that are coordinates of curves, not data variables
_COORD_KEYS = {"units", *(c[1] for c in _CURVES.values() if isinstance(c[1], str))}


def _owners() -> dict[str, str]:
    """Scalar key → the registry key of the metric that returns it."""
    return {scalar: key for key in METRICS.keys() for scalar in METRICS.get(key).units}


def _curve(key: str) -> tuple[str, str | list | None, str, str, str, str]:
    """How to label the curve ``key`` (``PREFIX_real`` or ``PREFIX_generated``, or a key of
    its own); a curve of a metric this table does not know yet gets a plain index dimension
    ``PREFIX_index``."""
    prefix = key.rsplit("_", 1)[0]
    default = (f"{prefix}_index", None, "1", "", prefix, "1")
    return _CURVES.get(key) or _CURVES.get(prefix, default)


def metrics_dataset(result: dict[str, Any]) -> xr.Dataset:
    """The metrics.json content ``result`` as an ``xr.Dataset`` (layout: this module's doc)."""
    per_var = result["variables"]
    names = list(per_var)
    field_units = [str(per_var[n]["units"]) for n in names]
    shared = field_units[0] if len(set(field_units)) == 1 else None
    owners = _owners()
    keys = [
        k for k in dict.fromkeys(k for m in per_var.values() for k in m) if k not in _COORD_KEYS
    ]
    data_vars: dict[str, xr.DataArray] = {}
    coords: dict[str, Any] = {"variable": names, "variable_units": ("variable", field_units)}
    for key in keys:
        present = [per_var[n].get(key) for n in names]
        curve = any(isinstance(v, list) for v in present)
        if curve:
            dim, coord_key, coord_units, metric, long_name, units = _curve(key)
            length = max(len(v) for v in present if isinstance(v, list))
            values = np.full((len(names), length), np.nan)
            for i, v in enumerate(present):
                if isinstance(v, list):
                    values[i] = np.asarray(v, dtype=np.float64)
            if dim not in coords:  # every field has the same window, so the same axis
                if coord_key is None:
                    axis = np.arange(length)
                elif isinstance(coord_key, str):  # edges have one value more: the lower ones
                    axis = per_var[names[0]][coord_key][:length]
                else:
                    axis = coord_key
                coords[dim] = (dim, np.asarray(axis), {"units": coord_units})
            dims: tuple[str, ...] = ("variable", dim)
            attrs = {"long_name": long_name, "units": result["units"].get(key, units)}
        else:
            metric = owners.get(key, "")
            values = np.array([np.nan if v is None else float(v) for v in present])
            dims, attrs = ("variable",), {"units": result["units"].get(key, "1")}
        if shared is not None:
            attrs["units"] = attrs["units"].replace(VALUE, shared)
        description = METRICS.get(metric).description if metric else ""
        data_vars[key] = xr.DataArray(
            values, dims=dims, attrs={**attrs, "metric": metric, "description": description}
        )
    if "cross_channel_correlation_error" in result:
        data_vars["cross_channel_correlation_error"] = xr.DataArray(
            float(result["cross_channel_correlation_error"]),
            attrs={"units": "1", "description": _CROSS_CHANNEL},
        )
    facts = {
        k: v
        for k, v in result.items()
        if k not in ("variables", "units", "cross_channel_correlation_error")
    }
    # netCDF attrs cannot hold None: an absent fact (no split, no training data) is ""
    return xr.Dataset(
        data_vars, coords=coords, attrs={k: "" if v is None else v for k, v in facts.items()}
    )
