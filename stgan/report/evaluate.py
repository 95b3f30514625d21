"""Generated windows vs real windows of the same size → metrics, figures, report files.

Computing and writing are separate: :func:`compare_data` turns the data (paths or
``xr.Dataset``) into the metrics.json content, the windows compared and their grid,
:func:`report_pictures` draws them (figures, animations, captions), and :func:`write_report`
writes the files. :func:`stgan.evaluate` (the public API,
:mod:`stgan.api.evaluation`) uses these, and ``stgan evaluate`` is that function's
``.save(dir)``.

The real data are cut into non-overlapping windows of the generated ``(T, H, W)``; both sets
are processed identically, in physical units. Cells missing at every real step (a static
mask) are left out: they are NaN in both sets, filled with each frame's mean for spectra,
skipped by the ACF and the distributions. Real windows with other missing cells are dropped.
The real file is streamed in blocks and at most ``max_real_windows`` complete windows are kept,
evenly spaced in time (:mod:`stgan.report.real_windows`); ``n_real_windows`` counts those kept.

The real windows are *reference* data, unless ``test_split_of`` names the model's checkpoint:
then the real file must be the model's own training data, only its test split (the block of
time the model never trained on) is compared, and the real windows are *held-out* data.

metrics.json (``"schema": "stgan-metrics/1"``) holds, per variable, the unit of the data
(``units``) and the scalars and curves of each metric run (the registry entries chosen with
``metrics``, default all; each metric states its keys, their units and its definition:
:mod:`stgan.metrics.entries`); at the top level ``units`` (every metric scalar → its unit),
``comparison`` ("reference" or "held-out"), ``split`` (the split compared, or None), ``real``,
``generated``, ``train``, ``window``, ``n_real_windows``, ``n_generated``,
``area_weighting`` ("cos(lat)" when the real data are on a latitude grid and the windows span
all its latitudes, else "none"), ``wavenumbers`` (RAPSD ring convention) and, with two or
more variables, ``cross_channel_correlation_error`` (unitless). The seasonal cycle reads the
calendar month of each step from the real data's and the generated file's time axes
(:mod:`stgan.report.months`).
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
from stgan.io.degrees import is_degrees
from stgan.io.netcdf import dimension_roles
from stgan.io.source import GridSource
from stgan.io.stores import sample_fields
from stgan.metrics import cross_channel_correlation_error
from stgan.metrics.registry import METRICS, compare, metric_units
from stgan.metrics.weights import area_weights
from stgan.report.figures import png_bytes, save_image
from stgan.report.html import render
from stgan.report.markdown import render_markdown
from stgan.report.months import generated_months
from stgan.report.pictures import VariablePictures, variable_pictures
from stgan.report.real_windows import read_real_windows
from stgan.report.sources import DataLike, describe, open_grid, open_samples

SCHEMA = "stgan-metrics/1"
# Compares variables with each other, so it is no per-variable registry entry.
CROSS_CHANNEL_UNITS = {"cross_channel_correlation_error": "1"}


def _generated_array(
    ds: xr.Dataset, name: str, dims: dict[str, str] | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Samples of ``name`` as (N, T, H, W) and the (N, T) months of their steps (None: no
    dates)."""
    da = ds[name]
    if "sample" not in da.dims:
        raise StganError(
            f"generated variable {name!r} has no 'sample' dimension (dims {list(da.dims)}); "
            "pass a file written by stgan generate"
        )
    if da.ndim < 4:
        raise StganError(
            f"generated variable {name!r} has dimensions {list(da.dims)}: no time dimension; "
            "evaluate compares windows of several time steps, so pass samples shaped "
            "(sample, time, y, x) as stgan generate and Model.sample write them"
        )
    roles = dimension_roles(ds, da.isel(sample=0), dims)
    values = da.transpose("sample", roles["time"], roles["y"], roles["x"]).values
    return values.astype(np.float64), generated_months(da, roles["time"])


def _area_weights(real: GridSource, height: int, width: int) -> np.ndarray | None:
    """cos(lat) weights when the real grid is latitude-longitude and a window spans all of it."""
    ydim = real.dims["y"]
    lat = real.coords["y"]
    if not is_degrees(lat, ydim, "latitude") or height != lat.size:
        return None
    return area_weights(lat.values, width)


def _window_grid(real: GridSource, height: int, width: int) -> dict[str, xr.DataArray] | None:
    """The y and x coordinates of a window, when it spans the whole real grid (else None: the
    windows are tiles from several places)."""
    if (height, width) != (real.sizes["y"], real.sizes["x"]):
        return None
    return dict(real.coords)


def held_out_steps(real: GridSource, checkpoint: str | os.PathLike) -> slice:
    """The time steps of ``checkpoint``'s test split in ``real``, which must be its training data.

    Raises :class:`StganError` when ``real`` is not the data the model was trained on (other
    files, or another number of time steps), or when the model kept no test split.
    """
    from stgan.checkpoint import load_checkpoint  # torch only when asked for

    info = load_checkpoint(checkpoint)["stgan"]["data"]
    names = ", ".join(p.name for p in real.paths[:3]) + (" ..." if len(real.paths) > 3 else "")
    if info.get("source") != names:
        raise StganError(
            f"--test-split-of compares with the test split of the model's own training data "
            f"({info.get('source')}), but --real is {names}; pass the training data as --real, "
            "or drop --test-split-of to compare with this file as reference data"
        )
    splits = info.get("splits")
    if not splits:
        raise StganError(
            f"checkpoint {str(checkpoint)!r} does not record its time splits (written by an "
            "older stgan); drop --test-split-of and pass held-out data as --real"
        )
    n_time = max(stop for _, stop in splits.values())
    if real.sizes["time"] != n_time:
        raise StganError(
            f"--real has {real.sizes['time']} time steps but the model's training data had "
            f"{n_time}; pass the same file the model was trained on"
        )
    start, stop = splits["test"]
    if stop <= start:
        raise StganError(
            "the model kept no test split (data.test_fraction 0); drop --test-split-of and "
            "pass held-out data as --real"
        )
    return slice(start, stop)


def compare_data(
    real: DataLike,
    generated: DataLike,
    *,
    variables: list[str] | None = None,
    max_lag: int = 10,
    metrics: list[str] | None = None,
    train: DataLike | None = None,
    wavenumbers: str = "index",
    dims: dict[str, str] | None = None,
    test_split_of: str | os.PathLike | None = None,
    max_real_windows: int | None = None,
) -> tuple[
    dict[str, Any], dict[str, tuple[np.ndarray, np.ndarray]], dict[str, xr.DataArray] | None
]:
    """Compare generated samples with real data; nothing is written.

    Parameters are those of :func:`stgan.evaluate`. Returns the metrics.json content; per
    variable, the (real, generated) windows compared, each (N, T, H, W) in physical units; and
    the windows' ``{"y": coordinate, "x": coordinate}`` when they span the whole real grid
    (None when they are tiles of it).
    """
    if max_lag < 1:
        raise StganError(f"--max-lag must be at least 1, got {max_lag}")
    if max_real_windows is not None and max_real_windows < 1:
        raise StganError(f"max_real_windows must be at least 1, got {max_real_windows}")
    for key in metrics or []:
        METRICS.get(key)  # unknown keys fail before any work, listing the valid ones
    gen_ds = open_samples(generated)
    if variables:
        missing = [v for v in variables if v not in gen_ds.data_vars]
        if missing:
            raise StganError(
                f"variable(s) {missing} not in the generated file; present: "
                f"{', '.join(map(str, gen_ds.data_vars))}"
            )
    source = open_grid(real, variables or sample_fields(gen_ds), dims)
    names = source.variables
    steps = (
        slice(0, source.sizes["time"])
        if test_split_of is None
        else held_out_steps(source, test_split_of)
    )
    # The training data, read once, only for the memorisation test.
    train_values = None
    if train is not None and (metrics is None or "memorisation" in metrics):
        train_source = open_grid(train, names, dims, role="training")
        train_values = train_source.read(0, train_source.sizes["time"]).astype(np.float64)
        train_source.close()
    comparison = "reference" if test_split_of is None else "held-out"
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "units": {**metric_units(), **CROSS_CHANNEL_UNITS},
        "comparison": comparison,
        "split": None if test_split_of is None else "test",
        "real": describe(real),
        "generated": describe(generated),
        "train": None if train is None else describe(train),
        "wavenumbers": wavenumbers,
        "variables": {},
    }
    generated_arrays = {name: _generated_array(gen_ds, name, dims) for name in names}
    for name, (gen, _) in generated_arrays.items():
        if gen.shape[1] < 2:
            raise StganError(f"generated windows of {name!r} have one time step; ACF needs two")
    # Real windows per window size (the variables of one generated file share one), streamed
    # from the file in blocks: the real data are never held whole (stgan.report.real_windows).
    real_read = {
        window: read_real_windows(source, steps, window, max_real_windows)
        for window in {gen.shape[1:] for gen, _ in generated_arrays.values()}
    }
    source.close()
    windows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c, name in enumerate(names):
        gen, gen_months = generated_arrays[name]
        window = gen.shape[1:]
        real_windows, real_months = (per_variable[c] for per_variable in real_read[window])
        if len(real_windows) == 0:
            shape = (steps.stop - steps.start, source.sizes["y"], source.sizes["x"])
            raise StganError(
                f"the real data of {name!r} (shape {shape}) give no complete "
                f"window of the generated size {window}; pass a larger real file"
            )
        weights = _area_weights(source, window[1], window[2])
        train_c = None if train_values is None else complete_windows(train_values[c], window)
        result["variables"][name] = {
            "units": str(source.var_attrs[name].get("units", "1")),
            **compare(
                real_windows,
                gen,
                metrics=metrics,
                max_lag=max_lag,
                weights=weights,
                wavenumbers=wavenumbers,
                train=train_c,
                attrs=source.var_attrs[name],
                real_months=real_months,
                generated_months=gen_months,
            ),
        }
        result.update(
            window=list(window),
            n_real_windows=len(real_windows),
            n_generated=len(gen),
            area_weighting="cos(lat)" if weights is not None else "none",
        )
        windows[name] = (real_windows, gen)
    if gen_ds is not generated:  # opened here; a caller's dataset stays open
        gen_ds.close()
    if len(names) > 1:
        n_real = min(len(r) for r, _ in windows.values())
        result["cross_channel_correlation_error"] = cross_channel_correlation_error(
            np.stack([r[:n_real] for r, _ in windows.values()], axis=1),
            np.stack([g for _, g in windows.values()], axis=1),
        )
    grid = _window_grid(source, *result["window"][1:])
    return result, windows, grid


def report_pictures(
    result: dict[str, Any],
    windows: dict[str, tuple[np.ndarray, np.ndarray]],
    grid: dict[str, xr.DataArray] | None = None,
) -> dict[str, VariablePictures]:
    """The report's pictures: variable → its figures, animations and captions
    (:func:`stgan.report.pictures.variable_pictures`), from :func:`compare_data`'s output."""
    return {
        name: variable_pictures(
            name,
            result["variables"][name],
            real,
            gen,
            comparison=result["comparison"],
            grid=grid,
        )
        for name, (real, gen) in windows.items()
    }


def report_images(pictures: dict[str, VariablePictures]) -> dict[str, dict[str, bytes]]:
    """:func:`report_pictures`' figures rendered: variable → PNG file stem → PNG bytes."""
    return {
        name: {stem: png_bytes(fig) for stem, fig in p.figures.items()}
        for name, p in pictures.items()
    }


def report_html(
    result: dict[str, Any],
    pictures: dict[str, VariablePictures],
    images: dict[str, dict[str, bytes]] | None = None,
) -> str:
    """The self-contained report.html: every figure and animation inlined, with captions.

    ``images`` are the figures already rendered (:func:`report_images`), when they are.
    """
    return render(
        result,
        report_images(pictures) if images is None else images,
        animations={name: p.animations for name, p in pictures.items()},
        captions={name: p.captions for name, p in pictures.items()},
    )


def write_report(
    result: dict[str, Any],
    pictures: dict[str, VariablePictures],
    output_dir: str | os.PathLike,
    images: dict[str, dict[str, bytes]] | None = None,
) -> dict[str, Any]:
    """Write the PNGs, the GIFs, metrics.json, report.md and the self-contained report.html.

    ``pictures`` is :func:`report_pictures`' dict, ``images`` its figures already rendered
    (:func:`report_images`), when they are. Each file is written atomically. Returns the
    paths: ``metrics_path``, ``report_path``, ``html_path``, ``figures`` (the PNGs) and
    ``animations`` (the GIFs).
    """
    out = Path(output_dir)
    images = report_images(pictures) if images is None else images
    pngs = [
        save_image(png, out / f"{stem}.png") for v in images.values() for stem, png in v.items()
    ]
    gifs = [
        save_image(gif, out / f"{stem}.gif")
        for p in pictures.values()
        for stem, gif in p.animations.items()
    ]
    markdown = render_markdown(
        result,
        images,
        animations={name: list(p.animations) for name, p in pictures.items()},
        captions={name: p.captions for name, p in pictures.items()},
    )
    return {
        "metrics_path": write_text(out / "metrics.json", json.dumps(result, indent=2) + "\n"),
        "report_path": write_text(out / "report.md", markdown),
        "html_path": write_text(out / "report.html", report_html(result, pictures, images)),
        "figures": pngs,
        "animations": gifs,
    }
