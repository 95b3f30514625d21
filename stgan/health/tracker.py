"""The signals the detectors test: each iteration's raw values plus smoothed and running ones.

:class:`SignalTracker` folds one iteration at a time in and adds, to the raw signals,
``<signal>_smooth`` (an exponential moving average), ``grad_norm_g_peak`` (the largest
smoothed G gradient norm so far), ``grad_norm_<net>_median`` (the running median of the last
:data:`MEDIAN_WINDOW` iterations) and, once ``direction_window`` iterations are in, the
effective number of propagation directions of generated and real windows and their ratio.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import torch

from stgan.metrics.directions import direction_histogram, effective_directions

SMOOTHED = (
    "diversity_ratio",
    "fake_self_diversity",
    "real_self_diversity",
    "d_accuracy",
    "d_gap",
    "grad_norm_g",
    "grad_norm_d",
)
DIRECTION_SIGNALS = ("direction_ratio", "directions_fake", "directions_real")
MEDIAN_WINDOW = 100  # iterations behind the running median of each gradient norm


class SignalTracker:
    """Smoothed and running versions of the training signals, one iteration at a time.

    Parameters
    ----------
    smoothing : float
        EMA weight of the past, in [0, 1); of the logarithm for gradient norms.
    direction_window : int
        Iterations of propagation-direction histograms pooled for the direction signals.
    """

    def __init__(self, smoothing: float, direction_window: int) -> None:
        self.smoothing, self.direction_window = smoothing, direction_window
        self.reset()

    def reset(self) -> None:
        """Forget every signal."""
        self.smooth: dict[str, float] = {}  # the smoothed signals and grad_norm_g_peak
        self._ema: dict[str, float] = {}  # of the value, or of its logarithm for gradient norms
        self.history = {net: deque(maxlen=MEDIAN_WINDOW) for net in ("g", "d")}
        # Per-iteration histograms of the dominant propagation direction, generated and real.
        self.directions = {kind: deque(maxlen=self.direction_window) for kind in ("fake", "real")}

    def observe(self, raw: dict[str, Any]) -> dict[str, float]:
        """Fold one iteration's signals in; return its scalar ones with the derived ones added."""
        s = {
            k: float(v)
            for k, v in raw.items()
            if isinstance(v, (int, float, torch.Tensor))
            and (not torch.is_tensor(v) or v.numel() == 1)
        }
        for key in SMOOTHED:
            if key in s and math.isfinite(s[key]):
                # Gradient norms span decades: average their logarithms (a geometric mean).
                log = key.startswith("grad_norm")
                value = math.log(max(s[key], 1e-30)) if log else s[key]
                old = self._ema.get(key)
                self._ema[key] = (
                    value if old is None else (self.smoothing * old + (1 - self.smoothing) * value)
                )
                self.smooth[key] = math.exp(self._ema[key]) if log else self._ema[key]
        s.update({f"{k}_smooth": v for k, v in self.smooth.items()})
        if "grad_norm_g_smooth" in s:
            self.smooth["grad_norm_g_peak"] = max(
                self.smooth.get("grad_norm_g_peak", 0.0), s["grad_norm_g_smooth"]
            )
            s["grad_norm_g_peak"] = self.smooth["grad_norm_g_peak"]
        for net in ("g", "d"):
            past = sorted(self.history[net])
            if len(past) >= 10:
                s[f"grad_norm_{net}_median"] = past[len(past) // 2]
            value = s.get(f"grad_norm_{net}")
            if value is not None and math.isfinite(value):
                self.history[net].append(value)
        s.update(self._direction_signals(raw))
        return s

    def _direction_signals(self, raw: dict[str, Any]) -> dict[str, float]:
        """Fold this iteration's propagation directions in; once ``direction_window``
        iterations are in, the effective number of directions of each and their ratio."""
        for kind in ("fake", "real"):
            found = raw.get(f"{kind}_directions")
            if found is None:
                return {}
            self.directions[kind].append(direction_histogram(found.detach().cpu()))
        if len(self.directions["fake"]) < self.direction_window:
            return {}
        fake, real = (
            effective_directions(torch.stack(list(self.directions[k])).sum(0))
            for k in ("fake", "real")
        )
        if not (math.isfinite(fake) and math.isfinite(real)):
            return {}
        return {"directions_fake": fake, "directions_real": real, "direction_ratio": fake / real}

    def smoothed(self) -> dict[str, float]:
        """The current smoothed value of each signal in :data:`SMOOTHED` seen so far."""
        return {k: v for k, v in self.smooth.items() if k in SMOOTHED}
