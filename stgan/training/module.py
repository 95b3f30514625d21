"""GANModule: the adversarial training step under Lightning's manual optimisation."""

from __future__ import annotations

import inspect
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_info
from torch import nn

from stgan.data.short_records import short_record_warning
from stgan.errors import StganError
from stgan.metrics.directions import propagation_directions
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.stabilization.balance import discriminator_confidence
from stgan.stabilization.clusters import (
    CLUSTER_WINDOWS,
    FIT_WINDOWS,
    STRUCTURE,
    SpectralClusters,
    check_options,
)
from stgan.stabilization.diversity import mode_seeking_loss, pack
from stgan.stabilization.ema import EMA
from stgan.stabilization.labels import bce_discriminator_loss
from stgan.stabilization.spectral import SpectralMatching
from stgan.stabilization.unrolled import unrolled_generator_loss
from stgan.training.guard import DivergenceGuard, is_finite, weights_finite
from stgan.training.signals import (
    batch_diversity,
    discriminator_accuracy,
    grad_norms,
)
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
    info_weight : float
        InfoGAN (Chen et al. 2016) weight λ for a generator with ``latent_categories``: a
        classifier Q (a small MLP on D's pooled features, which average away where a
        pattern sits, with one logit per category) learns to tell from G's sample which
        category its latent picked, and G and Q minimise λ × that cross-entropy together, so
        the categories must make samples that D's features tell apart: a push towards
        covering separate modes. Needs discriminator conv3d; 0: off.
    spectral_matching : float
        Weight of G's spectral-matching term (:mod:`stgan.stabilization.spectral`): the squared
        log difference between the generated batch's space-time power, binned by spatial
        wavenumber, temporal frequency and propagation direction, and a running mean of the
        real batches'. 0: off.
    clusters : int
        Self-conditioning (:mod:`stgan.stabilization.clusters`): ``k >= 2`` clusters the
        training windows by their log space-time spectra before training, and both networks
        learn conditioned on the cluster, G through a one-hot code in its latent vector's first
        ``k`` numbers, each cluster drawn as often as it holds real windows, D by projection;
        data whose clusters show no structure (mean silhouette < 0.25) train unconditioned,
        with an all-noise latent. Duplicate windows count once; with fewer than 8 distinct
        windows per cluster only ``distinct // 8`` (at least 1) of the ``k`` are fitted, and
        the rest are never drawn (the checkpoint keeps ``k``). Needs a generator with ``latent_vector`` (and
        no ``latent_categories``) and discriminator conv3d. 0: off.
    ema_decay : float | None
        Generator EMA decay (with warm-up); the EMA copy is used for sampling and evaluation.
    lr_g, lr_d, betas_g, betas_d
        Adam settings per network (TTUR: Heusel et al. 2017); defaults from DCGAN.
    divergence_guard : dict | None
        ``{max_rollbacks: 3, lr_factor: 0.5, snapshot_every: 10, enabled: true}`` (the
        defaults): a non-finite loss or gradient skips the update and restores the last good
        weights and optimiser states (:mod:`stgan.training.guard`).
    periodic_x : bool
        The data's windows are periodic in x (a global longitude, windows as wide as the grid;
        linked from the data by ``stgan fit``): G and D pad by wrapping in x, unless their
        options set ``periodic_x`` themselves. Recorded with the other hyper-parameters.
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
        info_weight: float = 0.0,
        spectral_matching: float = 0.0,
        clusters: int = 0,
        ema_decay: float | None = None,
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        betas_g: tuple[float, float] = (0.5, 0.999),
        betas_d: tuple[float, float] = (0.5, 0.999),
        divergence_guard: dict[str, Any] | None = None,
        periodic_x: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.window = tuple(int(n) for n in window)
        for name, lr in (("lr_g", lr_g), ("lr_d", lr_d)):
            if not lr > 0:  # also catches NaN
                raise StganError(f"model.{name} must be a positive learning rate, got {lr}")
        self.toolbox = build_toolbox(
            loss=loss,
            regularizers=regularizers,
            instance_noise=instance_noise,
            label_smoothing=label_smoothing,
            label_flip=label_flip,
            augment=augment,
            d_steps=d_steps,
            g_steps=g_steps,
            adaptive_d=adaptive_d,
            unrolled_steps=unrolled_steps,
            unrolled_lr=unrolled_lr,
            pack=pack,
            mode_seeking=mode_seeking,
            info_weight=info_weight,
            spectral_matching=spectral_matching,
        )
        g_options = dict(generator_options or {})
        d_options = dict(discriminator_options or {})
        if periodic_x:  # a global longitude: no artificial east/west edge in either network
            for cls, opts in (
                (GENERATORS.get(generator), g_options),
                (DISCRIMINATORS.get(discriminator), d_options),
            ):
                if "periodic_x" in inspect.signature(cls).parameters:
                    opts.setdefault("periodic_x", True)
        if clusters:
            check_options(
                clusters,
                g_options,
                discriminator,
                pack,
                unrolled_steps,
                regularizers,
                augment,
                info_weight,
            )
        if "window" in inspect.signature(GENERATORS.get(generator)).parameters:
            g_options.setdefault("window", self.window)  # a generator tied to the window size
        self.generator = GENERATORS.build(generator, channels=channels, **g_options)
        self.discriminator = DISCRIMINATORS.build(
            discriminator, channels=channels * pack, **d_options
        )
        self.info_head = self._info_head() if info_weight else None
        self.clusters = SpectralClusters(channels, self.window, clusters) if clusters else None
        self.class_embedding = None
        if clusters:  # projection discriminator: D(x, c) = ψ(φ(x)) + e_c · φ(x)
            # Initialised from its own generator: a run whose data show no cluster structure
            # (trained unconditioned) then draws the same latent noise as one without clusters.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(torch.initial_seed() + 1)
                self.class_embedding = nn.utils.parametrizations.spectral_norm(
                    nn.Embedding(clusters, self.discriminator.head.in_features)
                )
        # With clusters the spectral term compares each fake batch with its own clusters' data.
        self.spectral = (
            SpectralMatching(channels, self.window, classes=clusters) if spectral_matching else None
        )
        self.generator_ema = EMA(self.generator, ema_decay, warmup=True) if ema_decay else None
        self.data_info: dict[str, Any] | None = None
        self.d_updates = 0  # discriminator optimiser steps so far
        self._d_since_g = 0
        self._n_d = self.toolbox.adaptive.steps if self.toolbox.adaptive else self.toolbox.d_steps
        self.guard = DivergenceGuard.from_options(divergence_guard)
        self.health_signals: dict[str, Any] = {}  # this iteration's, read by HealthMonitor
        self._rolled_back = False

    # --- sampling --------------------------------------------------------------------------
    def sample_latent(
        self,
        n: int,
        *,
        window: tuple[int, int, int] | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Standard normal latent for ``n`` samples of ``window`` (default: training window)."""
        shape = self.generator.latent_shape(window or self.window)
        z = torch.randn((n, *shape), generator=generator)
        if self.clusters is not None:  # the one-hot code of a drawn cluster
            self.clusters.write_codes(z, generator)
        return z.to(self.device)

    def forward(self, z: torch.Tensor, window: tuple[int, int, int] | None = None) -> torch.Tensor:
        """The training generator's output (B, C, T, H, W)."""
        return self.generator(z, window or self.window)

    def sample(self, z: torch.Tensor, window: tuple[int, int, int] | None = None) -> torch.Tensor:
        """Output of the sampling generator: the EMA copy when there is one."""
        return self.sampling_generator(z, window or self.window)

    @property
    def sampling_generator(self) -> torch.nn.Module:
        """The network :meth:`sample` uses: the EMA copy when there is one."""
        return self.generator_ema.module if self.generator_ema is not None else self.generator

    # --- the discriminator's view ----------------------------------------------------------
    def _d_input(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Augment, add instance noise and mask, as D sees real and fake alike."""
        tb = self.toolbox
        if tb.augment is not None:
            x, valid = tb.augment(x, valid)
        if tb.noise is not None:
            x = tb.noise(x, self.global_step)
        return x * valid, valid  # masked cells are identical (0) in real and fake

    def _d(
        self,
        x: torch.Tensor,
        valid: torch.Tensor,
        classes: torch.Tensor | None = None,
    ) -> torch.Tensor:
        m = self.toolbox.pack
        if m > 1:
            x, valid = pack(x, m), valid[::m]
        if classes is None:
            return self.discriminator(x, mask=valid)
        features = self.discriminator.embed(x, valid)
        projection = (self.class_embedding(classes) * features).sum(dim=1)
        return self.discriminator.head(features).squeeze(-1) + projection

    # --- the training step -----------------------------------------------------------------
    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        real, valid = batch  # (B, C, T, H, W) with masked cells at 0; (B, 1, 1, H, W)
        opt_g, opt_d = self.optimizers()
        logs: dict[str, Any] = {}
        r_t = None
        self._rolled_back = False
        if self._n_d > 0:
            logs.update(self._discriminator_step(real, valid, opt_d))
            r_t = logs.get("d_confidence")
            self._d_since_g += 1
        if self._d_since_g >= self._n_d and not self._rolled_back:
            for _ in range(self.toolbox.g_steps):
                logs.update(self._generator_step(real, valid, opt_g))
                if self._rolled_back:
                    break
            self._d_since_g = 0
            if self.generator_ema is not None and not self._rolled_back:
                self.generator_ema.update(self.generator)
            if self.toolbox.adaptive is not None and not self._rolled_back:
                self._n_d = self.toolbox.adaptive.update(r_t)
        if self._rolled_back:  # the last good state is back; skip this iteration's bookkeeping
            self._log_signals({**logs, "rolled_back": 1.0})
            return
        self.guard.good_iteration(self, self.trainer.optimizers, self.global_step)
        logs["d_steps_per_g"] = float(self._n_d)
        if self.toolbox.noise is not None:
            logs["instance_noise_sigma"] = self.toolbox.noise.sigma_at(self.global_step)
        self._log_signals(logs)

    def _log_signals(self, logs: dict[str, Any]) -> None:
        """Log this iteration's values and hand them to the health monitor."""
        for name, opt in zip(("lr_g", "lr_d"), self.trainer.optimizers, strict=True):
            logs[name] = opt.param_groups[0]["lr"]
        logs["rollbacks"] = float(self.guard.rollbacks)
        self.health_signals = logs
        shown = {k: logs[k] for k in ("loss_d", "loss_g") if k in logs}
        self.log_dict(shown, prog_bar=True)
        self.log_dict(
            {
                k: v
                for k, v in logs.items()
                if k not in shown and (not torch.is_tensor(v) or v.numel() == 1)
            }
        )

    def _finite_or_rollback(self, total: torch.Tensor, grad_norm: torch.Tensor, net: str) -> bool:
        """True if the step may be taken; else roll back to the last good state (guard on)."""
        if not self.guard.enabled or is_finite(total, grad_norm):
            return True
        what = "loss" if not is_finite(total) else "gradient"
        self.guard.rollback(
            self, self.trainer.optimizers, self.global_step, f"non-finite {net} {what}"
        )
        self._rolled_back = True
        return False

    def _discriminator_step(self, real, valid, opt_d) -> dict[str, Any]:
        tb = self.toolbox
        self.toggle_optimizer(opt_d)
        z = self.sample_latent(real.shape[0])
        with torch.no_grad():
            fake = self(z)
        c_real, c_fake = self._classes(real, valid, z)
        real_in, real_mask = self._d_input(real, valid)
        fake_in, fake_mask = self._d_input(fake, valid)
        d_real, d_fake = self._d(real_in, real_mask, c_real), self._d(fake_in, fake_mask, c_fake)
        if tb.label_tricks:
            loss_d = bce_discriminator_loss(
                d_real, d_fake, real_target=tb.real_target, flip=tb.flip
            )
        else:
            loss_d = tb.loss.discriminator(d_real, d_fake)
        total = loss_d
        for reg in tb.regularizers:
            if reg.due(self.d_updates):
                total = total + reg(lambda x: self._d(x, real_mask, c_real), real_in, fake_in)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(total)
        norms = grad_norms(self.discriminator, "d")
        if not self._finite_or_rollback(total, norms["grad_norm_d"], "discriminator"):
            self.untoggle_optimizer(opt_d)
            return {"loss_d": loss_d.detach()}
        self._step_uncounted(opt_d)
        for reg in tb.regularizers:
            reg.after_discriminator_step(self.discriminator)
        self.untoggle_optimizer(opt_d)
        self.d_updates += 1
        d_real_mean, d_fake_mean = d_real.mean().detach(), d_fake.mean().detach()
        return {
            "loss_d": loss_d.detach(),
            "d_real": d_real_mean,
            "d_fake": d_fake_mean,
            "d_gap": d_real_mean - d_fake_mean,
            "d_confidence": discriminator_confidence(d_real),
            "d_accuracy": discriminator_accuracy(d_real.detach(), d_fake.detach()),
            **batch_diversity(fake * valid, real),
            **norms,
            # Per-window tensors for the health monitor's direction histograms; not logged.
            "fake_directions": propagation_directions(fake * valid),
            "real_directions": propagation_directions(real),
        }

    def _classes(self, real, valid, z) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The clusters of a real batch and of the fakes drawn from ``z`` (None: unconditioned)."""
        if self.clusters is None or not bool(self.clusters.structured):
            return None, None
        return self.clusters.assign(real * valid), self.clusters.codes(z)

    def _info_head(self) -> nn.Module:
        """InfoGAN's Q on D's pooled features: FC 128, batch norm, leaky ReLU, FC to one logit
        per category, as the paper's Q head. The batch norm matters: D's pooled features
        differ between samples by a few % of their size, too little for a bare linear map
        learning at GAN rates to read."""
        k = getattr(self.generator, "latent_categories", 0)
        if not k:
            raise StganError(
                "model.info_weight needs a generator with categories: generator conv3d "
                "with generator_options {latent_vector: 64, latent_categories: 8}"
            )
        if not hasattr(self.discriminator, "embed") or self.toolbox.pack > 1:
            raise StganError(
                "model.info_weight reads D's features: it needs discriminator conv3d and pack 1"
            )
        return nn.Sequential(
            nn.Linear(self.discriminator.head.in_features, 128),
            nn.BatchNorm1d(128),
            nn.LeakyReLU(0.1),
            nn.Linear(128, k),
        )

    def _generator_step(self, real, valid, opt_g) -> dict[str, Any]:
        tb = self.toolbox
        self.toggle_optimizer(opt_g)
        z = self.sample_latent(real.shape[0])
        fake = self(z)
        c_real, c_fake = self._classes(real, valid, z)
        fake_in, fake_mask = self._d_input(fake, valid)
        real_scores = None
        if tb.loss.needs_real_for_generator:
            with torch.no_grad():
                real_scores = self._d(*self._d_input(real, valid), c_real)
        if tb.unrolled_steps:
            real_in, real_mask = self._d_input(real, valid)
            loss_g = unrolled_generator_loss(
                self.discriminator,
                tb.loss.discriminator,
                lambda scores: tb.loss.generator(scores, real_scores),
                real_in,
                fake_in,
                steps=tb.unrolled_steps,
                lr=tb.unrolled_lr,
                d_fn_kwargs={"mask": real_mask},
            )
        else:
            loss_g = tb.loss.generator(self._d(fake_in, fake_mask, c_fake), real_scores)
        total = loss_g
        if tb.mode_seeking:
            z2 = self.sample_latent(real.shape[0])
            total = total + tb.mode_seeking * mode_seeking_loss(fake, self(z2), z, z2)
        terms = {}
        if self.info_head is not None:
            logits = self.info_head(self.discriminator.embed(fake_in, fake_mask))
            terms["loss_info"] = nn.functional.cross_entropy(logits, self.generator.categories(z))
            total = total + tb.info_weight * terms["loss_info"]
        if self.spectral is not None:
            terms["loss_spectral"] = self.spectral(fake * valid, real, c_fake, c_real)
            total = total + tb.spectral_matching * terms["loss_spectral"]
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(total)
        norms = grad_norms(self.generator, "g")
        if not self._finite_or_rollback(total, norms["grad_norm_g"], "generator"):
            self.untoggle_optimizer(opt_g)
            return {"loss_g": loss_g.detach()}
        opt_g.step()  # counted: global_step is the number of generator updates
        self.untoggle_optimizer(opt_g)
        return {"loss_g": loss_g.detach(), **norms, **{k: v.detach() for k, v in terms.items()}}

    def _step_uncounted(self, optimizer) -> None:
        # Lightning's manual loop counts every LightningOptimizer.step() in global_step; going
        # through the strategy (precision plugin and AMP scaler included) steps D without
        # counting, so global_step counts generator updates.
        self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=lambda: None, model=self)

    def configure_optimizers(self):
        hp = self.hparams
        # InfoGAN's Q learns with G: both minimise the category cross-entropy.
        g_params = [
            *self.generator.parameters(),
            *(self.info_head.parameters() if self.info_head is not None else []),
        ]
        opt_g = torch.optim.Adam(g_params, lr=hp.lr_g, betas=tuple(hp.betas_g))
        d_params = [
            *self.discriminator.parameters(),
            *(self.class_embedding.parameters() if self.class_embedding is not None else []),
        ]
        opt_d = torch.optim.Adam(d_params, lr=hp.lr_d, betas=tuple(hp.betas_d))
        return opt_g, opt_d

    # --- checkpoints -----------------------------------------------------------------------
    def on_fit_start(self) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is not None and hasattr(datamodule, "info"):
            self.data_info = datamodule.info
        aug = self.toolbox.augment
        if aug is not None and aug.roll_x and not (self.data_info or {}).get("periodic_x"):
            raise StganError(
                "augment roll_x needs a periodic (global) longitude axis, and this "
                "grid is not; drop roll_x"
            )
        self._mkldnn_was = None
        if self.device.type == "cpu" and str(self.trainer.precision).startswith("bf16"):
            # torch's oneDNN bf16 conv3d gives a wrong (NaN or ~1e37) weight gradient for some
            # shapes, e.g. 2 time steps under a 3x3x3 kernel (seen with torch 2.13); torch's
            # own CPU kernels are right. Train without oneDNN, and say so.
            self._mkldnn_was = torch.backends.mkldnn.enabled
            torch.backends.mkldnn.enabled = False
            rank_zero_info(
                "stgan: bf16 on CPU trains without oneDNN (its bf16 conv3d gradients "
                "are wrong for some shapes); expect little speed-up over 32-true"
            )

        if datamodule is not None and hasattr(datamodule, "count_windows"):
            warning = short_record_warning(
                datamodule.count_windows("train"),
                datamodule.batch_size,
                self.clusters.k if self.clusters is not None else 0,
            )
            if warning:
                rank_zero_info(warning)
        if self.clusters is not None and not bool(self.clusters.fitted):
            self._fit_clusters(datamodule)

    def _fit_clusters(self, datamodule) -> None:
        if datamodule is None:
            raise StganError(
                "model.clusters needs the training data before training: fit with a "
                "datamodule (stgan fit does)"
            )
        clusters = self.clusters
        rank_zero_info(
            f"stgan: model.clusters {clusters.k}: clustering up to {FIT_WINDOWS} training "
            f"windows by their space-time spectra before training"
        )
        n = clusters.fit_batches(datamodule.train_dataloader(), self.device)
        if clusters.used < clusters.k:  # rank zero's own fit: the one broadcast below
            used = f"{clusters.used} cluster{'s' if clusters.used > 1 else ''}"
            rank_zero_info(
                f"stgan: only {clusters.distinct} distinct windows: using {used} instead of "
                f"{clusters.k} ({CLUSTER_WINDOWS} distinct windows per cluster at least; "
                f"the other {clusters.k - clusters.used} are never drawn)"
            )
        # Under DDP every process clusters its own shard; all must use one set of clusters
        # (the class embedding's gradients are averaged across them): rank zero's.
        state = self.trainer.strategy.broadcast(
            {k: v.cpu() for k, v in clusters.state_dict().items()}
        )
        clusters.load_state_dict({k: v.to(self.device) for k, v in state.items()})
        if bool(clusters.structured):
            shares = " ".join(f"{f:.2f}" for f in clusters.frequencies.tolist())
            rank_zero_info(
                f"stgan: {clusters.k} spectral clusters of {n} training windows "
                f"(silhouette {float(clusters.silhouette):.2f}), shares {shares}"
            )
        else:
            rank_zero_info(
                f"stgan: {n} training windows show no cluster structure (silhouette "
                f"{float(clusters.silhouette):.2f} < {STRUCTURE}): training unconditioned"
            )

    def on_fit_end(self) -> None:
        if getattr(self, "_mkldnn_was", None) is not None:
            torch.backends.mkldnn.enabled = self._mkldnn_was

    def on_train_start(self) -> None:
        # The state to roll back to if the very first steps diverge.
        self.guard.snapshot(self, self.trainer.optimizers, self.global_step)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if not weights_finite(self):  # never write NaN weights, whatever asked for the save
            raise StganError(
                "refusing to write a checkpoint with non-finite weights: training "
                "diverged; lower the learning rates or keep model.divergence_guard on"
            )
        # Everything `stgan generate` needs beyond the weights: names, units, coordinates and
        # transforms, as plain types so the file loads with torch.load(weights_only=True).
        checkpoint["stgan"] = {
            "format": CHECKPOINT_FORMAT,
            "data": self.data_info,
            "counters": self._counters(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.data_info = checkpoint.get("stgan", {}).get("data")
        self._restore_counters(checkpoint.get("stgan", {}).get("counters"))

    def _counters(self) -> dict[str, Any]:
        """The step bookkeeping a resumed run needs to continue exactly, as plain types."""
        counters: dict[str, Any] = {
            "d_updates": self.d_updates,
            "d_since_g": self._d_since_g,
            "n_d": self._n_d,
        }
        adaptive = self.toolbox.adaptive
        if adaptive is not None:
            counters["adaptive"] = {
                "steps": adaptive.steps,
                "confidence": adaptive.confidence,
                "skipped": adaptive.skipped,
            }
        if hasattr(self, "guard"):
            counters["rollbacks"] = int(getattr(self.guard, "rollbacks", 0))
        return counters

    def _restore_counters(self, counters: dict[str, Any] | None) -> None:
        if not counters:  # a checkpoint from before the counters were saved
            return
        self.d_updates = int(counters["d_updates"])
        self._d_since_g = int(counters["d_since_g"])
        self._n_d = int(counters["n_d"])
        adaptive = self.toolbox.adaptive
        if adaptive is not None and "adaptive" in counters:
            adaptive.steps = int(counters["adaptive"]["steps"])
            adaptive.confidence = counters["adaptive"]["confidence"]
            adaptive.skipped = int(counters["adaptive"]["skipped"])
        if hasattr(self, "guard") and "rollbacks" in counters and hasattr(self.guard, "rollbacks"):
            self.guard.rollbacks = int(counters["rollbacks"])
