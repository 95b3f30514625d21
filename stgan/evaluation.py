"""`stgan evaluate`: generated windows vs real windows of the same size → metrics + report.

The real data are cut into non-overlapping windows of the generated ``(T, H, W)``; both sets
are processed identically, in physical units. Cells missing at every real step (a static
mask) are left out: they are NaN in both sets, filled with each frame's mean for spectra,
skipped by the ACF and the distributions. Real windows with other missing cells are dropped.

metrics.json schema (``"schema": "stgan-metrics/1"``), per variable (the entries of
:data:`stgan.metrics.registry.METRICS` chosen with ``--metrics``; default all):

============  ==========================  =====================================================
entry         keys                        meaning (unit)
============  ==========================  =====================================================
spectrum      rapsd_lsd_db                log-spectral distance of the mean RAPSD over bins
                                          k ≥ 1 (bin 0 is the window mean) (dB)
              spectral_slope_*            log-log RAPSD slope over bins 2 … n−2 (unitless)
acf           acf_rmse                    RMSE over lags 1..max_lag of the temporal ACF per grid
                                          point, averaged over points and windows (unitless)
              integral_*, efolding_*      Σ ACF to its first zero crossing; lag where it falls
                                          below 1/e (time steps)
tpsd          tpsd_lsd_db                 log-spectral distance of the Welch temporal PSD (dB)
distribution  w1, ks                      Wasserstein-1 (units of the variable) and KS
                                          (unitless) of the pooled values
              q01 … q99.9                 generated − real quantile, signed (units of the variable)
gridpoint     w1_gridpoint, ks_gridpoint  W1 / KS of each grid point's values, averaged
increments    w1_gradient, w1_tdiff       W1 of spatial-gradient magnitudes (per grid cell) and
                                          of temporal differences (per time step)
diversity     diversity_ratio             mean pairwise distance generated ÷ real; ≈1 as
                                          diverse as the data, ≈0 mode collapse (unitless)
              directions_*,               effective number of dominant propagation directions
              direction_ratio             (sectors) and generated ÷ real (unitless)
prdc          precision, recall,          Naeem et al. (2020) with k = 5 on summary features
              density, coverage           (unitless; None with ≤ 5 windows)
memorisation  memorisation_ratio,         nearest-training-neighbour distance of generated ÷
              copy_fraction, nn_*         held-out windows (only with ``--train``)
(waves data)  modes_covered_*,            modes with enough high-quality windows (count),
              high_quality_fraction_*,    share of windows fitting one mode well (unitless)
              mode_counts_*               and high-quality windows per mode (K counts)
============  ==========================  =====================================================

plus the curves behind them (``rapsd_freq``, ``rapsd_real``, ``rapsd_generated``,
``acf_real``, ``acf_generated``, ``tpsd_*``) so that plots can be redrawn without the data.
Top level: ``area_weighting`` ("cos(lat)" when the real data are on a latitude grid and the
windows span all its latitudes, else "none"), ``wavenumbers`` (RAPSD ring convention) and,
with two or more variables, ``cross_channel_correlation_error`` (unitless).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from stgan.data.windows import complete_windows
from stgan.errors import StganError
from stgan.io.atomic import write_text
from stgan.io.netcdf import dimension_roles, open_dataset
from stgan.io.source import GridSource
from stgan.io.stores import sample_fields
from stgan.metrics import cross_channel_correlation_error
from stgan.metrics.registry import UNITS, compare
from stgan.metrics.weights import area_weights, is_latitude
from stgan.report.figures import (
    plot_acf,
    plot_frames,
    plot_histogram,
    plot_rapsd,
    plot_timeseries,
    plot_tpsd,
)
from stgan.report.html import render

SCHEMA = "stgan-metrics/1"
UNITS = {
    **UNITS,
    "modes_covered_real": "count",
    "modes_covered_generated": "count",
    "high_quality_fraction_real": "1",
    "high_quality_fraction_generated": "1",
    "mode_counts_real": "count",
    "mode_counts_generated": "count",
    "cross_channel_correlation_error": "1",
}


def _generated_array(ds: xr.Dataset, name: str, dims: dict[str, str] | None = None) -> np.ndarray:
    da = ds[name]
    if "sample" not in da.dims:
        raise StganError(
            f"generated variable {name!r} has no 'sample' dimension (dims {list(da.dims)}); "
            "pass a file written by stgan generate"
        )
    roles = dimension_roles(ds, da.isel(sample=0), dims)
    return da.transpose("sample", roles["time"], roles["y"], roles["x"]).values.astype(np.float64)


def waves_coverage(
    attrs: dict[str, Any], real: np.ndarray, generated: np.ndarray
) -> dict[str, Any]:
    """Mode coverage and high-quality fraction of both sets, for data made by ``make-data waves``.

    Recognised by the variable's ``modes``, ``wavelength`` and ``period`` attributes (which
    generated files inherit); other data give an empty dict.
    """
    if not {"modes", "wavelength", "period"} <= set(attrs):
        return {}
    from stgan.data.waves import label_windows, mode_coverage

    options = {
        "modes": int(attrs["modes"]),
        "wavelength": float(attrs["wavelength"]),
        "period": float(attrs["period"]),
    }
    out = {}
    for label, x in (("real", real), ("generated", generated)):
        labels, quality = label_windows(np.nan_to_num(x), **options)
        coverage = mode_coverage(labels, quality, modes=options["modes"])
        out[f"modes_covered_{label}"] = int(coverage["modes_covered"])
        out[f"high_quality_fraction_{label}"] = float(coverage["high_quality_fraction"])
        out[f"mode_counts_{label}"] = coverage["counts"]  # high-quality windows per mode
    return out


# The markdown table: (heading, key, format); a column shows only when some variable has it.
_COLUMNS = [
    ("log-spectral distance (dB)", "rapsd_lsd_db", ".3f"),
    ("ACF RMSE", "acf_rmse", ".4f"),
    ("temporal PSD distance (dB)", "tpsd_lsd_db", ".3f"),
    ("W1", "w1", ".4g"),
    ("KS", "ks", ".3f"),
    ("99.9 % quantile error", "q99.9", "+.4g"),
    ("W1 per grid point", "w1_gridpoint", ".4g"),
    ("W1 of gradients", "w1_gradient", ".4g"),
    ("diversity ratio", "diversity_ratio", ".3f"),
    ("direction ratio", "direction_ratio", ".2f"),
    ("precision", "precision", ".2f"),
    ("recall", "recall", ".2f"),
    ("coverage", "coverage", ".2f"),
    ("memorisation ratio", "memorisation_ratio", ".2f"),
]


def _cell(m: dict[str, Any], key: str, fmt: str) -> str:
    value = m.get(key)
    return "–" if value is None else format(value, fmt)


def _markdown(result: dict[str, Any], figures: dict[str, list[Path]]) -> str:
    t, h, w = result["window"]
    columns = [c for c in _COLUMNS if any(c[1] in m for m in result["variables"].values())]
    lines = [
        "# stgan evaluation report",
        "",
        f"- real data: `{result['real']}` — {result['n_real_windows']} windows",
        f"- generated: `{result['generated']}` — {result['n_generated']} samples",
        f"- window: {t} time steps × {h} × {w} grid points; area weighting: "
        f"{result['area_weighting']}; RAPSD wavenumbers: {result['wavenumbers']}",
        "",
        "| variable | " + " | ".join(c[0] for c in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for name, m in result["variables"].items():
        cells = " | ".join(_cell(m, key, fmt) for _, key, fmt in columns)
        lines.append(f"| {name} ({m['units']}) | {cells} |")
    if "cross_channel_correlation_error" in result:
        lines += [
            "",
            f"Cross-channel correlation error: {result['cross_channel_correlation_error']:.4f}",
        ]
    lines += [
        "",
        "Lower is better for the distances; the quantile error is signed (negative: "
        "extremes too weak); a diversity ratio, precision, recall and coverage near 1 match "
        "the data, a diversity ratio near 0 is mode collapse, a direction ratio well below 1 "
        "a partial one (the samples travel fewer ways than the data's), a memorisation ratio well "
        "below 1 means copies of training data. Definitions: `stgan/evaluation.py`.",
        "",
    ]
    for name, pngs in figures.items():
        lines += [f"## {name}", ""] + [f"![{p.stem}]({p.name})" for p in pngs] + [""]
    return "\n".join(lines)


def _area_weights(real: GridSource, height: int, width: int) -> np.ndarray | None:
    """cos(lat) weights when the real grid is latitude-longitude and a window spans all of it."""
    ydim = real.dims["y"]
    lat = real.coords["y"]
    if not is_latitude(lat, ydim) or height != lat.size:
        return None
    return area_weights(lat.values, width)


def evaluate(
    real_path: str | os.PathLike,
    generated_path: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    variables: list[str] | None = None,
    max_lag: int = 10,
    metrics: list[str] | None = None,
    train_path: str | os.PathLike | None = None,
    wavenumbers: str = "index",
    dims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Compare a generated file with real data; write metrics.json, report.md, report.html
    (self-contained) and PNG plots.

    ``metrics`` picks registry entries (default: all); ``train_path`` (the training data)
    enables the memorisation test; ``wavenumbers`` is the RAPSD ring convention; ``dims`` says
    which dimension is which (in the real, training and generated data alike, which share
    their dimension names), where CF evidence does not.
    """
    from stgan.metrics.registry import METRICS

    if max_lag < 1:
        raise StganError(f"--max-lag must be at least 1, got {max_lag}")
    for key in metrics or []:
        METRICS.get(key)  # unknown keys fail before any work, listing the valid ones
    gen_ds = open_dataset(generated_path)
    if variables:
        missing = [v for v in variables if v not in gen_ds.data_vars]
        if missing:
            raise StganError(
                f"variable(s) {missing} not in the generated file; present: "
                f"{', '.join(map(str, gen_ds.data_vars))}"
            )
    real = GridSource(real_path, variables or sample_fields(gen_ds), dims=dims)
    names = real.variables
    real_values = real.read(0, real.sizes["time"]).astype(np.float64)  # (C, T_all, H, W)
    # The training data, read once, only for the memorisation test.
    train_values = None
    if train_path is not None and (metrics is None or "memorisation" in metrics):
        train_source = GridSource(train_path, names, dims=dims)
        train_values = train_source.read(0, train_source.sizes["time"]).astype(np.float64)
    out = Path(output_dir)
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "units": UNITS,
        "real": str(real_path),
        "generated": str(generated_path),
        "train": None if train_path is None else str(train_path),
        "wavenumbers": wavenumbers,
        "variables": {},
    }
    figures, all_real, all_gen = {}, [], []
    for c, name in enumerate(names):
        gen = _generated_array(gen_ds, name, dims)
        window = gen.shape[1:]
        if gen.shape[1] < 2:
            raise StganError(f"generated windows of {name!r} have one time step; ACF needs two")
        windows = complete_windows(real_values[c], window)
        if len(windows) == 0:
            raise StganError(
                f"the real data of {name!r} (shape {real_values[c].shape}) give no complete "
                f"window of the generated size {window}; pass a larger real file"
            )
        weights = _area_weights(real, window[1], window[2])
        train = None if train_values is None else complete_windows(train_values[c], window)
        metrics_c = {
            "units": str(real.var_attrs[name].get("units", "1")),
            **compare(
                windows,
                gen,
                metrics=metrics,
                max_lag=max_lag,
                weights=weights,
                wavenumbers=wavenumbers,
                train=train,
            ),
            **waves_coverage(real.var_attrs[name], windows, gen),
        }
        result["variables"][name] = metrics_c
        result.update(
            window=list(window),
            n_real_windows=len(windows),
            n_generated=len(gen),
            area_weighting="cos(lat)" if weights is not None else "none",
        )
        figures[name] = _figures(name, metrics_c, windows, gen, out)
        all_real.append(windows)
        all_gen.append(gen)
    gen_ds.close()
    if len(names) > 1:
        n_real = min(len(w) for w in all_real)
        result["cross_channel_correlation_error"] = cross_channel_correlation_error(
            np.stack([w[:n_real] for w in all_real], axis=1), np.stack(all_gen, axis=1)
        )
    metrics_path = write_text(out / "metrics.json", json.dumps(result, indent=2) + "\n")
    report_path = write_text(out / "report.md", _markdown(result, figures))
    html_path = write_text(out / "report.html", render(result, figures))
    return {
        "metrics": result,
        "metrics_path": metrics_path,
        "report_path": report_path,
        "html_path": html_path,
    }


def _figures(
    name: str, m: dict[str, Any], real: np.ndarray, gen: np.ndarray, out: Path
) -> list[Path]:
    """The report's PNGs for one variable: those whose metrics were computed, then the data's."""
    units, figs = m["units"], []
    if "rapsd_real" in m:
        figs.append(
            plot_rapsd(
                np.asarray(m["rapsd_freq"]),
                np.asarray(m["rapsd_real"]),
                np.asarray(m["rapsd_generated"]),
                title=f"{name}: RAPSD",
                path=out / f"rapsd_{name}.png",
            )
        )
    if "acf_real" in m:
        figs.append(
            plot_acf(
                np.asarray(m["acf_real"]),
                np.asarray(m["acf_generated"]),
                title=f"{name}: temporal ACF",
                path=out / f"acf_{name}.png",
            )
        )
    if "tpsd_real" in m:
        figs.append(
            plot_tpsd(
                np.asarray(m["tpsd_freq"]),
                np.asarray(m["tpsd_real"]),
                np.asarray(m["tpsd_generated"]),
                title=f"{name}: temporal PSD (Welch)",
                path=out / f"tpsd_{name}.png",
            )
        )
    figs += [
        plot_histogram(
            real, gen, units=units, title=f"{name}: values", path=out / f"hist_{name}.png"
        ),
        plot_frames(
            real, gen, units=units, title=f"{name}: first frames", path=out / f"frames_{name}.png"
        ),
        plot_timeseries(
            real,
            gen,
            units=units,
            title=f"{name}: time series at the centre",
            path=out / f"series_{name}.png",
        ),
    ]
    return figs
