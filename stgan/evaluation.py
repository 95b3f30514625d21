"""`stgan evaluate`: generated windows vs real windows of the same size → metrics + report.

The real data are cut into non-overlapping windows of the generated ``(T, H, W)``; both sets
are processed identically, in physical units. Cells missing at every real step (a static
mask) are left out: they are NaN in both sets, filled with each frame's mean for spectra,
skipped by the ACF and the distributions. Real windows with other missing cells are dropped.

metrics.json schema (``"schema": "stgan-metrics/1"``), per variable:

=================  ======================================================  ==================
key                meaning                                                 unit
=================  ======================================================  ==================
rapsd_lsd_db       log-spectral distance between the mean RAPSD of real     dB
                   and generated frames, over wavenumber bins k ≥ 1 (bin
                   0 is the window mean, not a spatial scale)
acf_rmse           RMSE over lags 1..max_lag of the temporal ACF (per       unitless
                   grid point, averaged over points and windows)
w1                 Wasserstein-1 distance of the pooled values              the variable's
ks                 Kolmogorov–Smirnov statistic of the pooled values        unitless
q01 … q99.9        generated − real quantile (1, 50, 99, 99.9 %), signed    the variable's
spectral_slope_*   log-log RAPSD slope over bins 2 … n−2 (real, generated)  unitless
integral_*         Σ ACF up to its first zero crossing (real, generated)    time steps
efolding_*         lag where the ACF falls below 1/e (real, generated)      time steps
diversity_ratio    mean pairwise distance generated ÷ real; ≈1 is as        unitless
                   diverse as the data, ≈0 is mode collapse
modes_covered_*    waves data only: modes with enough high-quality windows  count
high_quality_*     waves data only: share of windows fitting one mode well  unitless
=================  ======================================================  ==================

plus the curves behind them (``rapsd_freq``, ``rapsd_real``, ``rapsd_generated``,
``acf_real``, ``acf_generated``) so that plots can be redrawn without the data.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from stgan.data.windows import strided_windows
from stgan.errors import StganError
from stgan.io.atomic import write_text
from stgan.io.netcdf import dimension_roles, open_dataset
from stgan.io.source import GridSource
from stgan.metrics import (
    acf_rmse,
    efolding_time,
    integral_timescale,
    ks_statistic,
    log_spectral_distance,
    mean_rapsd,
    pairwise_distance_ratio,
    quantile_errors,
    spectral_slope,
    temporal_acf,
    wasserstein1,
)
from stgan.report.figures import plot_acf, plot_frames, plot_histogram, plot_rapsd, plot_timeseries
from stgan.report.html import render

SCHEMA = "stgan-metrics/1"
UNITS = {"rapsd_lsd_db": "dB", "acf_rmse": "1", "w1": "units of the variable", "ks": "1",
         "q01": "units of the variable", "q50": "units of the variable",
         "q99": "units of the variable", "q99.9": "units of the variable",
         "spectral_slope_real": "1", "spectral_slope_generated": "1",
         "integral_real": "time steps", "integral_generated": "time steps",
         "efolding_real": "time steps", "efolding_generated": "time steps",
         "diversity_ratio": "1", "modes_covered_real": "count", "modes_covered_generated": "count",
         "high_quality_fraction_real": "1", "high_quality_fraction_generated": "1"}


def _generated_array(ds: xr.Dataset, name: str) -> np.ndarray:
    da = ds[name]
    if "sample" not in da.dims:
        raise StganError(
            f"generated variable {name!r} has no 'sample' dimension (dims {list(da.dims)}); "
            "pass a file written by stgan generate"
        )
    roles = dimension_roles(ds, da.isel(sample=0))
    return da.transpose("sample", roles["time"], roles["y"], roles["x"]).values.astype(np.float64)


def _fill_frames(x: np.ndarray) -> np.ndarray:
    """NaN cells → the mean of the frame's valid cells (spectra need complete fields)."""
    means = np.nanmean(x, axis=(-2, -1), keepdims=True)
    return np.where(np.isnan(x), means, x)


def real_windows(values: np.ndarray, window: tuple[int, int, int]) -> np.ndarray:
    """Complete (N, T, H, W) windows of (T_all, H_all, W_all) real values; static mask as NaN."""
    static = np.isnan(values).all(axis=0)
    windows = strided_windows(values, window)
    tiles = strided_windows(np.broadcast_to(static, values.shape), window)
    complete = (np.isfinite(windows) | tiles).all(axis=(1, 2, 3))
    return windows[complete]


def _none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else value  # JSON has no NaN


def waves_coverage(attrs: dict[str, Any], real: np.ndarray, generated: np.ndarray) -> dict[str, Any]:
    """Mode coverage and high-quality fraction of both sets, for data made by ``make-data waves``.

    Recognised by the variable's ``modes``, ``wavelength`` and ``period`` attributes (which
    generated files inherit); other data give an empty dict.
    """
    if not {"modes", "wavelength", "period"} <= set(attrs):
        return {}
    from stgan.data.waves import label_windows, mode_coverage

    options = {"modes": int(attrs["modes"]), "wavelength": float(attrs["wavelength"]),
               "period": float(attrs["period"])}
    out = {}
    for label, x in (("real", real), ("generated", generated)):
        labels, quality = label_windows(np.nan_to_num(x), **options)
        coverage = mode_coverage(labels, quality, modes=options["modes"])
        out[f"modes_covered_{label}"] = int(coverage["modes_covered"])
        out[f"high_quality_fraction_{label}"] = float(coverage["high_quality_fraction"])
    return out


def compare(real: np.ndarray, generated: np.ndarray, *, max_lag: int) -> dict[str, Any]:
    """Metrics of generated (N, T, H, W) against real (M, T, H, W) windows of one variable."""
    p_real, freq = mean_rapsd(_fill_frames(real))
    p_gen, _ = mean_rapsd(_fill_frames(generated))
    nlags = min(max_lag, real.shape[1] - 1)
    acf_real = np.nanmean(temporal_acf(real, nlags), axis=0)
    acf_gen = np.nanmean(temporal_acf(generated, nlags), axis=0)
    can_fit_slope = p_real.size >= 5
    return {
        "rapsd_lsd_db": float(log_spectral_distance(p_real[1:], p_gen[1:])),
        "acf_rmse": float(acf_rmse(acf_real, acf_gen)),
        "w1": float(wasserstein1(real, generated)),
        "ks": ks_statistic(real, generated),
        **quantile_errors(real, generated),
        "spectral_slope_real": spectral_slope(p_real, freq) if can_fit_slope else None,
        "spectral_slope_generated": spectral_slope(p_gen, freq) if can_fit_slope else None,
        "integral_real": integral_timescale(acf_real),
        "integral_generated": integral_timescale(acf_gen),
        "efolding_real": _none_if_nan(efolding_time(acf_real)),
        "efolding_generated": _none_if_nan(efolding_time(acf_gen)),
        "diversity_ratio": pairwise_distance_ratio(generated, real) if len(generated) > 1 else None,
        "rapsd_freq": freq.tolist(),
        "rapsd_real": p_real.tolist(),
        "rapsd_generated": p_gen.tolist(),
        "acf_real": acf_real.tolist(),
        "acf_generated": acf_gen.tolist(),
    }


def _markdown(result: dict[str, Any], figures: dict[str, str]) -> str:
    t, h, w = result["window"]
    lines = [
        "# stgan evaluation report",
        "",
        f"- real data: `{result['real']}` — {result['n_real_windows']} windows",
        f"- generated: `{result['generated']}` — {result['n_generated']} samples",
        f"- window: {t} time steps × {h} × {w} grid points",
        "",
        "| variable | log-spectral distance (dB) | ACF RMSE | W1 | KS | 99.9 % quantile error | diversity ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in result["variables"].items():
        diversity = "–" if m["diversity_ratio"] is None else f"{m['diversity_ratio']:.3f}"
        lines.append(f"| {name} | {m['rapsd_lsd_db']:.3f} | {m['acf_rmse']:.4f} | "
                     f"{m['w1']:.4g} {m['units']} | {m['ks']:.3f} | {m['q99.9']:+.4g} {m['units']} | "
                     f"{diversity} |")
    lines += ["", "Lower is better for the distances; the quantile error is signed (negative: "
              "extremes too weak); a diversity ratio near 1 matches the data's, near 0 is mode "
              "collapse. Definitions: `stgan/evaluation.py`.", ""]
    for name, pngs in figures.items():
        lines += [f"## {name}", ""] + [f"![{p.stem}]({p.name})" for p in pngs] + [""]
    return "\n".join(lines)


def evaluate(
    real_path: str | os.PathLike, generated_path: str | os.PathLike, output_dir: str | os.PathLike,
    *, variables: list[str] | None = None, max_lag: int = 10,
) -> dict[str, Any]:
    """Compare a generated file with real data; write metrics.json, report.md, report.html
    (self-contained) and PNG plots."""
    if max_lag < 1:
        raise StganError(f"--max-lag must be at least 1, got {max_lag}")
    gen_ds = open_dataset(generated_path)
    if variables:
        missing = [v for v in variables if v not in gen_ds.data_vars]
        if missing:
            raise StganError(f"variable(s) {missing} not in the generated file; present: "
                             f"{', '.join(map(str, gen_ds.data_vars))}")
    real = GridSource(real_path, variables or [str(v) for v in gen_ds.data_vars])
    names = real.variables
    real_values = real.read(0, real.sizes["time"]).astype(np.float64)  # (C, T_all, H, W)
    out = Path(output_dir)
    result: dict[str, Any] = {
        "schema": SCHEMA, "units": UNITS,
        "real": str(real_path), "generated": str(generated_path), "variables": {},
    }
    figures = {}
    for c, name in enumerate(names):
        gen = _generated_array(gen_ds, name)
        window = gen.shape[1:]
        if gen.shape[1] < 2:
            raise StganError(f"generated windows of {name!r} have one time step; ACF needs two")
        windows = real_windows(real_values[c], window)
        if len(windows) == 0:
            raise StganError(
                f"the real data of {name!r} (shape {real_values[c].shape}) give no complete "
                f"window of the generated size {window}; pass a larger real file"
            )
        metrics = {"units": str(real.var_attrs[name].get("units", "1")),
                   **compare(windows, gen, max_lag=max_lag),
                   **waves_coverage(real.var_attrs[name], windows, gen)}
        result["variables"][name] = metrics
        units = metrics["units"]
        figures[name] = [
            plot_rapsd(np.asarray(metrics["rapsd_freq"]), np.asarray(metrics["rapsd_real"]),
                       np.asarray(metrics["rapsd_generated"]), title=f"{name}: RAPSD",
                       path=out / f"rapsd_{name}.png"),
            plot_acf(np.asarray(metrics["acf_real"]), np.asarray(metrics["acf_generated"]),
                     title=f"{name}: temporal ACF", path=out / f"acf_{name}.png"),
            plot_histogram(windows, gen, units=units, title=f"{name}: values",
                           path=out / f"hist_{name}.png"),
            plot_frames(windows, gen, units=units, title=f"{name}: first frames",
                        path=out / f"frames_{name}.png"),
            plot_timeseries(windows, gen, units=units, title=f"{name}: time series at the centre",
                            path=out / f"series_{name}.png"),
        ]
        result.update(window=list(window), n_real_windows=len(windows), n_generated=len(gen))
    gen_ds.close()
    metrics_path = write_text(out / "metrics.json", json.dumps(result, indent=2) + "\n")
    report_path = write_text(out / "report.md", _markdown(result, figures))
    html_path = write_text(out / "report.html", render(result, figures))
    return {"metrics": result, "metrics_path": metrics_path, "report_path": report_path,
            "html_path": html_path}
