"""R1 (Mescheder et al. 2018): the squared gradient norm of D on real data."""

from __future__ import annotations

from stgan.stabilization.penalties import PENALTIES
from stgan.stabilization.penalties._gradient_norm import GradientNorm


@PENALTIES.register("r1")
class R1(GradientNorm):
    """R1: (γ/2)·E[‖∇D(real)‖²], γ = 10 by default; weight = γ/2."""

    key, on_real = "r1", True
