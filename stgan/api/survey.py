"""`stgan survey` (alias `stgan inspect`): what stgan sees in a dataset, and what will go
wrong with it.

:func:`survey` returns a :class:`Survey`: the text the CLI prints, with the facts behind it as
attributes. The CLI prints ``str(survey(...))``, so the two cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from stgan.api.data import data_errors
from stgan.data.patching import step_cost
from stgan.data.stationarity import THRESHOLD, Stationarity, measure_stationarity
from stgan.data.transforms import ORDER
from stgan.io.time_description import time_text

if TYPE_CHECKING:
    from stgan.data.datamodule import SpaceTimeDataModule


class Survey(str):
    """What stgan sees in a dataset: the CLI's text, with the facts behind it as attributes.

    A ``str`` whose value (and ``repr``) is exactly what ``stgan survey`` prints, so that a
    notebook shows the summary and code that used the text keeps working.

    Attributes
    ----------
    files : list of str
        The files, in time order (``"in-memory dataset"`` for a dataset given open).
    variables : list of str
        The variables taken, one channel each.
    units : dict
        Each variable's units (``"?"`` where the file gives none).
    transforms : dict
        Each variable's transforms as applied, standardisation last.
    skipped : dict
        Data variables not taken, with the reason.
    dims : dict
        Dimension name of each role, ``{"time": ..., "y": ..., "x": ...}``.
    sizes : dict
        Points along each role, ``{"time": ..., "y": ..., "x": ...}``.
    periodic_x : bool
        Whether x is a global longitude that windows wrap around.
    stationarity : dict
        Each variable's :class:`~stgan.data.stationarity.Stationarity` on the training split.
    masked_cells : int
        Cells missing at every training step (the static mask).
    dropped_steps : int
        Steps left out of windows for missing data.
    window : tuple of int
        The window (T, H, W).
    patch_note : str or None
        Why the window is a patch smaller than the grid, when it is one.
    splits : dict
        ``{"train" | "val" | "test": (start, stop)}`` time steps of each split.
    windows : dict
        Distinct windows in each split.
    warnings : list of str
        The warnings, as printed after ``warning:``.
    """

    files: list[str]
    variables: list[str]
    units: dict[str, str]
    transforms: dict[str, list[str]]
    skipped: dict[str, str]
    dims: dict[str, str]
    sizes: dict[str, int]
    periodic_x: bool
    stationarity: dict[str, Stationarity]
    masked_cells: int
    dropped_steps: int
    window: tuple[int, int, int]
    patch_note: str | None
    splits: dict[str, tuple[int, int]]
    windows: dict[str, int]
    warnings: list[str]

    def __new__(cls, text: str, **facts: Any) -> Survey:
        self = super().__new__(cls, text)
        self.__dict__.update(facts)
        return self

    def __repr__(self) -> str:
        return str(self)


def _spacing(values: np.ndarray) -> str:
    if values.size < 2:
        return "single point"
    step = np.diff(values.astype(float))
    uniform = np.allclose(step, step[0], rtol=1e-4)
    return f"{step[0]:g}" + ("" if uniform else f" (non-uniform, {step.min():g}…{step.max():g})")


def _fmt(value) -> str:
    """A time stamp as people write it (datetime64 and cftime alike)."""
    if isinstance(value, np.datetime64):
        import pandas as pd

        return str(pd.Timestamp(value))
    return str(value)


def _stationarity_line(s: Stationarity) -> str:
    cycle = (
        "n/a (needs dates and every calendar month)"
        if s.seasonal is None
        else f"{s.seasonal:.2f} σ"
    )
    return (
        f"    trend over the training split {s.trend:.2f} σ, seasonal cycle (range of monthly "
        f"means) {cycle}; σ: std in time, mean over grid points"
    )


def _stationarity_warning(s: Stationarity, steps: list[str]) -> str | None:
    """A warning naming the transform(s) that remove what is large and not yet removed."""
    found, fix = [], []
    if s.large_trend and "detrend" not in steps:
        found.append(f"its linear trend changes it by {s.trend:.2f} σ over the training split")
        fix.append("detrend")
    if s.large_seasonal and not {"anomaly", "monthly_anomaly"} & set(steps):
        found.append(f"its seasonal cycle spans {s.seasonal:.2f} σ")
        fix.append("anomaly")
    if not found:
        return None
    wanted = ", ".join(x for x in ORDER if x in steps or x in fix)
    return (
        f"{s.name} is not stationary: {' and '.join(found)} (σ: its std in time; large: "
        f"≥ {THRESHOLD} σ); remove it with --data.transforms '{{{s.name}: [{wanted}]}}'"
    )


def survey(
    path: str | os.PathLike | Sequence[str | os.PathLike] | xr.Dataset,
    *,
    variables: list[str] | None = None,
    select: dict[str, float | str] | None = None,
    dims: dict[str, str] | None = None,
    window: tuple[int, int, int] | None = None,
    batch_size: int = 16,
) -> Survey:
    """A readable summary of a dataset as stgan would train on it, with warnings.

    Parameters
    ----------
    path : path, list of paths or xr.Dataset
        NetCDF file(s) or glob pattern(s), or a dataset already open.
    variables : list of str, optional
        Variables to take (default: all on the time grid).
    select : dict, optional
        One value of each extra dimension, e.g. ``{"level": 500}``.
    dims : dict, optional
        Which dimension is which (``{"time": ..., "y": ..., "x": ...}``), where CF attributes
        and names do not say.
    window : (T, H, W), optional
        Window size (default: 8 steps, whole grid).
    batch_size : int
        Batch size to check the training split against.

    Returns
    -------
    Survey
        The text ``stgan survey`` prints (files, variables and their transforms, dimensions,
        missing data, window cost, splits, then the warnings or "no warnings", one per line),
        with the same facts as attributes.

    Raises
    ------
    DataError
        The data cannot be used as given, with the message the CLI prints.

    Examples
    --------
    >>> import stgan
    >>> from stgan.data.synthetic import make_grf
    >>> s = stgan.survey(make_grf(time=64, height=8, width=8, seed=0), window=(4, 8, 8))
    >>> s.variables, s.window, s.splits["train"]
    (['field'], (4, 8, 8), (0, 40))
    >>> print(s.splitlines()[0])
    files: 1 (in-memory dataset)
    """
    from stgan.data.datamodule import SpaceTimeDataModule

    t, h, w = window or (8, None, None)
    with data_errors():
        dm = SpaceTimeDataModule(
            path,
            variables=variables,
            select=select or {},
            dims=dims,
            window_length=t,
            window_height=h,
            window_width=w,
            batch_size=batch_size,
        )
        return describe(dm)


def describe(dm: SpaceTimeDataModule) -> Survey:
    """:func:`survey`'s summary of an already configured data module."""
    src = dm.source
    dm.fit_statistics()
    sizes = src.sizes
    lines, warnings = [], []
    files = src.paths
    lines.append(
        f"files: {len(files)} ({', '.join(str(p) for p in files[:3])}{' …' if len(files) > 3 else ''})"
    )
    lines.append("variables (channels):")
    stationarity = measure_stationarity(src, dm.splits["train"])
    applied = {}
    for name, tf, st in zip(dm.variables, dm.fitted.transforms, stationarity):
        attrs = src.var_attrs[name]
        steps = [x for x in ORDER if x in dm.steps[name]] + ["standardize"]  # as applied
        applied[name] = steps
        lines.append(
            f"  {name}: units {attrs.get('units', '?')!s}, {attrs.get('long_name', '')!s}".rstrip(
                ", "
            )
        )
        lines.append(
            f"    transforms {' → '.join(steps)}; training mean {tf.mean:.4g}, std {tf.std:.4g}"
        )
        lines.append(_stationarity_line(st))
        warning = _stationarity_warning(st, dm.steps[name])
        if warning:
            warnings.append(warning)
    for name, reason in src.skipped.items():
        lines.append(f"  skipped {name}: {reason}")
    lines.append("dimensions:")
    lines.append(
        f"  time ← {src.dims['time']!r}: {sizes['time']} steps, {_fmt(src.time[0])} … "
        f"{_fmt(src.time[-1])}, step {time_text(dm.info['time'])}"
    )
    for role in ("y", "x"):
        c = src.coords[role]
        order = "descending" if c.size > 1 and c.values[1] < c.values[0] else "ascending"
        lines.append(
            f"  {role} ← {src.dims[role]!r}: {c.size} points, {c.values[0]:g} … {c.values[-1]:g} "
            f"{c.attrs.get('units', '')}, spacing {_spacing(c.values)}, {order}"
        )
    lines.append(
        f"  x periodic (global longitude, windows wrap around): {'yes' if src.periodic_x else 'no'}"
    )
    if src.select:
        lines.append(f"  selected: {src.select}")
    mask = dm.fitted.mask
    lines.append("missing data:")
    lines.append(
        f"  static mask: {int(mask.sum())} of {mask.size} cells ({mask.mean():.1%})"
        " missing at every training step"
    )
    frac = dm.fitted.missing_fraction
    lines.append(
        f"  steps with missing cells beyond the mask: {int((frac > 0).sum())}; "
        f"dropped (> {dm.max_missing_fraction:.0%} missing): {int(dm.bad_steps.sum())}"
    )
    t, h, w = dm.window
    lines.append(f"window (T, H, W): ({t}, {h}, {w})" + (" (a patch)" if dm.patch_note else ""))
    cost = step_cost(dm.window, channels=dm.num_channels, batch_size=dm.batch_size)
    lines.append(
        f"  cost of a training step (demo-preset networks, batch {dm.batch_size}): "
        f"{cost.describe()}"
    )
    if dm.patch_note:
        lines.append(f"  {dm.patch_note}")
    lines.append("splits (time steps, valid window starts, distinct windows):")
    for name, s in dm.splits.items():
        n_steps = s.stop - s.start
        if n_steps == 0:
            lines.append(f"  {name}: none")
            continue
        starts = len(dm.starts(name))
        lines.append(
            f"  {name}: steps {s.start}–{s.stop - 1} ({n_steps}), {starts} starts, "
            f"{dm.count_windows(name)} windows, {n_steps // t} non-overlapping in time"
        )
    if dm.count_windows("train") < dm.batch_size:
        warnings.append(f"the training split has fewer windows than one batch ({dm.batch_size})")
    if mask.mean() > 0.5:
        warnings.append(
            f"{mask.mean():.0%} of cells are masked: most of each window carries no data"
        )
    if dm.bad_steps.mean() > 0.1:
        warnings.append(f"{dm.bad_steps.mean():.0%} of steps are dropped for missing data")
    if (
        not src.periodic_x
        and "degree" in str(src.coords["x"].attrs.get("units", ""))
        and abs(float(np.ptp(src.coords["x"].values)) - 360) < 20
    ):
        warnings.append("x looks almost global but is not periodic (spacing × points ≠ 360°)")
    if sizes["time"] < 10 * t:
        warnings.append(f"only {sizes['time']} steps for windows of {t}: expect overfitting")
    lines += [f"warning: {w_}" for w_ in warnings] or ["no warnings"]
    return Survey(
        "\n".join(lines),
        files=[str(p) for p in files],
        variables=list(dm.variables),
        units={v: str(src.var_attrs[v].get("units", "?")) for v in dm.variables},
        transforms=applied,
        skipped=dict(src.skipped),
        dims=dict(src.dims),
        sizes=dict(sizes),
        periodic_x=bool(src.periodic_x),
        stationarity={st.name: st for st in stationarity},
        masked_cells=int(mask.sum()),
        dropped_steps=int(dm.bad_steps.sum()),
        window=tuple(dm.window),
        patch_note=dm.patch_note,
        splits={name: (s.start, s.stop) for name, s in dm.splits.items()},
        windows={name: dm.count_windows(name) for name in dm.splits},
        warnings=warnings,
    )
