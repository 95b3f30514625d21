"""Consistency regularisation (Zhang et al. 2020): D's score unchanged by an augmentation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stgan.errors import StganError
from stgan.stabilization.augment import Augment
from stgan.stabilization.penalties import PENALTIES, Penalty


@PENALTIES.register("cr")
class Consistency(Penalty):
    """Consistency regularisation: λ·E[(D(real) − D(aug(real)))²]; λ = 10.

    ``augment`` is a callable ``aug(x) -> x`` or ``-> (x, mask)``, or a dict of
    :class:`~stgan.stabilization.augment.Augment` options (from YAML). The default is
    ``Augment(cutout=0.25, p=1.0)``: cutout is the one operation valid on any grid, and
    ``Augment()``'s own defaults are the identity, which would make the penalty always 0.
    Declare flips or rolls through ``augment`` where they are physically valid. A geometric
    augmentation moves the data but not a mask that ``d_fn`` closes over.
    """

    key = "cr"

    def __init__(
        self, weight: float = 10.0, augment: Callable[..., Any] | dict | None = None, every: int = 1
    ) -> None:
        super().__init__(weight, every)
        if augment is None:
            augment = Augment(cutout=0.25, p=1.0)
        elif isinstance(augment, dict):
            augment = Augment(**augment)
        if isinstance(augment, Augment) and not augment.active:
            raise StganError(
                "penalty 'cr': its augmentation does nothing (no operation on, or p = 0), so "
                "the penalty would always be 0; enable one of roll_x, flip_x, flip_y, rot90, cutout"
            )
        self.augment = augment

    def penalty(self, d_fn, real, fake, *, generator=None):
        """``E[(D(real) − D(aug(real)))²]``, unweighted; ``fake`` is not read."""
        real = real.detach()
        if isinstance(self.augment, Augment):
            augmented = self.augment(real, generator=generator)
        else:
            augmented = self.augment(real)
        if isinstance(augmented, tuple):
            augmented = augmented[0]
        return ((d_fn(real) - d_fn(augmented)) ** 2).mean()
