"""The base of r1 and r2: (γ/2)·E[‖∇D(x)‖²] on real or on fake data."""

from __future__ import annotations

from stgan.errors import StganError
from stgan.stabilization.penalties import Penalty, input_gradient


class GradientNorm(Penalty):
    """(γ/2)·E[‖∇D(x)‖²]: the ½γ convention of Mescheder et al. and StyleGAN2's r1_gamma.

    Parameters
    ----------
    gamma : float
        γ >= 0; the weight is γ/2.
    every : int
        Lazy regularisation interval (see :class:`Penalty`).
    """

    on_real = True  # x = real (R1) or fake (R2)

    def __init__(self, gamma: float = 10.0, every: int = 1) -> None:
        if gamma < 0:
            raise StganError(f"penalty {self.key!r}: gamma must be >= 0, got {gamma}")
        super().__init__(gamma / 2, every)
        self.gamma = float(gamma)

    def penalty(self, d_fn, real, fake, *, generator=None):
        """``E[‖∇D(x)‖²]`` with x the real batch (R1) or the fake batch (R2), unweighted."""
        x = real if self.on_real else fake
        return input_gradient(d_fn, x).pow(2).sum(dim=1).mean()
