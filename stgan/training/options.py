"""The model's configuration as typed option groups, read by LightningCLI (jsonargparse) directly.

Each group is a frozen dataclass whose defaults are the original papers' values, and whose
``check()`` GANModule calls when it is built, so a bad value fails with a
:class:`~stgan.errors.StganError` naming the option and the fix before any data is read. In YAML
a group is a mapping, and a single field can be set with a dotted flag
(``--model.loss.name hinge``)::

    model:
      generator:     {name: conv3d, options: {}}
      discriminator: {name: conv3d, options: {}, pack: 1}
      loss:          {name: nonsaturating, label_smoothing: 0.0, label_flip: 0.0}
      penalties:     [{name: r1, gamma: 10, every: 16}]
      noise:         {sigma: 0.1, schedule: linear, steps: 2000}      # or null: off
      augment:       {roll_x: true, p: 0.5}                           # or null: off
      balance:       {d_steps: 1, g_steps: 1, adaptive: null, unrolled_steps: 0}
      optimizer:     {lr_g: 2.0e-4, lr_d: 2.0e-4, betas_g: [0.5, 0.999], betas_d: [0.5, 0.999]}
      g_terms:       [{name: mode_seeking, weight: 1.0}]
      ema:           {decay: 0.999}                                   # decay null: off
      guard:         {max_rollbacks: 3, lr_factor: 0.5, snapshot_every: 10, enabled: true}
      channels_last: true         # NDHWC networks and batches (stgan.training.memory_format)
      compile:       false        # torch.compile G and D in fit (stgan.training.compile)

Penalties (:data:`stgan.stabilization.penalties.PENALTIES`) and generator terms
(:data:`stgan.stabilization.gterms.G_TERMS`) are lists of registry entries, each
``{name: KEY, ...its options}``; they are checked when the module builds them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from stgan.errors import StganError
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.registry import call_checked
from stgan.stabilization.augment import Augment
from stgan.stabilization.balance import AdaptiveSteps
from stgan.stabilization.ema import check_decay
from stgan.stabilization.labels import check_label_options
from stgan.stabilization.losses import LOSSES, GANLoss
from stgan.stabilization.noise import InstanceNoise
from stgan.training.guard import DivergenceGuard


def _count(label: str, value: Any, low: int) -> None:
    """Refuse anything but an integer >= ``low`` (bools and 2.5 included)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise StganError(f"{label} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise StganError(f"{label} must be an integer >= {low}, got {value!r}")


@dataclass(frozen=True)
class GeneratorOptions:
    """The generator: a registry key and its options.

    Parameters
    ----------
    name : str
        Generator key (:data:`stgan.nn.generators.GENERATORS`): conv3d, convgru, ...
    options : dict
        Its keyword options (width, latent_vector, latent_categories, periodic_x, ...).
    """

    name: str = "conv3d"  # 3D transposed convolutions (Vondrick et al. 2016's video GAN)
    options: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        GENERATORS.get(self.name)  # an unknown key lists the valid ones
        if not isinstance(self.options, dict):
            raise StganError(f"model.generator.options takes a mapping, got {self.options!r}")


@dataclass(frozen=True)
class DiscriminatorOptions:
    """The discriminator: a registry key, its options and PacGAN packing.

    Parameters
    ----------
    name : str
        Discriminator key (:data:`stgan.nn.discriminators.DISCRIMINATORS`).
    options : dict
        Its keyword options (width, depth, spectral_norm, minibatch_std, ...).
    pack : int
        PacGAN (Lin et al. 2018): D judges ``pack`` samples at once; 1 is off.
    """

    name: str = "conv3d"
    options: dict[str, Any] = field(default_factory=dict)
    pack: int = 1  # PacGAN's paper used 2-4 when on

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        DISCRIMINATORS.get(self.name)
        if not isinstance(self.options, dict):
            raise StganError(f"model.discriminator.options takes a mapping, got {self.options!r}")
        _count("model.discriminator.pack", self.pack, 1)


@dataclass(frozen=True)
class LossOptions:
    """The adversarial loss and the label tricks of BCE losses.

    Parameters
    ----------
    name : str
        minimax | nonsaturating | hinge | wgan | lsgan | ragan (:mod:`stgan.stabilization.losses`).
    label_smoothing : float
        One-sided smoothing: D's real target is 1 − s (BCE losses only; 0 is off).
    label_flip : float
        Probability of swapping each sample's target (BCE losses only; 0 is off).
    """

    name: str = "nonsaturating"  # -log D(G(z)): Goodfellow et al. 2014
    label_smoothing: float = 0.0  # Salimans et al. 2016 used 0.1 when on
    label_flip: float = 0.0  # "GAN hacks" suggest ~0.05 when on

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        self.loss_class()  # an unknown key first: the label check names the key
        check_label_options(self.name, self.label_smoothing, self.label_flip)

    def loss_class(self) -> type[GANLoss]:
        """The loss's class from the registry."""
        return LOSSES.get(self.name)

    @property
    def real_target(self) -> float:
        """D's target on real samples."""
        return 1.0 - self.label_smoothing

    @property
    def label_tricks(self) -> bool:
        """True when D's BCE loss needs smoothed or flipped targets."""
        return self.label_smoothing > 0.0 or self.label_flip > 0.0


@dataclass(frozen=True)
class NoiseOptions:
    """Instance noise (Sønderby et al. 2017) on everything D sees, annealed to zero.

    Parameters
    ----------
    sigma : float
        Initial standard deviation, in normalised data units.
    schedule : str
        constant | linear | exponential | cosine (:mod:`stgan.stabilization.noise`).
    steps : int
        Annealing length in training iterations.
    """

    sigma: float = 0.1  # Sønderby et al. 2017 annealed from about 0.1 of the data's scale
    schedule: str = "linear"
    steps: int = 10000

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        self.build()

    def build(self) -> InstanceNoise:
        """The noise source the trainer calls."""
        return InstanceNoise(self.sigma, self.schedule, self.steps)


@dataclass(frozen=True)
class AugmentOptions:
    """Differentiable augmentations of real and fake alike (DiffAugment, ADA).

    Parameters
    ----------
    roll_x, flip_x, flip_y, rot90 : bool
        Operations declared valid for the data (roll_x needs a periodic longitude).
    cutout : float
        Side of a zeroed square as a fraction of the window; 0 is off.
    p : float
        Probability per sample and operation.
    """

    roll_x: bool = False
    flip_x: bool = False
    flip_y: bool = False
    rot90: bool = False
    cutout: float = 0.0  # DeVries & Taylor 2017 used about 0.5 of the image when on
    p: float = 0.5  # DiffAugment applies every operation; ADA tunes p, 0.5 a middle value

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        self.build()

    def build(self) -> Augment | None:
        """The augmentation pipeline, or None when it could only return its input."""
        aug = Augment(**asdict(self))
        return aug if aug.active else None


@dataclass(frozen=True)
class BalanceOptions:
    """How many D and G updates alternate, adaptive balancing and unrolled D.

    Parameters
    ----------
    d_steps, g_steps : int
        D updates per G phase (WGAN's n_critic) and G updates per phase.
    adaptive : dict | None
        ``{target: 0.6, ...}``: skip or add D steps from D's confidence on real data
        (:class:`stgan.stabilization.balance.AdaptiveSteps`); null is off.
    unrolled_steps : int
        G's loss against D unrolled k SGD steps ahead (Metz et al. 2017); 0 is off.
    unrolled_lr : float
        Learning rate of the unrolled SGD steps.
    reuse_fake : bool
        The G phase's first update trains on the windows that the D step before it generated
        (one latent draw and one generator forward per iteration, as in the DCGAN reference
        training loop), instead of drawing and generating anew: about one generator forward
        pass less per iteration (the default; measured over the lab's seeds 0-7 in
        benchmarks/RESULTS.md). False: each update draws and generates its own.
    """

    d_steps: int = 1  # WGAN(-GP) used 5
    g_steps: int = 1
    adaptive: dict[str, Any] | None = None  # ADA's target r_t = 0.6 when on
    unrolled_steps: int = 0  # Metz et al. 2017 used 5-10 when on
    unrolled_lr: float = 0.01
    reuse_fake: bool = True

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        _count("model.balance.d_steps", self.d_steps, 1)
        _count("model.balance.g_steps", self.g_steps, 1)
        _count("model.balance.unrolled_steps", self.unrolled_steps, 0)
        if not self.unrolled_lr > 0:
            raise StganError(
                f"model.balance.unrolled_lr must be > 0 (e.g. 0.01), got {self.unrolled_lr}"
            )
        self.build_adaptive()

    def build_adaptive(self) -> AdaptiveSteps | None:
        """The adaptive step counter, or None when off."""
        if self.adaptive is None:
            return None
        if not isinstance(self.adaptive, dict):
            raise StganError(
                f"model.balance.adaptive takes a mapping such as {{target: 0.6}}, "
                f"got {self.adaptive!r}"
            )
        return call_checked(AdaptiveSteps, "model.balance.adaptive", self.adaptive)


@dataclass(frozen=True)
class OptimizerOptions:
    """Adam per network; different rates for G and D are TTUR (Heusel et al. 2017).

    Parameters
    ----------
    lr_g, lr_d : float
        Learning rates.
    betas_g, betas_d : tuple of float
        Adam's (β1, β2).
    """

    lr_g: float = 2e-4  # DCGAN (Radford et al. 2016)
    lr_d: float = 2e-4
    betas_g: tuple[float, float] = (0.5, 0.999)  # DCGAN's β1 = 0.5
    betas_d: tuple[float, float] = (0.5, 0.999)

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        for name in ("lr_g", "lr_d"):
            lr = getattr(self, name)
            if not lr > 0 or math.isinf(lr):  # also catches NaN
                raise StganError(
                    f"model.optimizer.{name} must be a positive learning rate, got {lr}"
                )
        for name in ("betas_g", "betas_d"):
            betas = getattr(self, name)
            numbers = isinstance(betas, list | tuple) and len(betas) == 2
            if not (numbers and all(isinstance(b, int | float) and 0 <= b < 1 for b in betas)):
                raise StganError(
                    f"model.optimizer.{name} must be two numbers in [0, 1), e.g. [0.5, 0.999], "
                    f"got {betas!r}"
                )


@dataclass(frozen=True)
class EMAOptions:
    """An exponential moving average of G's weights, used for sampling and evaluation.

    Parameters
    ----------
    decay : float | None
        β in [0, 1), with warm-up; null is off.
    """

    decay: float | None = None  # ProGAN (Karras et al. 2018) used 0.999 when on

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        if self.decay is not None:
            check_decay(self.decay)


@dataclass(frozen=True)
class GuardOptions:
    """The divergence guard (:mod:`stgan.training.guard`): skip non-finite updates, roll back.

    Parameters
    ----------
    max_rollbacks : int
        Rollbacks allowed before training stops with a clear error.
    lr_factor : float
        Every learning rate is multiplied by this at each rollback.
    snapshot_every : int
        Good iterations between in-memory snapshots.
    enabled : bool
        False turns the guard off.
    """

    max_rollbacks: int = 3
    lr_factor: float = 0.5
    snapshot_every: int = 10
    enabled: bool = True

    def check(self) -> None:
        """Raise :class:`StganError` naming the option and the fix if a value is invalid."""
        self.build()

    def build(self) -> DivergenceGuard:
        """A fresh guard with these settings."""
        return DivergenceGuard.from_options(asdict(self))
