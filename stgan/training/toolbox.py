"""The stabilisation toolbox of one run, assembled and validated from the model's config.

Every remedy is off by default and switched on by one key of ``GANModule``; invalid values
and combinations fail when the configuration is read, before any data is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stgan.errors import StganError
from stgan.stabilization.augment import Augment
from stgan.stabilization.balance import AdaptiveSteps
from stgan.stabilization.labels import check_label_options
from stgan.stabilization.losses import LOSSES, GANLoss
from stgan.stabilization.noise import InstanceNoise
from stgan.stabilization.penalties import PENALTIES as REGULARIZERS
from stgan.stabilization.penalties import Penalty as Regularizer


@dataclass
class Toolbox:
    loss: type[GANLoss]
    regularizers: list[Regularizer] = field(default_factory=list)
    noise: InstanceNoise | None = None
    real_target: float = 1.0  # one-sided label smoothing: 1 − label_smoothing
    flip: float = 0.0
    augment: Augment | None = None
    d_steps: int = 1
    g_steps: int = 1
    adaptive: AdaptiveSteps | None = None
    unrolled_steps: int = 0
    unrolled_lr: float = 0.01
    pack: int = 1
    mode_seeking: float = 0.0
    info_weight: float = 0.0
    spectral_matching: float = 0.0

    @property
    def label_tricks(self) -> bool:
        return self.real_target < 1.0 or self.flip > 0.0


def _options(kind: str, spec: Any) -> dict[str, Any]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise StganError(f"{kind} takes a mapping of options, got {spec!r}")
    return dict(spec)


def build_toolbox(
    *,
    loss: str,
    regularizers: list[dict[str, Any]] | None,
    instance_noise: dict[str, Any] | None,
    label_smoothing: float,
    label_flip: float,
    augment: dict[str, Any] | None,
    d_steps: int,
    g_steps: int,
    adaptive_d: dict[str, Any] | None,
    unrolled_steps: int,
    unrolled_lr: float,
    pack: int,
    mode_seeking: float,
    info_weight: float,
    spectral_matching: float,
) -> Toolbox:
    """Check every option against what is valid and build the pieces."""
    loss_cls = LOSSES.get(loss)
    check_label_options(loss, label_smoothing, label_flip)
    regs = []
    for spec in regularizers or []:
        spec = _options("each regularizer", spec)
        name = spec.pop("name", None)
        if name is None:
            raise StganError(
                "each regularizer needs a name, e.g. {name: r1, gamma: 10}; "
                f"valid names: {', '.join(REGULARIZERS.keys())}"
            )
        regs.append(REGULARIZERS.build(name, **spec))
    for label, value, low in (
        ("d_steps", d_steps, 1),
        ("g_steps", g_steps, 1),
        ("pack", pack, 1),
        ("unrolled_steps", unrolled_steps, 0),
    ):
        if int(value) != value or value < low:
            raise StganError(f"{label} must be an integer >= {low}, got {value}")
    if mode_seeking < 0 or unrolled_lr <= 0:
        raise StganError(
            f"mode_seeking must be >= 0 and unrolled_lr > 0, got {mode_seeking}, {unrolled_lr}"
        )
    if not info_weight >= 0:
        raise StganError(f"info_weight must be >= 0 (InfoGAN used 1), got {info_weight}")
    if not spectral_matching >= 0:
        raise StganError(
            f"spectral_matching must be >= 0 (a weight; 0 is off), got {spectral_matching}"
        )
    if unrolled_steps and pack > 1:
        raise StganError("unrolled_steps and pack > 1 cannot be combined; choose one")
    noise = InstanceNoise(**_options("instance_noise", instance_noise)) if instance_noise else None
    aug = Augment(**_options("augment", augment)) if augment else None
    adaptive = AdaptiveSteps(**_options("adaptive_d", adaptive_d)) if adaptive_d else None
    return Toolbox(
        loss=loss_cls,
        regularizers=regs,
        noise=noise,
        real_target=1.0 - label_smoothing,
        flip=label_flip,
        augment=aug if aug is not None and aug.active else None,
        d_steps=int(d_steps),
        g_steps=int(g_steps),
        adaptive=adaptive,
        unrolled_steps=int(unrolled_steps),
        unrolled_lr=float(unrolled_lr),
        pack=int(pack),
        mode_seeking=float(mode_seeking),
        info_weight=float(info_weight),
        spectral_matching=float(spectral_matching),
    )
