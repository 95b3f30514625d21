"""How far each variable is from stationary: its linear trend and its seasonal cycle.

Measured on the training split, per grid point, in one streaming pass (memory bounded by a
chunk and the grid), then averaged over grid points:

- ``σ``: the grid point's standard deviation in time (trend and cycle included);
- trend ratio ``|b|·(t_last − t_first) / σ``: the change of the fitted line ``a + b·t`` over
  the split (t as in the ``detrend`` transform; the line is fitted together with annual
  harmonics once the split spans two years, as ``detrend`` does);
- seasonal ratio ``(max − min of the 12 calendar-month means of x − b·t) / σ``: the range of
  the detrended monthly climatology (needs dates and every month in the split).

Each ratio is averaged over the grid points where it is defined (σ > 0, and every month
present for the seasonal one). Both are bounded for a pure signal: a line alone gives √12 ≈ 3.5,
a sinusoid alone 2√2 ≈ 2.8. A ratio at or above :data:`THRESHOLD` is large: the GAN would
have to learn the trend or cycle as if it were weather. White noise alone gives small
non-zero ratios (:attr:`Stationarity.trend_noise`, :attr:`Stationarity.seasonal_noise`), and
a ratio within twice that level is not reported as large.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stgan.data.regression import N_HARMONICS, GridLeastSquares, trend_design
from stgan.data.time_features import TimeFeatures
from stgan.data.transform_fit import SEASONAL_TREND_DAYS

# A trend changing a field by half its standard deviation over the record, or a seasonal
# cycle spanning half of it, is large enough to be worth removing before training.
THRESHOLD = 0.5
# Expected range of 12 independent standard normal values (the d2 constant of range charts).
_RANGE_OF_12 = 3.258


@dataclass
class Stationarity:
    """The non-stationarity of one variable over the training split (see the module docstring)."""

    name: str
    trend: float  # mean over grid points of |b|·span / σ
    seasonal: (
        float | None
    )  # mean over grid points of (max − min of monthly means) / σ; None: no dates
    trend_noise: float  # E|trend ratio| of white noise: √(12/N)·√(2/π) for N steps
    seasonal_noise: float | None  # range of 12 monthly means of white noise: 3.258 / √(N/12)

    @property
    def large_trend(self) -> bool:
        """Whether the trend is worth removing (``detrend``).

        True when it changes the field by at least :data:`THRESHOLD` standard deviations over the
        record and by more than twice what white noise of the same length would show.
        """
        return self.trend >= THRESHOLD and self.trend > 2 * self.trend_noise

    @property
    def large_seasonal(self) -> bool:
        """Whether the seasonal cycle is worth removing (``monthly_anomaly``).

        True when the range of monthly means is at least :data:`THRESHOLD` standard deviations and
        more than twice white noise's; False without dates.
        """
        if self.seasonal is None:
            return False
        return self.seasonal >= THRESHOLD and self.seasonal > 2 * self.seasonal_noise


def measure_stationarity(source, train: slice, *, chunk: int = 128) -> list[Stationarity]:
    """Trend and seasonal-cycle ratios of every variable of ``source`` over ``train``.

    Parameters
    ----------
    source : GridSource
        The data (any object with ``variables``, ``sizes``, ``time`` and ``read``).
    train : slice
        The training steps.
    chunk : int
        Steps read at a time.

    Returns
    -------
    list[Stationarity]
        One per variable, in ``source.variables`` order.
    """
    names = source.variables
    h, w = source.sizes["y"], source.sizes["x"]
    time = TimeFeatures.from_times(source.time)[train]
    units = time.units_from(0) if time.dated else None
    t = time.numeric(units, time.calendar)
    n_steps = len(t)
    span = float(t[-1] - t[0]) if n_steps > 1 else 0.0
    seasonal = time.dated and span >= SEASONAL_TREND_DAYS
    has_months = time.dated and set(time.month.tolist()) == set(range(1, 13))
    centre, half = (t[0] + t[-1]) / 2, max(span / 2, 1e-12)
    fits = [GridLeastSquares(2 + (2 * N_HARMONICS if seasonal else 0), (h, w)) for _ in names]
    count, total, squares = (np.zeros((len(names), h, w)) for _ in range(3))
    month_n, month_x, month_t = (np.zeros((len(names), 12, h, w)) for _ in range(3))
    for lo in range(0, n_steps, chunk):
        hi = min(lo + chunk, n_steps)
        x = source.read(train.start + lo, train.start + hi).astype(np.float64)  # (C, t, H, W)
        design = trend_design(
            t[lo:hi], centre, half, time[lo:hi].year_fraction if seasonal else None
        )
        ok = np.isfinite(x)
        xz = np.where(ok, x, 0.0)
        count += ok.sum(axis=1)
        total += xz.sum(axis=1)
        squares += (xz**2).sum(axis=1)
        for c in range(len(names)):
            fits[c].add(design, x[c])
        if has_months:
            for m in range(12):
                sel = time.month[lo:hi] == m + 1
                month_n[:, m] += ok[:, sel].sum(axis=1)
                month_x[:, m] += xz[:, sel].sum(axis=1)
                month_t[:, m] += (ok[:, sel] * t[lo:hi][sel][:, None, None]).sum(axis=1)
    out = []
    for c, name in enumerate(names):
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total[c] / count[c]
            sigma = np.sqrt(np.maximum(squares[c] / count[c] - mean**2, 0.0))
            sigma = np.where(sigma > 0, sigma, np.nan)
            slope = fits[c].solve()[1] / half
            trend = _mean(np.abs(slope) * span / sigma)
            cycle = None
            if has_months:
                climatology = (month_x[c] - slope * month_t[c]) / month_n[
                    c
                ]  # (12, H, W) of x − b·t
                cycle = _mean(np.ptp(climatology, axis=0) / sigma)
        out.append(
            Stationarity(
                name=name,
                trend=trend,
                seasonal=cycle,
                trend_noise=float(np.sqrt(12 / max(n_steps, 1)) * np.sqrt(2 / np.pi)),
                seasonal_noise=float(_RANGE_OF_12 / np.sqrt(n_steps / 12)) if has_months else None,
            )
        )
    return out


def _mean(ratio: np.ndarray) -> float:
    """Mean over the grid points where the ratio is defined (NaN if none)."""
    finite = ratio[np.isfinite(ratio)]
    return float(finite.mean()) if finite.size else float("nan")
