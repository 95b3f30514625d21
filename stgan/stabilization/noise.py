"""Instance noise: Gaussian noise added to everything D sees, annealed to zero.

Real and generated distributions of gridded fields can have disjoint supports, where D wins
perfectly and G's gradient carries no information (Arjovsky & Bottou 2017); convolving both
with the same Gaussian makes them overlap (Sønderby et al. 2017). The noise level σ is
annealed so that the final model is trained against clean data. Schedules ``(step, sigma,
steps) -> σ``, with s = step (negative steps count as 0) and S = steps:

=========== ===================================================================
key         σ(s)
=========== ===================================================================
constant    σ
linear      σ·max(0, 1 − s/S)
exponential σ·exp(−5·s/S) for s < S, then 0 (rate 5/S: down to e⁻⁵ ≈ 0.7 % at S)
cosine      σ·½(1 + cos(π·min(s, S)/S))
=========== ===================================================================
"""

from __future__ import annotations

import math

import torch

from stgan.errors import StganError
from stgan.registry import Registry

NOISE_SCHEDULES = Registry("noise schedule")

EXPONENTIAL_RATE = 5.0  # σ falls by e⁻⁵ over `steps`, then is cut to 0


@NOISE_SCHEDULES.register("constant")
def constant(step: int, sigma: float, steps: int) -> float:
    """σ at every step."""
    return sigma


@NOISE_SCHEDULES.register("linear")
def linear(step: int, sigma: float, steps: int) -> float:
    """σ·max(0, 1 − step/steps)."""
    return sigma * max(0.0, 1.0 - max(step, 0) / steps)


@NOISE_SCHEDULES.register("exponential")
def exponential(step: int, sigma: float, steps: int) -> float:
    """σ·exp(−5·step/steps) before ``steps``, 0 from then on."""
    step = max(step, 0)
    return sigma * math.exp(-EXPONENTIAL_RATE * step / steps) if step < steps else 0.0


@NOISE_SCHEDULES.register("cosine")
def cosine(step: int, sigma: float, steps: int) -> float:
    """σ·½(1 + cos(π·min(step, steps)/steps))."""
    return sigma * 0.5 * (1.0 + math.cos(math.pi * min(max(step, 0), steps) / steps))


class InstanceNoise:
    """Adds σ(step)·N(0, 1) to a batch; call it on real and fake alike.

    Parameters
    ----------
    sigma : float
        Initial noise standard deviation, in normalised data units.
    schedule : str
        Noise-schedule key: constant, cosine, exponential, linear.
    steps : int
        Annealing length in training iterations.
    """

    def __init__(self, sigma: float = 0.1, schedule: str = "linear", steps: int = 10000) -> None:
        if sigma < 0:
            raise StganError(f"instance noise sigma must be >= 0, got {sigma}")
        if int(steps) != steps or steps < 1:
            raise StganError(f"instance noise steps must be an integer >= 1, got {steps}")
        self.sigma, self.steps, self.schedule = float(sigma), int(steps), schedule
        self._schedule = NOISE_SCHEDULES.get(schedule)

    def sigma_at(self, step: int) -> float:
        """The noise standard deviation at training iteration ``step``."""
        return self._schedule(step, self.sigma, self.steps)

    def __call__(
        self, x: torch.Tensor, step: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        sigma = self.sigma_at(step)
        if sigma == 0:
            return x  # annealed away: no draw, so the random stream is not consumed
        device = generator.device if generator is not None else x.device
        noise = torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype)
        return x + sigma * noise.to(x.device)
