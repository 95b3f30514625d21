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
fitted quantity travels in the checkpoint as floats, strings and tensors. The fitting itself,
by streaming over the record, is :func:`stgan.data.transform_fit.fit_transforms`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from stgan.data.regression import seasonal_design
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
