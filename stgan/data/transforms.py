"""Per-variable invertible transforms, fitted on the training split by streaming over it.

Each variable goes, in this fixed order whatever order the steps are listed in,

    x → g(x) → g(x) − (a + b·t) → … − clim(date) → (… − mean) / std

- ``g`` is the identity or ``log1p`` (skewed non-negative fields such as precipitation);
- ``detrend`` removes a per-gridpoint linear trend ``a + b·t``, where t is the numeric time:
  days since the first training step in the data's own calendar for a date axis (the units and
  calendar are recorded, so inversion needs nothing else), the value itself for a numeric axis;
- ``anomaly`` removes a per-gridpoint climatology: by calendar month when the time step is
  longer than 20 days, else by day of year, smoothed as a mean plus three annual harmonics
  (:mod:`stgan.data.regression`), which handles 360-, 365- and 366-day years alike;
  ``monthly_anomaly`` always uses calendar months (its older spelling, kept for old configs);
- standardisation always comes last.

Date-dependent steps read :class:`~stgan.data.time_features.TimeFeatures` of the steps. Every
fitted quantity travels in the checkpoint as floats, strings and tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from stgan.data.regression import N_HARMONICS, GridLeastSquares, seasonal_design, trend_design
from stgan.data.time_features import TimeFeatures
from stgan.errors import StganError

STEPS = {
    "log1p": "x → log(1 + x), for skewed non-negative fields (precipitation); inverse expm1",
    "monthly_anomaly": "subtract the per-gridpoint mean of each calendar month (training split)",
    "detrend": "subtract a per-gridpoint linear trend a + b·t fitted on the training split",
    "anomaly": "subtract the per-gridpoint climatology: by calendar month for steps over 20 days, "
    "else a smooth day-of-year cycle (mean + 3 annual harmonics)",
}
# The order the steps are applied in, whatever order a configuration lists them in.
ORDER = ("log1p", "detrend", "anomaly", "monthly_anomaly")
_ANOMALY_STEPS = ("anomaly", "monthly_anomaly")
# Steps longer than this are treated as monthly (or longer): climatology by calendar month.
MONTHLY_STEP_DAYS = 20.0
# The trend is fitted together with annual harmonics once the training split spans this many
# days, so that a seasonal cycle over a fraction of a year does not leak into the slope.
SEASONAL_TREND_DAYS = 730.0


def parse_steps(
    transforms: dict[str, list[str]] | None, variables: list[str]
) -> dict[str, list[str]]:
    """Validate ``{variable: [step, ...]}`` against the variables and the known steps."""
    transforms = dict(transforms or {})
    unknown_vars = sorted(set(transforms) - set(variables))
    if unknown_vars:
        raise StganError(
            f"transforms name variable(s) {unknown_vars} that are not trained; "
            f"variables: {variables}"
        )
    for name, steps in transforms.items():
        for step in steps:
            if step not in STEPS:
                raise StganError(
                    f"unknown transform {step!r} for {name!r}; valid transforms: "
                    f"{', '.join(STEPS)} (standardisation is always applied last)"
                )
        if len(set(steps)) < len(steps) or sum(s in _ANOMALY_STEPS for s in steps) > 1:
            raise StganError(
                f"transforms for {name!r} list a step twice ({steps}); give each once, "
                "and only one of anomaly and monthly_anomaly"
            )
    return {v: list(transforms.get(v, [])) for v in variables}


def _dates(time: TimeFeatures | None, what: str) -> TimeFeatures:
    if time is None or not time.dated:
        raise StganError(
            f"this model was trained on {what}: give the dates of the steps "
            "(stgan generate --start-time YYYY-MM-DD)"
        )
    return time


def _cropped(grid: torch.Tensor, crop: dict[str, int] | None) -> np.ndarray:
    """(…, H, W) float64 values of a fitted field, limited to ``crop`` of the grid."""
    values = grid.double().numpy()
    if not crop:
        return values
    height, width = values.shape[-2:]
    y0, x0 = crop.get("y0", 0), crop.get("x0", 0)
    rows = slice(y0, y0 + (crop.get("h") or height - y0))
    cols = np.arange(x0, x0 + (crop.get("w") or width - x0)) % width  # wraps on a periodic x
    return values[..., rows, :][..., cols]


@dataclass
class ChannelTransform:
    """The fitted transform of one variable (see the module docstring for the order)."""

    log1p: bool = False
    climatology: torch.Tensor | None = None  # (12, H, W) monthly means after g and detrend, or None
    mean: float = 0.0
    std: float = 1.0
    trend: torch.Tensor | None = None  # (2, H, W): a and b of the removed a + b·t, or None
    time_units: str | None = None  # t of the trend: "days since …"; None: the numeric time itself
    time_calendar: str | None = None  # the calendar of time_units
    seasonal: torch.Tensor | None = None  # (1 + 2K, H, W): mean, cos and sin of K annual harmonics

    def offset(
        self, time: TimeFeatures | None, crop: dict[str, int] | None = None
    ) -> np.ndarray | float:
        """(T, H, W) float64: what detrend and anomaly removed after g (0.0 when neither).

        ``crop`` (``y0``, ``h``, ``x0``, ``w``, as :meth:`GridSource.read` takes them) limits it
        to a window of the grid; columns past the last one wrap around (periodic longitude).
        """
        total: np.ndarray | float = 0.0
        if self.trend is not None:
            if time is None:
                raise StganError(
                    "this model removed a linear trend in time: give the times of the steps "
                    "(stgan generate --start-time YYYY-MM-DD)"
                )
            t = time.numeric(self.time_units, self.time_calendar)
            a, b = _cropped(self.trend, crop)
            total = total + a + b * t[:, None, None]
        if self.climatology is not None:
            month = _dates(time, "monthly anomalies").month
            total = total + _cropped(self.climatology, crop)[month - 1]
        if self.seasonal is not None:
            fraction = _dates(time, "day-of-year anomalies").year_fraction
            coef = _cropped(self.seasonal, crop)
            total = total + np.einsum(
                "tp,phw->thw", seasonal_design(fraction, len(coef) // 2), coef
            )
        return total

    def _offset_like(
        self,
        time: TimeFeatures | None,
        like: np.ndarray | torch.Tensor,
        crop: dict[str, int] | None,
    ):
        total = self.offset(time, crop)
        if isinstance(total, float):
            return total
        if isinstance(like, torch.Tensor):
            return torch.as_tensor(total, dtype=like.dtype, device=like.device)
        return total.astype(like.dtype)

    def forward(self, x, time: TimeFeatures | None = None, crop: dict[str, int] | None = None):
        """(T, H, W) physical values → standardised values (``crop``: see :meth:`offset`)."""
        if self.log1p:
            x = torch.log1p(x) if isinstance(x, torch.Tensor) else np.log1p(x)
        return (x - self._offset_like(time, x, crop) - self.mean) / self.std

    def inverse(self, z, time: TimeFeatures | None = None, crop: dict[str, int] | None = None):
        """(…, T, H, W) standardised values → physical values (``crop``: see :meth:`offset`)."""
        x = z * self.std + self.mean
        x = x + self._offset_like(time, x, crop)
        if self.log1p:
            x = torch.expm1(x) if isinstance(x, torch.Tensor) else np.expm1(x)
        return x

    def to_dict(self) -> dict[str, Any]:
        """The transform as plain types: ``ChannelTransform(**t.to_dict())`` rebuilds it."""
        return {
            "log1p": self.log1p,
            "climatology": self.climatology,
            "mean": self.mean,
            "std": self.std,
            "trend": self.trend,
            "time_units": self.time_units,
            "time_calendar": self.time_calendar,
            "seasonal": self.seasonal,
        }


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


def forward_all(
    transforms: list[ChannelTransform],
    x: np.ndarray,
    time: TimeFeatures | None,
    crop: dict[str, int] | None = None,
) -> np.ndarray:
    """(C, T, H, W) physical → standardised, channel by channel.

    ``time`` describes the T steps; ``crop`` the window of the grid x covers (default: all of
    it; see :meth:`ChannelTransform.offset`).
    """
    return np.stack([t.forward(x[c], time, crop) for c, t in enumerate(transforms)]).astype(
        np.float32
    )


def inverse_all(
    transforms: list[ChannelTransform],
    z,
    time: TimeFeatures | None,
    *,
    channel_dim: int,
    crop: dict[str, int] | None = None,
):
    """Standardised → physical along ``channel_dim`` (numpy or torch); as :func:`forward_all`."""
    if isinstance(z, torch.Tensor):
        parts = [t.inverse(z.select(channel_dim, c), time, crop) for c, t in enumerate(transforms)]
        return torch.stack(parts, channel_dim)
    parts = [
        t.inverse(np.take(z, c, axis=channel_dim), time, crop) for c, t in enumerate(transforms)
    ]
    return np.stack(parts, axis=channel_dim)
