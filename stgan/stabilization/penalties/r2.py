"""R2 (Mescheder et al. 2018): the squared gradient norm of D on generated data."""

from __future__ import annotations

from stgan.stabilization.penalties import PENALTIES
from stgan.stabilization.penalties._gradient_norm import GradientNorm


@PENALTIES.register("r2")
class R2(GradientNorm):
    """R2: (γ/2)·E[‖∇D(fake)‖²], γ = 10 by default; weight = γ/2."""

    key, on_real = "r2", False
