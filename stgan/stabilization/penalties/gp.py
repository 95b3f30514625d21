"""WGAN-GP (Gulrajani et al. 2017): a unit gradient norm on real-fake interpolates."""

from __future__ import annotations

from stgan.stabilization.penalties import PENALTIES, Penalty, input_gradient, uniform


@PENALTIES.register("gp")
class GradientPenalty(Penalty):
    """WGAN-GP: λ·E[(‖∇D(x̂)‖ − 1)²] on random interpolates x̂ of real and fake; λ = 10."""

    key = "gp"

    def __init__(self, weight: float = 10.0, every: int = 1) -> None:
        super().__init__(weight, every)

    def penalty(self, d_fn, real, fake, *, generator=None):
        """``E[(‖∇D(x̂)‖ − 1)²]`` at x̂ = ε·real + (1 − ε)·fake, one ε ~ U[0, 1] per sample, unweighted."""
        eps = uniform(real, (real.shape[0],) + (1,) * (real.ndim - 1), generator)  # (B,1,..)
        x_hat = eps * real.detach() + (1 - eps) * fake.detach()
        return ((input_gradient(d_fn, x_hat).norm(dim=1) - 1) ** 2).mean()
