"""DRAGAN (Kodali et al. 2017): a unit gradient norm around the real data."""

from __future__ import annotations

from stgan.errors import StganError
from stgan.stabilization.penalties import PENALTIES, Penalty, input_gradient, uniform


@PENALTIES.register("dragan")
class Dragan(Penalty):
    """DRAGAN: λ·E[(‖∇D(real + δ)‖ − 1)²], δ = c·std(real)·U[0,1) per element; λ=10, c=½."""

    key = "dragan"

    def __init__(self, weight: float = 10.0, c: float = 0.5, every: int = 1) -> None:
        super().__init__(weight, every)
        if c < 0:
            raise StganError(f"penalty 'dragan': c must be >= 0, got {c}")
        self.c = float(c)

    def penalty(self, d_fn, real, fake, *, generator=None):
        """``E[(‖∇D(real + δ)‖ − 1)²]``, δ = c·std(real)·U[0, 1) per element, unweighted; ``fake`` unused."""
        real = real.detach()
        x = real + self.c * real.std() * uniform(real, tuple(real.shape), generator)
        return ((input_gradient(d_fn, x).norm(dim=1) - 1) ** 2).mean()
