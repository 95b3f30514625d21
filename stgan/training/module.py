"""GANModule: the adversarial training step under Lightning's manual optimisation."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch

from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.stabilization.losses import LOSSES

# Bumped when the layout of checkpoint["stgan"] changes.
CHECKPOINT_FORMAT = 1


class GANModule(pl.LightningModule):
    """A generator and a discriminator trained against each other.

    Each training batch (one *iteration*) makes one discriminator update on real windows and
    detached generated ones, then one generator update. ``trainer.global_step`` and
    ``trainer.max_steps`` count iterations, i.e. generator updates, as GAN papers do.

    Parameters
    ----------
    channels : int
        Number of variables; linked from the data module by ``stgan fit``.
    window : tuple[int, int, int]
        ``(T, H, W)`` of the training windows; linked from the data module.
    generator : str
        Generator registry key.
    generator_options : dict | None
        Keyword options of that generator.
    discriminator : str
        Discriminator registry key.
    discriminator_options : dict | None
        Keyword options of that discriminator.
    loss : str
        Adversarial loss registry key.
    lr_g : float
        Generator Adam learning rate.
    lr_d : float
        Discriminator Adam learning rate.
    betas : tuple[float, float]
        Adam betas for both; (0.5, 0.999) from DCGAN (Radford et al. 2016).
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
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.window = tuple(int(n) for n in window)
        self.generator = GENERATORS.build(generator, channels=channels, **(generator_options or {}))
        self.discriminator = DISCRIMINATORS.build(
            discriminator, channels=channels, **(discriminator_options or {})
        )
        self.loss = LOSSES.get(loss)
        self.data_info: dict[str, Any] | None = None

    def sample_latent(
        self, n: int, *, window: tuple[int, int, int] | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Standard normal latent for ``n`` samples of ``window`` (default: training window)."""
        shape = self.generator.latent_shape(window or self.window)
        return torch.randn((n, *shape), generator=generator).to(self.device)

    def forward(self, z: torch.Tensor, window: tuple[int, int, int] | None = None) -> torch.Tensor:
        return self.generator(z, window or self.window)  # (B, C, T, H, W)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        real, valid = batch  # (B, C, T, H, W) with masked cells at 0; (B, 1, 1, H, W)
        opt_g, opt_d = self.optimizers()
        n = real.shape[0]

        self.toggle_optimizer(opt_d)
        with torch.no_grad():
            # Masked cells (land under an ocean field) are 0 in real and fake alike, so D
            # cannot tell them apart there.
            fake = self(self.sample_latent(n)) * valid
        d_real, d_fake = self.discriminator(real), self.discriminator(fake)
        loss_d = self.loss.discriminator(d_real, d_fake)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(loss_d)
        self._step_uncounted(opt_d)
        self.untoggle_optimizer(opt_d)

        self.toggle_optimizer(opt_g)
        loss_g = self.loss.generator(self.discriminator(self(self.sample_latent(n)) * valid))
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(loss_g)
        opt_g.step()
        self.untoggle_optimizer(opt_g)

        self.log_dict({"loss_d": loss_d, "loss_g": loss_g}, prog_bar=True)
        self.log_dict({"d_real": d_real.mean(), "d_fake": d_fake.mean()})

    def _step_uncounted(self, optimizer) -> None:
        # Lightning's manual loop counts every LightningOptimizer.step() in global_step; going
        # through the strategy (precision plugin and AMP scaler included) steps D without
        # counting, so global_step counts generator updates.
        self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=lambda: None, model=self)

    def configure_optimizers(self):
        betas = tuple(self.hparams.betas)
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=self.hparams.lr_g, betas=betas)
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=self.hparams.lr_d, betas=betas)
        return opt_g, opt_d

    def on_fit_start(self) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is not None and hasattr(datamodule, "info"):
            self.data_info = datamodule.info

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Everything `stgan generate` needs beyond the weights: names, units, coordinates and
        # normalisation, as plain types so the file loads with torch.load(weights_only=True).
        checkpoint["stgan"] = {"format": CHECKPOINT_FORMAT, "data": self.data_info}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.data_info = checkpoint.get("stgan", {}).get("data")
