"""Per-variable invertible transforms, fitted on the training split by streaming over it.

Each variable goes ``x → g(x) → g(x) − clim[month] → (… − mean) / std`` where ``g`` is the
identity or ``log1p`` (for skewed non-negative fields such as precipitation) and ``clim`` an
optional per-gridpoint monthly climatology (train on anomalies). Standardisation always comes
last. Everything needed to invert travels in the checkpoint (floats, bools and tensors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from stgan.errors import StganError

STEPS = {
    "log1p": "x → log(1 + x), for skewed non-negative fields (precipitation); inverse expm1",
    "monthly_anomaly": "subtract the per-gridpoint mean of each calendar month (training split)",
}


def parse_steps(transforms: dict[str, list[str]] | None, variables: list[str]) -> dict[str, list[str]]:
    """Validate ``{variable: [step, ...]}`` against the variables and the known steps."""
    transforms = dict(transforms or {})
    unknown_vars = sorted(set(transforms) - set(variables))
    if unknown_vars:
        raise StganError(f"transforms name variable(s) {unknown_vars} that are not trained; "
                         f"variables: {variables}")
    for name, steps in transforms.items():
        for step in steps:
            if step not in STEPS:
                raise StganError(f"unknown transform {step!r} for {name!r}; valid transforms: "
                                 f"{', '.join(STEPS)} (standardisation is always applied last)")
    return {v: list(transforms.get(v, [])) for v in variables}


@dataclass
class ChannelTransform:
    """The fitted transform of one variable."""

    log1p: bool = False
    climatology: torch.Tensor | None = None  # (12, H, W) monthly means after g, or None
    mean: float = 0.0
    std: float = 1.0

    def _clim(self, months: np.ndarray | None, like: np.ndarray | torch.Tensor):
        if self.climatology is None:
            return 0.0
        if months is None:
            raise StganError("this model was trained on monthly anomalies: give the calendar "
                             "months of the steps (stgan generate --start-time YYYY-MM-DD)")
        clim = self.climatology[torch.as_tensor(np.asarray(months) - 1)]  # (T, H, W)
        if isinstance(like, torch.Tensor):
            return clim.to(like.dtype).to(like.device)
        return clim.numpy().astype(like.dtype)

    def forward(self, x, months: np.ndarray | None = None):
        """(T, H, W) physical values → standardised values."""
        if self.log1p:
            x = torch.log1p(x) if isinstance(x, torch.Tensor) else np.log1p(x)
        return (x - self._clim(months, x) - self.mean) / self.std

    def inverse(self, z, months: np.ndarray | None = None):
        """(…, T, H, W) standardised values → physical values."""
        x = z * self.std + self.mean
        x = x + self._clim(months, x)
        if self.log1p:
            x = torch.expm1(x) if isinstance(x, torch.Tensor) else np.expm1(x)
        return x

    def to_dict(self) -> dict[str, Any]:
        return {"log1p": self.log1p, "climatology": self.climatology,
                "mean": self.mean, "std": self.std}


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


def fit_transforms(source, train: slice, steps: dict[str, list[str]], *, chunk: int = 128) -> FitResult:
    """Fit every variable's transform on ``train`` and measure missing data over the record.

    Reads the record once in chunks of ``chunk`` steps (twice for climatologies), so memory
    stays bounded by one chunk whatever the archive size.
    """
    names = source.variables
    n_time, h, w = source.sizes["time"], source.sizes["y"], source.sizes["x"]
    use_log = [("log1p" in steps[v]) for v in names]
    use_clim = [("monthly_anomaly" in steps[v]) for v in names]
    if any(use_clim) and source.months is None:
        raise StganError("monthly_anomaly needs a calendar time axis (dates), but the time "
                         "coordinate is numeric; drop the transform or fix the time units")
    finite_count = np.zeros((len(names), h, w), np.int64)
    missing_any = np.zeros(n_time, np.int64)  # steps x cells with any variable missing
    chunks = [(s, min(s + chunk, n_time)) for s in range(0, n_time, chunk)]

    def g(c: int, x: np.ndarray) -> np.ndarray:
        if not use_log[c]:
            return x
        with np.errstate(invalid="ignore"):
            return np.log1p(x)

    # Pass 1: finite counts, missing per step, raw minima (log1p check), monthly sums.
    raw = [_Moments() for _ in names]
    month_sum = np.zeros((len(names), 12, h, w)) if any(use_clim) else None
    month_n = np.zeros((len(names), 12, h, w)) if any(use_clim) else None
    for t0, t1 in chunks:
        x = source.read(t0, t1)  # (C, t, H, W)
        bad = ~np.isfinite(x)
        missing_any[t0:t1] = bad.any(axis=0).reshape(t1 - t0, -1).sum(axis=1)
        lo, hi = max(t0, train.start), min(t1, train.stop)
        if lo >= hi:
            continue
        part = x[:, lo - t0 : hi - t0]
        finite_count += np.isfinite(part).sum(axis=1)
        for c in range(len(names)):
            raw[c].add(part[c])
            if use_clim[c]:
                gc = g(c, part[c])
                ok = np.isfinite(gc)
                for m in range(1, 13):
                    sel = source.months[lo:hi] == m
                    if sel.any():
                        month_sum[c, m - 1] += np.where(ok[sel], gc[sel], 0).sum(axis=0)
                        month_n[c, m - 1] += ok[sel].sum(axis=0)

    for c, name in enumerate(names):
        if raw[c].n == 0:
            raise StganError(f"variable {name!r} has no valid value in the training split: it "
                             "is entirely missing (all NaN or _FillValue); drop it from --data.variables")
        if use_log[c] and raw[c].minimum < 0:
            raise StganError(f"log1p needs non-negative values, but {name!r} has minimum "
                             f"{raw[c].minimum:g}; drop the log1p transform for it")
    mask = (finite_count == 0).any(axis=0)
    n_open = max(int((~mask).sum()), 1)
    masked_cells = int(mask.sum())
    missing_fraction = (missing_any - masked_cells).clip(min=0) / n_open

    climatology = [None] * len(names)
    for c in range(len(names)):
        if use_clim[c]:
            with np.errstate(invalid="ignore", divide="ignore"):
                clim = month_sum[c] / month_n[c]
            absent = [m + 1 for m in range(12) if month_n[c, m].sum() == 0]
            if absent:
                raise StganError(f"monthly_anomaly for {name!r}: the training split has no data "
                                 f"for month(s) {absent}; use at least one full year")
            climatology[c] = np.nan_to_num(clim)

    # Pass 2 (only when needed): moments after g and the climatology.
    moments = raw if not any(use_log) and not any(use_clim) else None
    if moments is None:
        moments = [_Moments() for _ in names]
        for t0, t1 in chunks:
            lo, hi = max(t0, train.start), min(t1, train.stop)
            if lo >= hi:
                continue
            x = source.read(lo, hi)
            for c in range(len(names)):
                v = g(c, x[c])
                if climatology[c] is not None:
                    v = v - climatology[c][source.months[lo:hi] - 1]
                moments[c].add(v)

    transforms = []
    for c, name in enumerate(names):
        m = moments[c]
        mean = m.total / m.n
        std = float(np.sqrt(max(m.squares / m.n - mean**2, 0.0)))
        if not np.isfinite(std) or std == 0:
            raise StganError(f"variable {name!r} is constant over the training split; "
                             "it cannot be standardised")
        clim = None if climatology[c] is None else torch.as_tensor(climatology[c], dtype=torch.float32)
        transforms.append(ChannelTransform(log1p=use_log[c], climatology=clim, mean=float(mean), std=std))
    return FitResult(transforms=transforms, mask=mask, missing_fraction=missing_fraction)


def forward_all(transforms: list[ChannelTransform], x: np.ndarray, months: np.ndarray | None) -> np.ndarray:
    """(C, T, H, W) physical → standardised, channel by channel."""
    return np.stack([t.forward(x[c], months) for c, t in enumerate(transforms)]).astype(np.float32)


def inverse_all(transforms: list[ChannelTransform], z, months: np.ndarray | None, *, channel_dim: int):
    """Standardised → physical along ``channel_dim`` (numpy or torch)."""
    if isinstance(z, torch.Tensor):
        parts = [t.inverse(z.select(channel_dim, c), months) for c, t in enumerate(transforms)]
        return torch.stack(parts, channel_dim)
    parts = [t.inverse(np.take(z, c, axis=channel_dim), months) for c, t in enumerate(transforms)]
    return np.stack(parts, axis=channel_dim)
