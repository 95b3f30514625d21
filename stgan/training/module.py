"""GANModule: the adversarial training step under Lightning's manual optimisation."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch

from stgan.errors import StganError
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.stabilization.balance import discriminator_confidence
from stgan.stabilization.diversity import mode_seeking_loss, pack
from stgan.stabilization.ema import EMA
from stgan.stabilization.labels import bce_discriminator_loss
from stgan.stabilization.unrolled import unrolled_generator_loss
from stgan.training.toolbox import build_toolbox

# Bumped when the layout of checkpoint["stgan"] changes.
CHECKPOINT_FORMAT = 1


class GANModule(pl.LightningModule):
    """A generator and a discriminator trained against each other, with the toolbox composed.

    Each training batch makes one discriminator update (unless adaptive balancing skips it);
    after every ``d_steps`` D updates the generator makes ``g_steps`` updates (n and m of the
    alternating scheme). ``trainer.global_step`` and ``trainer.max_steps`` count generator
    updates, as GAN papers count iterations. Every remedy below is off by default.

    Parameters
    ----------
    channels, window
        Number of variables and the ``(T, H, W)`` window; linked from the data by ``stgan fit``.
    generator, discriminator : str
        Registry keys; their options go in ``generator_options`` / ``discriminator_options``
        (spectral norm, minibatch-std, periodic padding, mask channel, ...).
    loss : str
        minimax | nonsaturating | hinge | wgan | lsgan | ragan.
    regularizers : list of dict
        e.g. ``[{name: gp, weight: 10}]`` or ``[{name: r1, gamma: 10, every: 16}]``; keys gp,
        r1, r2, dragan, cr, clip.
    instance_noise : dict | None
        ``{sigma: 0.1, schedule: linear, steps: 2000}`` added to real and fake inputs of D.
    label_smoothing, label_flip : float
        One-sided smoothing (real target 1 − s) and label-flip probability; BCE losses only.
    augment : dict | None
        ``{roll_x: true, flip_x: false, flip_y: false, rot90: false, cutout: 0.0, p: 0.5}``,
        applied alike to real and fake before D; ``roll_x`` needs a periodic longitude.
    d_steps, g_steps : int
        D updates per G phase and G updates per phase.
    adaptive_d : dict | None
        ``{target: 0.6, ...}``: skip or add D steps from D's confidence on real data.
    unrolled_steps, unrolled_lr : int, float
        G's loss against D unrolled k SGD steps ahead (0: off).
    pack : int
        PacGAN: D judges ``pack`` samples at once.
    mode_seeking : float
        Weight of the mode-seeking (diversity) term of G's loss.
    ema_decay : float | None
        Generator EMA decay (with warm-up); the EMA copy is used for sampling and evaluation.
    lr_g, lr_d, betas_g, betas_d
        Adam settings per network (TTUR: Heusel et al. 2017); defaults from DCGAN.
    """

    def __init__(
        self,
        channels: int = 1,
        window: tuple[int, int, int] = (8, 32, 32),
        generator: str = "conv3d",
        generator_options: dict[str, Any] | None = None,
        discriminator: str = "conv3d",
        discriminator_options: dict[str, Any] | None = None,
        loss: str = "nonsaturating",
        regularizers: list[dict[str, Any]] | None = None,
        instance_noise: dict[str, Any] | None = None,
        label_smoothing: float = 0.0,
        label_flip: float = 0.0,
        augment: dict[str, Any] | None = None,
        d_steps: int = 1,
        g_steps: int = 1,
        adaptive_d: dict[str, Any] | None = None,
        unrolled_steps: int = 0,
        unrolled_lr: float = 0.01,
        pack: int = 1,
        mode_seeking: float = 0.0,
        ema_decay: float | None = None,
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        betas_g: tuple[float, float] = (0.5, 0.999),
        betas_d: tuple[float, float] = (0.5, 0.999),
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.window = tuple(int(n) for n in window)
        self.toolbox = build_toolbox(
            loss=loss, regularizers=regularizers, instance_noise=instance_noise,
            label_smoothing=label_smoothing, label_flip=label_flip, augment=augment,
            d_steps=d_steps, g_steps=g_steps, adaptive_d=adaptive_d,
            unrolled_steps=unrolled_steps, unrolled_lr=unrolled_lr, pack=pack,
            mode_seeking=mode_seeking,
        )
        self.generator = GENERATORS.build(generator, channels=channels, **(generator_options or {}))
        self.discriminator = DISCRIMINATORS.build(
            discriminator, channels=channels * pack, **(discriminator_options or {})
        )
        self.generator_ema = EMA(self.generator, ema_decay, warmup=True) if ema_decay else None
        self.data_info: dict[str, Any] | None = None
        self.d_updates = 0  # discriminator optimiser steps so far
        self._d_since_g = 0
        self._n_d = self.toolbox.adaptive.steps if self.toolbox.adaptive else self.toolbox.d_steps

    # --- sampling --------------------------------------------------------------------------
    def sample_latent(
        self, n: int, *, window: tuple[int, int, int] | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Standard normal latent for ``n`` samples of ``window`` (default: training window)."""
        shape = self.generator.latent_shape(window or self.window)
        return torch.randn((n, *shape), generator=generator).to(self.device)

    def forward(self, z: torch.Tensor, window: tuple[int, int, int] | None = None) -> torch.Tensor:
        """The training generator's output (B, C, T, H, W)."""
        return self.generator(z, window or self.window)

    def sample(self, z: torch.Tensor, window: tuple[int, int, int] | None = None) -> torch.Tensor:
        """Output of the sampling generator: the EMA copy when there is one."""
        g = self.generator_ema.module if self.generator_ema is not None else self.generator
        return g(z, window or self.window)

    # --- the discriminator's view ----------------------------------------------------------
    def _d_input(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Augment, add instance noise and mask, as D sees real and fake alike."""
        tb = self.toolbox
        if tb.augment is not None:
            x, valid = tb.augment(x, valid)
        if tb.noise is not None:
            x = tb.noise(x, self.global_step)
        return x * valid, valid  # masked cells are identical (0) in real and fake

    def _d(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        m = self.toolbox.pack
        if m > 1:
            x, valid = pack(x, m), valid[::m]
        return self.discriminator(x, mask=valid)

    # --- the training step -----------------------------------------------------------------
    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        real, valid = batch  # (B, C, T, H, W) with masked cells at 0; (B, 1, 1, H, W)
        opt_g, opt_d = self.optimizers()
        logs: dict[str, Any] = {}
        r_t = None
        if self._n_d > 0:
            logs.update(self._discriminator_step(real, valid, opt_d))
            r_t = logs["d_confidence"]
            self._d_since_g += 1
        if self._d_since_g >= self._n_d:
            for _ in range(self.toolbox.g_steps):
                logs.update(self._generator_step(real, valid, opt_g))
            self._d_since_g = 0
            if self.generator_ema is not None:
                self.generator_ema.update(self.generator)
            if self.toolbox.adaptive is not None:
                self._n_d = self.toolbox.adaptive.update(r_t)
        logs["d_steps_per_g"] = float(self._n_d)
        if self.toolbox.noise is not None:
            logs["instance_noise_sigma"] = self.toolbox.noise.sigma_at(self.global_step)
        shown = {k: logs[k] for k in ("loss_d", "loss_g") if k in logs}
        self.log_dict(shown, prog_bar=True)
        self.log_dict({k: v for k, v in logs.items() if k not in shown})

    def _discriminator_step(self, real, valid, opt_d) -> dict[str, Any]:
        tb = self.toolbox
        self.toggle_optimizer(opt_d)
        with torch.no_grad():
            fake = self(self.sample_latent(real.shape[0]))
        real_in, real_mask = self._d_input(real, valid)
        fake_in, fake_mask = self._d_input(fake, valid)
        d_real, d_fake = self._d(real_in, real_mask), self._d(fake_in, fake_mask)
        if tb.label_tricks:
            loss_d = bce_discriminator_loss(d_real, d_fake, real_target=tb.real_target, flip=tb.flip)
        else:
            loss_d = tb.loss.discriminator(d_real, d_fake)
        total = loss_d
        for reg in tb.regularizers:
            if reg.due(self.d_updates):
                total = total + reg(lambda x: self._d(x, real_mask), real_in, fake_in)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(total)
        self._step_uncounted(opt_d)
        for reg in tb.regularizers:
            reg.after_discriminator_step(self.discriminator)
        self.untoggle_optimizer(opt_d)
        self.d_updates += 1
        return {"loss_d": loss_d.detach(), "d_real": d_real.mean().detach(),
                "d_fake": d_fake.mean().detach(), "d_confidence": discriminator_confidence(d_real)}

    def _generator_step(self, real, valid, opt_g) -> dict[str, Any]:
        tb = self.toolbox
        self.toggle_optimizer(opt_g)
        z = self.sample_latent(real.shape[0])
        fake = self(z)
        fake_in, fake_mask = self._d_input(fake, valid)
        real_scores = None
        if tb.loss.needs_real_for_generator:
            with torch.no_grad():
                real_scores = self._d(*self._d_input(real, valid))
        if tb.unrolled_steps:
            real_in, real_mask = self._d_input(real, valid)
            loss_g = unrolled_generator_loss(
                self.discriminator, tb.loss.discriminator,
                lambda scores: tb.loss.generator(scores, real_scores), real_in, fake_in,
                steps=tb.unrolled_steps, lr=tb.unrolled_lr, d_fn_kwargs={"mask": real_mask},
            )
        else:
            loss_g = tb.loss.generator(self._d(fake_in, fake_mask), real_scores)
        total = loss_g
        if tb.mode_seeking:
            z2 = self.sample_latent(real.shape[0])
            total = total + tb.mode_seeking * mode_seeking_loss(fake, self(z2), z, z2)
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(total)
        opt_g.step()  # counted: global_step is the number of generator updates
        self.untoggle_optimizer(opt_g)
        return {"loss_g": loss_g.detach()}

    def _step_uncounted(self, optimizer) -> None:
        # Lightning's manual loop counts every LightningOptimizer.step() in global_step; going
        # through the strategy (precision plugin and AMP scaler included) steps D without
        # counting, so global_step counts generator updates.
        self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=lambda: None, model=self)

    def configure_optimizers(self):
        hp = self.hparams
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=hp.lr_g, betas=tuple(hp.betas_g))
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=hp.lr_d, betas=tuple(hp.betas_d))
        return opt_g, opt_d

    # --- checkpoints -----------------------------------------------------------------------
    def on_fit_start(self) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is not None and hasattr(datamodule, "info"):
            self.data_info = datamodule.info
        aug = self.toolbox.augment
        if aug is not None and aug.roll_x and not (self.data_info or {}).get("periodic_x"):
            raise StganError("augment roll_x needs a periodic (global) longitude axis, and this "
                             "grid is not; drop roll_x")

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Everything `stgan generate` needs beyond the weights: names, units, coordinates and
        # transforms, as plain types so the file loads with torch.load(weights_only=True).
        checkpoint["stgan"] = {"format": CHECKPOINT_FORMAT, "data": self.data_info}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.data_info = checkpoint.get("stgan", {}).get("data")
