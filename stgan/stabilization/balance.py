"""Balancing D against G: a confidence signal and an adaptive number of D steps.

The ADA overfitting heuristic (Karras et al. 2020) r_t = E[sign(D(real))] is 1 when D calls
every real sample real with certainty and near 0 when it cannot tell; 0.6 was their target.
:class:`AdaptiveSteps` turns it into the number of D updates to make per iteration (a
dynamic n_critic), which the trainer then performs.
"""

from __future__ import annotations

import torch

from stgan.errors import StganError


def discriminator_confidence(real_logits: torch.Tensor) -> float:
    """r_t = E[sign(D(real))] over the batch, in [−1, 1]."""
    return torch.sign(real_logits.detach()).float().mean().item()


class AdaptiveSteps:
    """How many D steps to take next, from D's smoothed confidence on real data.

    Rule, at each :meth:`update`: r̄ ← rate·r̄ + (1 − rate)·r_t (r̄ = r_t at the first
    measurement); then the step count n (initially 1, clamped to [low, high]) moves by one:
    n ← max(low, n − 1) if r̄ > target (D over-confident), n ← min(high, n + 1) if
    r̄ < target − margin (D losing), else unchanged. n = 0 means skip D this iteration; since a
    frozen D cannot change its confidence, after ``max_skip`` consecutive skips one D step is
    forced (returned as 1, the level n stays 0), so D trains at least once every
    max_skip + 1 iterations and r_t is measured anew.

    Parameters
    ----------
    target : float
        r_t above which D is over-confident (ADA: 0.6).
    low, high : int
        Fewest and most D steps per iteration; ``low = 0`` allows skipping.
    margin : float
        Dead band below ``target`` where n is left alone, so it does not oscillate.
    rate : float
        EMA weight of the past in [0, 1); 0.9 remembers about 1/(1 − rate) = 10 iterations.
    max_skip : int
        Most consecutive iterations without a D step.
    """

    def __init__(
        self,
        target: float = 0.6,
        low: int = 0,
        high: int = 3,
        margin: float = 0.2,
        rate: float = 0.9,
        max_skip: int = 4,
    ) -> None:
        problems = [
            f"0 <= low <= high and high >= 1 (got low={low}, high={high})"
            * (not (0 <= low <= high and high >= 1)),
            f"target in (-1, 1] (got {target})" * (not -1.0 < target <= 1.0),
            f"margin >= 0 (got {margin})" * (margin < 0),
            f"rate in [0, 1) (got {rate})" * (not 0.0 <= rate < 1.0),
            f"max_skip >= 0 (got {max_skip})" * (max_skip < 0),
        ]
        if any(problems):
            raise StganError(f"adaptive D steps need {'; '.join(p for p in problems if p)}")
        self.target, self.low, self.high = float(target), int(low), int(high)
        self.margin, self.rate, self.max_skip = float(margin), float(rate), int(max_skip)
        self.steps = min(max(1, self.low), self.high)  # the current level n
        self.confidence: float | None = None  # r̄
        self.skipped = 0  # consecutive iterations without a D step

    def update(self, r_t: float | None) -> int:
        """Fold in this iteration's r_t (None: no D(real) was computed) and return next n."""
        if r_t is not None:
            self.confidence = (
                r_t
                if self.confidence is None
                else (self.rate * self.confidence + (1 - self.rate) * r_t)
            )
        if self.confidence is not None:
            if self.confidence > self.target:
                self.steps = max(self.low, self.steps - 1)
            elif self.confidence < self.target - self.margin:
                self.steps = min(self.high, self.steps + 1)
        if self.steps > 0:
            self.skipped = 0
            return self.steps
        if self.skipped >= self.max_skip:
            self.skipped = 0
            return 1
        self.skipped += 1
        return 0
