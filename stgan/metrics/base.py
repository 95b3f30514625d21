"""What every registered metric shares: its inputs and the :class:`Metric` base class.

A metric is a small dataclass: its settings are fields, its output keys and their units and a
one-line definition are class attributes, and :meth:`Metric.compute` turns an :class:`Inputs`
(real and generated windows of one variable, plus shared options) into a dict of scalars and
curves. Each metric is one file in :mod:`stgan.metrics.entries` that registers itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from stgan.metrics.spectral import fill_frames, mean_rapsd
from stgan.metrics.temporal import temporal_acf

# The unit of a value-like score (a quantile error, a Wasserstein distance) before it is known
# which variable is scored; metrics.json keeps it as written, the xarray layer substitutes.
VALUE = "units of the variable"


def none_if_nan(value: float) -> float | None:
    """``None`` for NaN (JSON has no NaN), else ``value``."""
    return None if np.isnan(value) else value


@dataclass
class Inputs:
    """Real (M, T, H, W) and generated (N, T, H, W) windows of one variable, and options.

    ``weights``: (H, W) area weights (None: every cell alike); ``wavenumbers``: RAPSD ring
    convention; ``train``: training windows, for the memorisation test only; ``attrs``: the
    variable's attributes (the ``waves`` metric reads the dataset's modes from them);
    ``real_months`` (M, T) and ``generated_months`` (N, T): the calendar month (1–12) of each
    step of each window, None when the time axis has no dates (the ``seasonal_cycle`` metric
    reads them).
    """

    real: np.ndarray
    generated: np.ndarray
    max_lag: int = 10
    weights: np.ndarray | None = None
    wavenumbers: str = "index"
    train: np.ndarray | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    real_months: np.ndarray | None = None
    generated_months: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def spectra(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean RAPSD of the real and the generated frames, and the bin frequencies."""
        if "spectra" not in self._cache:
            p_real, freq = mean_rapsd(fill_frames(self.real), wavenumbers=self.wavenumbers)
            p_gen, _ = mean_rapsd(fill_frames(self.generated), wavenumbers=self.wavenumbers)
            self._cache["spectra"] = (p_real, p_gen, freq)
        return self._cache["spectra"]

    def acfs(self) -> tuple[np.ndarray, np.ndarray]:
        """Temporal ACF (lags 0 … min(max_lag, T − 1)) of both sets, averaged over windows."""
        if "acfs" not in self._cache:
            nlags = min(self.max_lag, self.real.shape[1] - 1)
            self._cache["acfs"] = tuple(
                np.nanmean(temporal_acf(x, nlags, weights=self.weights), axis=0)
                for x in (self.real, self.generated)
            )
        return self._cache["acfs"]


@dataclass(frozen=True)
class Metric(ABC):
    """A comparison of generated with real windows, chosen by its registry key.

    Subclasses set ``units`` (every scalar key :meth:`compute` may return → its unit, ``"1"``
    for unitless, :data:`VALUE` for the variable's own unit) and ``description`` (what it
    measures, with its formula, in one line), and implement :meth:`compute`. Curves (lists)
    that come with the scalars carry no unit entry.
    """

    units: ClassVar[dict[str, str]] = {}
    description: ClassVar[str] = ""

    @abstractmethod
    def compute(self, inputs: Inputs) -> dict[str, Any]:
        """Scalars (``None`` where undefined) and curves comparing ``inputs``' two sets."""
