"""Fitting the per-variable transforms on the training split, streaming over the record.

:func:`fit_transforms` learns each variable's :class:`~stgan.data.transforms.ChannelTransform`
(its trend, climatology, mean and std, in the order :mod:`stgan.data.transforms` applies them)
and measures missing data, reading the record in chunks so that memory stays bounded whatever
the archive size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from stgan.data.regression import N_HARMONICS, GridLeastSquares, seasonal_design, trend_design
from stgan.data.time_features import TimeFeatures
from stgan.data.transforms import _ANOMALY_STEPS, ChannelTransform
from stgan.errors import StganError

# Steps longer than this are treated as monthly (or longer): climatology by calendar month.
MONTHLY_STEP_DAYS = 20.0
# The trend is fitted together with annual harmonics once the training split spans this many
# days, so that a seasonal cycle over a fraction of a year does not leak into the slope.
SEASONAL_TREND_DAYS = 730.0


@dataclass
class _Moments:
    """Running NaN-aware sums for one channel (float64)."""

    n: float = 0.0
    total: float = 0.0
    squares: float = 0.0
    minimum: float = np.inf

    def add(self, x: np.ndarray) -> None:
        finite = x[np.isfinite(x)].astype(np.float64)
        self.n += finite.size
        self.total += finite.sum()
        self.squares += (finite**2).sum()
        if finite.size:
            self.minimum = min(self.minimum, float(finite.min()))


@dataclass
class FitResult:
    """What one streaming pass over the record learns."""

    transforms: list[ChannelTransform]
    mask: np.ndarray  # (H, W) bool: True where a cell is missing at every training step
    missing_fraction: np.ndarray  # (T_all,) share of unmasked cells missing, any variable
    log: list[str] = field(default_factory=list)


def fit_transforms(
    source, train: slice, steps: dict[str, list[str]], *, chunk: int = 128
) -> FitResult:
    """Fit every variable's transform on ``train`` and measure missing data over the record.

    Reads the record in chunks of ``chunk`` steps, once, then once more per stage that
    depends on the one before (the trend, then the climatology of the detrended values, then
    the moments), so memory stays bounded by one chunk and the grid whatever the archive size.
    The trend's least squares include annual harmonics when the training split has dates and
    spans at least two years (:data:`SEASONAL_TREND_DAYS`); only ``a + b·t`` is removed.
    """
    names = source.variables
    n_time, h, w = source.sizes["time"], source.sizes["y"], source.sizes["x"]
    time = TimeFeatures.from_times(source.time)
    use_log = [("log1p" in steps[v]) for v in names]
    use_trend = [("detrend" in steps[v]) for v in names]
    anomaly = [next((s for s in steps[v] if s in _ANOMALY_STEPS), None) for v in names]
    finite_count = np.zeros((len(names), h, w), np.int64)
    missing_any = np.zeros(n_time, np.int64)  # steps x cells with any variable missing
    chunks = [(s, min(s + chunk, n_time)) for s in range(0, n_time, chunk)]
    train_chunks = [
        (max(t0, train.start), min(t1, train.stop))
        for t0, t1 in chunks
        if max(t0, train.start) < min(t1, train.stop)
    ]

    # Numeric time of the training steps: days since the first one in the data's calendar.
    units, calendar, t_train = None, None, None
    if any(use_trend) or any(anomaly):
        if time.dated:
            units, calendar = time.units_from(train.start), time.calendar
        elif any(anomaly):
            step = next(a for a in anomaly if a)
            raise StganError(
                f"{step} needs a calendar time axis (dates), but the time coordinate "
                "is numeric; drop the transform or fix the time units"
            )
        t_train = time[train].numeric(units, calendar)
    if any(anomaly):
        absent = sorted(set(range(1, 13)) - set(time.month[train].tolist()))
        if absent:
            step = next(a for a in anomaly if a)
            raise StganError(
                f"{step} for {names[anomaly.index(step)]!r}: the training split has no data "
                f"for month(s) {absent}; use at least one full year"
            )
        by_month = (
            float(np.median(np.diff(t_train))) > MONTHLY_STEP_DAYS if len(t_train) > 1 else True
        )
        anomaly = [
            a if a is None or a == "monthly_anomaly" or by_month else "day_of_year" for a in anomaly
        ]
    if any(use_trend):
        centre, half = (t_train[0] + t_train[-1]) / 2, (t_train[-1] - t_train[0]) / 2
        if half <= 0:
            raise StganError("detrend needs a training split of at least two distinct times")
        seasonal = time.dated and t_train[-1] - t_train[0] >= SEASONAL_TREND_DAYS
        n_terms = 2 + (2 * N_HARMONICS if seasonal else 0)
        trend_fit = {
            c: GridLeastSquares(n_terms, (h, w)) for c in range(len(names)) if use_trend[c]
        }

    def g(c: int, x: np.ndarray) -> np.ndarray:
        if not use_log[c]:
            return x
        with np.errstate(invalid="ignore"):
            return np.log1p(x)

    # Pass 1: finite counts, missing per step, raw minima (log1p check), the trends' sums.
    raw = [_Moments() for _ in names]
    for t0, t1 in chunks:
        x = source.read(t0, t1)  # (C, t, H, W)
        bad = ~np.isfinite(x)
        missing_any[t0:t1] = bad.any(axis=0).reshape(t1 - t0, -1).sum(axis=1)
        lo, hi = max(t0, train.start), min(t1, train.stop)
        if lo >= hi:
            continue
        part = x[:, lo - t0 : hi - t0]
        finite_count += np.isfinite(part).sum(axis=1)
        if any(use_trend):
            k = slice(lo - train.start, hi - train.start)
            design = trend_design(
                t_train[k], centre, half, time[lo:hi].year_fraction if seasonal else None
            )
        for c in range(len(names)):
            raw[c].add(part[c])
            if use_trend[c]:
                trend_fit[c].add(design, g(c, part[c]))

    for c, name in enumerate(names):
        if raw[c].n == 0:
            raise StganError(
                f"variable {name!r} has no valid value in the training split: it "
                "is entirely missing (all NaN or _FillValue); drop it from --data.variables"
            )
        if use_log[c] and raw[c].minimum < 0:
            raise StganError(
                f"log1p needs non-negative values, but {name!r} has minimum "
                f"{raw[c].minimum:g}; drop the log1p transform for it"
            )
    mask = (finite_count == 0).any(axis=0)
    n_open = max(int((~mask).sum()), 1)
    masked_cells = int(mask.sum())
    missing_fraction = (missing_any - masked_cells).clip(min=0) / n_open

    transforms = [ChannelTransform(log1p=use_log[c]) for c in range(len(names))]
    for c, tf in enumerate(transforms):
        if use_trend[c]:
            beta = trend_fit[c].solve()  # β0 + β1·(t − centre)/half → a + b·t
            b = beta[1] / half
            tf.trend = torch.as_tensor(np.stack([beta[0] - b * centre, b]), dtype=torch.float32)
            tf.time_units, tf.time_calendar = units, calendar

    # Pass 2 (anomalies only): the climatology of g(x) − trend.
    if any(anomaly):
        month_sum = {c: np.zeros((12, h, w)) for c, a in enumerate(anomaly) if a in _ANOMALY_STEPS}
        month_n = {c: np.zeros((12, h, w)) for c in month_sum}
        day_fit = {
            c: GridLeastSquares(1 + 2 * N_HARMONICS, (h, w))
            for c, a in enumerate(anomaly)
            if a == "day_of_year"
        }
        for lo, hi in train_chunks:
            x = source.read(lo, hi)
            tt = time[lo:hi]
            for c in month_sum:
                r = g(c, x[c]) - transforms[c].offset(tt)
                ok = np.isfinite(r)
                for m in range(1, 13):
                    sel = tt.month == m
                    month_sum[c][m - 1] += np.where(ok[sel], r[sel], 0).sum(axis=0)
                    month_n[c][m - 1] += ok[sel].sum(axis=0)
            for c, fit in day_fit.items():
                fit.add(seasonal_design(tt.year_fraction), g(c, x[c]) - transforms[c].offset(tt))
        for c in month_sum:
            with np.errstate(invalid="ignore", divide="ignore"):
                clim = np.nan_to_num(month_sum[c] / month_n[c])
            transforms[c].climatology = torch.as_tensor(clim, dtype=torch.float32)
        for c, fit in day_fit.items():
            transforms[c].seasonal = torch.as_tensor(fit.solve(), dtype=torch.float32)

    # Pass 3 (only when needed): moments after g, the trend and the climatology.
    moments = raw
    if any(use_log) or any(use_trend) or any(anomaly):
        moments = [_Moments() for _ in names]
        for lo, hi in train_chunks:
            x = source.read(lo, hi)
            for c, tf in enumerate(transforms):
                moments[c].add(
                    tf.forward(x[c].astype(np.float64), time[lo:hi])
                )  # mean 0, std 1 so far

    for c, name in enumerate(names):
        m = moments[c]
        mean = m.total / m.n
        std = float(np.sqrt(max(m.squares / m.n - mean**2, 0.0)))
        if not np.isfinite(std) or std == 0:
            raise StganError(
                f"variable {name!r} is constant over the training split; it cannot be standardised"
            )
        transforms[c].mean, transforms[c].std = float(mean), std
    return FitResult(transforms=transforms, mask=mask, missing_fraction=missing_fraction)
