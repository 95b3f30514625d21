"""GANModule: the adversarial training step under Lightning's manual optimisation."""

from __future__ import annotations

import inspect
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from stgan.conditioning.conditions import Conditions
from stgan.conditioning.network import conditioned, run_generator
from stgan.conditioning.place import Place
from stgan.errors import StganError
from stgan.nn.build import build_network
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.old_keys import upgrade_state_dict
from stgan.sampler import draw_latent
from stgan.stabilization.clusters import SpectralClusters, check_options, oriented
from stgan.stabilization.diversity import pack
from stgan.stabilization.ema import EMA
from stgan.stabilization.gterms import build_g_terms
from stgan.training.arguments import build_penalties, resolve_arguments
from stgan.training.checkpoint_state import CheckpointState
from stgan.training.compile import CompiledFit
from stgan.training.fit_start import FitStart
from stgan.training.guard import is_finite
from stgan.training.memory_format import channels_last
from stgan.training.options import (
    AugmentOptions,
    BalanceOptions,
    DiscriminatorOptions,
    EMAOptions,
    GeneratorOptions,
    GuardOptions,
    LossOptions,
    NoiseOptions,
    OptimizerOptions,
)
from stgan.training.signals import logs_this_step, mean_over_ranks
from stgan.training.steps import AdversarialSteps

# The groups' defaults: frozen dataclasses, so one shared instance is safe as a default.
G_DEFAULT, D_DEFAULT = GeneratorOptions(), DiscriminatorOptions()
LOSS_DEFAULT, BALANCE_DEFAULT, OPTIMIZER_DEFAULT = (
    LossOptions(),
    BalanceOptions(),
    OptimizerOptions(),
)
EMA_DEFAULT, GUARD_DEFAULT = EMAOptions(), GuardOptions()


class GANModule(FitStart, CheckpointState, AdversarialSteps, CompiledFit, pl.LightningModule):
    """A generator and a discriminator trained against each other, with the toolbox composed.

    Each training batch makes one discriminator update (unless adaptive balancing skips it);
    after every ``balance.d_steps`` D updates the generator makes ``balance.g_steps`` updates.
    ``trainer.global_step`` and ``trainer.max_steps`` count generator updates, as GAN papers
    count iterations. Every remedy is off by default. The option groups are documented in
    :mod:`stgan.training.options`; the flat keys of earlier versions are still taken (with a
    note on stderr naming the new form, :mod:`stgan.old_keys`).

    Parameters
    ----------
    channels, window
        Number of variables and the ``(T, H, W)`` window; linked from the data by ``stgan fit``.
    generator, discriminator : GeneratorOptions, DiscriminatorOptions
        Registry keys and options; the discriminator's ``pack`` is PacGAN.
    loss : LossOptions
        The adversarial loss and BCE label tricks.
    penalties : list of dict
        D penalties, e.g. ``[{name: r1, gamma: 10, every: 16}]``; keys gp, r1, r2, dragan, cr,
        clip.
    noise, augment : NoiseOptions, AugmentOptions or None
        Instance noise and augmentations of everything D sees; None is off.
    balance, optimizer : BalanceOptions, OptimizerOptions
        D/G step ratio, adaptive balancing, unrolled D; Adam per network (TTUR).
    g_terms : list of dict
        Generator-side terms (:mod:`stgan.stabilization.gterms`), e.g.
        ``[{name: mode_seeking, weight: 1.0}]``; keys info, mode_seeking, spectral_matching.
    ema : EMAOptions
        Generator EMA (decay None: off); the EMA copy is used for sampling and evaluation.
    clusters : int
        Self-conditioning (:mod:`stgan.stabilization.clusters`): ``k >= 2`` clusters the
        training windows by their space-time spectra, and both networks learn conditioned on
        the cluster, G through a one-hot code in its latent vector, D by projection; data
        without cluster structure train unconditioned. Needs a generator with
        ``latent_vector`` (and no ``latent_categories``) and discriminator conv3d. 0: off.
    cluster_codes : int
        One-hot codes G learns per cluster, drawn evenly in training; samples use each
        cluster's code whose windows land in it most often (needs the cluster_consistency
        term, which records that): a code locked onto the wrong mode need not be the one sampled.
    cluster_reversal : bool
        Turn round in time, from then on, a code whose windows miss its cluster while their
        time-reverses land in it (:mod:`stgan.stabilization.clusters`; needs the
        cluster_consistency term).
    guard : GuardOptions
        Non-finite losses or gradients skip the update and roll back (:mod:`stgan.training.guard`).
    periodic_x : bool
        The windows are periodic in x (linked from the data by ``stgan fit``): G and D pad by
        wrapping in x, unless their options set ``periodic_x`` themselves.
    conditioning : dict or None
        The conditions' spec (:mod:`stgan.conditioning`), linked from ``data.conditions`` by
        ``stgan fit``: G and D then see where and when each window lies. None: unconditional.
    channels_last : bool
        Train G, D and the EMA copy, and feed the batches, in channels-last-3d memory
        (:mod:`stgan.training.memory_format`): the same values, faster 3D convolutions.
    compile : bool
        ``torch.compile`` G and D for training (:mod:`stgan.training.compile`); where that
        cannot work, training runs uncompiled and says why.
    **legacy
        The flat keys of earlier versions (``loss: hinge``, ``d_steps``, ``ema_decay``, ...).
    """

    def __init__(
        self,
        channels: int = 1,
        window: tuple[int, int, int] = (8, 32, 32),
        generator: GeneratorOptions = G_DEFAULT,
        discriminator: DiscriminatorOptions = D_DEFAULT,
        loss: LossOptions = LOSS_DEFAULT,
        penalties: list[dict[str, Any]] | None = None,
        noise: NoiseOptions | None = None,
        augment: AugmentOptions | None = None,
        balance: BalanceOptions = BALANCE_DEFAULT,
        optimizer: OptimizerOptions = OPTIMIZER_DEFAULT,
        g_terms: list[dict[str, Any]] | None = None,
        ema: EMAOptions = EMA_DEFAULT,
        clusters: int = 0,
        cluster_codes: int = 1,
        cluster_reversal: bool = False,
        guard: GuardOptions = GUARD_DEFAULT,
        periodic_x: bool = False,
        conditioning: dict[str, Any] | None = None,
        channels_last: bool = True,
        compile: bool = False,
        **legacy: Any,
    ) -> None:
        super().__init__()
        given = {k: v for k, v in locals().items() if k in inspect.signature(GANModule).parameters}
        arguments, opts = resolve_arguments(given, given.pop("legacy"))
        # Plain types only, so checkpoints load with torch.load(weights_only=True).
        self.save_hyperparameters(arguments)
        g, d, bal = opts["generator"], opts["discriminator"], opts["balance"]
        self.automatic_optimization = False
        self.window = tuple(int(n) for n in window)
        self.pack = d.pack
        if bal.unrolled_steps and d.pack > 1:
            raise StganError(
                "model.balance.unrolled_steps and model.discriminator.pack > 1 cannot be "
                "combined; choose one"
            )
        self.loss_options = opts["loss"]
        self.gan_loss = self.loss_options.loss_class()
        self.penalties = build_penalties(arguments["penalties"])
        self.noise = opts["noise"].build() if opts["noise"] is not None else None
        self.augment = opts["augment"].build() if opts["augment"] is not None else None
        self.balance = bal
        self.adaptive = bal.build_adaptive()
        self.optimizer_options = opts["optimizer"]
        if clusters:
            check_options(
                clusters,
                cluster_codes,
                cluster_reversal,
                g.options,
                d.name,
                d.pack,
                bal.unrolled_steps,
                arguments["penalties"],
                arguments["augment"],
                arguments["g_terms"],
            )
        spec = conditioning
        self.conditions = Conditions(spec) if spec and spec["items"] else None
        k = self.conditions.k if self.conditions is not None else 0
        # A global longitude (periodic_x): no artificial east/west edge in either network.
        self.generator = conditioned(
            build_network(
                GENERATORS,
                g.name,
                g.options,
                channels=channels,
                periodic_x=periodic_x,
                window=self.window,
            ),
            channels,
            self.conditions,
            periodic_x=periodic_x,
        )
        # D sees the conditions as more input channels (concatenated by _d_input).
        self.discriminator = build_network(
            DISCRIMINATORS,
            d.name,
            d.options,
            channels=(channels + k) * d.pack,
            periodic_x=periodic_x,
        )
        self.clusters = (
            SpectralClusters(channels, self.window, clusters, cluster_codes, cluster_reversal)
            if clusters
            else None
        )
        self.g_terms = build_g_terms(arguments["g_terms"], self)
        self.class_embedding = None
        if clusters:  # projection discriminator: D(x, c) = ψ(φ(x)) + e_c · φ(x)
            # Initialised from its own generator: a run whose data show no cluster structure
            # (trained unconditioned) then draws the same latent noise as one without clusters.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(torch.initial_seed() + 1)
                self.class_embedding = nn.utils.parametrizations.spectral_norm(
                    nn.Embedding(clusters, self.discriminator.head.in_features)
                )
        decay = opts["ema"].decay
        self.generator_ema = EMA(self.generator, decay, warmup=True) if decay else None
        self.data_info: dict[str, Any] | None = None
        self.d_updates = 0  # discriminator optimiser steps so far
        self._d_since_g = 0
        self._n_d = self.adaptive.steps if self.adaptive else bal.d_steps
        self.guard = opts["guard"].build()
        self.health_signals: dict[str, Any] = {}  # this iteration's, read by HealthMonitor
        self._rolled_back = False
        # Earlier checkpoints name the generator terms' weights differently; every load path
        # (resume, sampling, load_from_checkpoint) goes through load_state_dict.
        self.register_load_state_dict_pre_hook(
            lambda module, state, *args: upgrade_state_dict(state)
        )

    # --- sampling --------------------------------------------------------------------------
    def sample_latent(
        self,
        n: int,
        *,
        window: tuple[int, int, int] | None = None,
        generator: torch.Generator | None = None,
        train: bool = False,
    ) -> torch.Tensor:
        """Standard normal latent for ``n`` samples of ``window`` (default: training window);
        ``train``: for a training step (every code of a cluster drawn, not the sampled one)."""
        z = draw_latent(self.generator, n, window or self.window, self.clusters, generator, train)
        return z.to(self.device)

    def forward(
        self,
        z: torch.Tensor,
        window: tuple[int, int, int] | None = None,
        cond: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The training generator's output (B, C, T, H, W); ``cond``: its conditions, if any.

        In float32 under mixed precision too: the losses and health signals read it.
        """
        x = run_generator(self.generator, z, window or self.window, cond)
        return oriented(self.clusters, z, x).float()

    def sample(
        self,
        z: torch.Tensor,
        window: tuple[int, int, int] | None = None,
        cond: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Output of the sampling generator: the EMA copy when there is one."""
        x = run_generator(self.sampling_generator, z, window or self.window, cond)
        return oriented(self.clusters, z, x)

    @property
    def sampling_generator(self) -> torch.nn.Module:
        """The network :meth:`sample` uses: the EMA copy when there is one."""
        return self.generator_ema.module if self.generator_ema is not None else self.generator

    # --- the discriminator's view ----------------------------------------------------------
    def _d_input(
        self, x: torch.Tensor, valid: torch.Tensor, cond: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Augment, add instance noise and mask, as D sees real and fake alike.

        Conditions ``cond`` are concatenated first, so an augmentation moves them with the
        window (and instance noise blurs them as it blurs the window).
        """
        if cond is not None:
            x = torch.cat([x, cond.to(x.dtype)], dim=1)
        if self.augment is not None:
            x, valid = self.augment(x, valid)
        if self.noise is not None:
            x = self.noise(x, self.global_step)
        return x * valid, valid  # masked cells are identical (0) in real and fake

    def _d(
        self,
        x: torch.Tensor,
        valid: torch.Tensor,
        classes: torch.Tensor | None = None,
    ) -> torch.Tensor:
        m = self.pack
        if m > 1:
            x, valid = pack(x, m), valid[::m]
        # Scores in float32 under mixed precision too: the losses are computed from them.
        if classes is None:
            return self.discriminator(x, mask=valid).float()
        features = self.discriminator.embed(x, valid).float()
        projection = (self.class_embedding(classes).float() * features).sum(dim=1)
        return self.discriminator.head(features).squeeze(-1).float() + projection

    def _classes(self, real, valid, z) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The clusters of a real batch and of the fakes drawn from ``z`` (None: unconditioned)."""
        if self.clusters is None or not bool(self.clusters.structured):
            return None, None
        return self.clusters.assign(real * valid), self.clusters.codes(z)

    # --- the training step -----------------------------------------------------------------
    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        """One iteration: a D step and, when D has taken its share, ``g_steps`` G steps.

        ``batch`` is ``(real, valid, corner, time)``: (B, C, T, H, W) with masked cells at 0, the mask
        (B, 1, 1, H, W), and where the windows lie (:class:`Place`; a batch of the first two
        alone trains an unconditional model). After the G steps the EMA and the adaptive balance
        are updated; a non-finite loss or gradient rolls back to the last good state
        (``model.guard``). The iteration's signals are logged and handed to the health monitor.
        Returns nothing: the optimisation is manual.
        """
        real, valid, *where = batch  # (B, C, T, H, W), masked cells at 0; (B, 1, 1, H, W)
        if self.hparams.get("channels_last", True):
            real = channels_last(real)
        cond = None
        if self.conditions is not None:  # where: the windows' corners (B, 2), times (B, T, 4)
            cond = self.conditions(Place(*where, field=real), self.window)
        opt_g, opt_d = self.optimizers()
        logs: dict[str, Any] = {}
        r_t = None
        self._rolled_back = False
        drawn = None  # balance.reuse_fake: (z, G(z)) of the last D step, for the first G update
        if self._n_d > 0:
            if self.balance.reuse_fake and self._d_since_g + 1 >= self._n_d:
                z = self.sample_latent(real.shape[0], train=True)
                drawn = (z, self(z, cond=cond))  # G's graph kept for the G update
            logs.update(self._discriminator_step(real, valid, opt_d, cond, drawn))
            r_t = logs.get("d_confidence")
            self._d_since_g += 1
        if self._d_since_g >= self._n_d and not self._rolled_back:
            for i in range(self.balance.g_steps):
                logs.update(
                    self._generator_step(real, valid, opt_g, cond, drawn if i == 0 else None)
                )
                if self._rolled_back:
                    break
            self._d_since_g = 0
            if self.generator_ema is not None and not self._rolled_back:
                self.generator_ema.update(self.generator)
            if self.adaptive is not None and not self._rolled_back:
                self._n_d = self.adaptive.update(mean_over_ranks(self, r_t))
        if self._rolled_back:  # the last good state is back; skip this iteration's bookkeeping
            self._log_signals({**logs, "rolled_back": 1.0})
            return
        self.guard.good_iteration(self, self.trainer.optimizers, self.global_step)
        logs["d_steps_per_g"] = float(self._n_d)
        if self.noise is not None:
            logs["instance_noise_sigma"] = self.noise.sigma_at(self.global_step)
        self._log_signals(logs)

    def _log_signals(self, logs: dict[str, Any]) -> None:
        """Log this iteration's values and hand them to the health monitor."""
        for name, opt in zip(("lr_g", "lr_d"), self.trainer.optimizers, strict=True):
            logs[name] = opt.param_groups[0]["lr"]
        logs["rollbacks"] = float(self.guard.rollbacks)
        self.health_signals = logs
        if not logs_this_step(self.trainer):
            return
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

    def _step_uncounted(self, optimizer) -> None:
        # Lightning's manual loop counts every LightningOptimizer.step() in global_step; going
        # through the strategy (precision plugin and AMP scaler included) steps D without
        # counting, so global_step counts generator updates.
        self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=lambda: None, model=self)

    def configure_optimizers(self):
        """Adam for G (with the G terms' parameters) and for D (with the class embedding).

        Returns
        -------
        tuple of torch.optim.Adam
            ``(opt_g, opt_d)`` with ``model.optimizer``'s learning rates and betas (TTUR).
        """
        o = self.optimizer_options
        # The generator terms' parameters (InfoGAN's Q) learn with G: both minimise the term.
        g_params = [*self.generator.parameters(), *self.g_terms.parameters()]
        opt_g = torch.optim.Adam(g_params, lr=o.lr_g, betas=tuple(o.betas_g))
        d_params = [
            *self.discriminator.parameters(),
            *(self.class_embedding.parameters() if self.class_embedding is not None else []),
        ]
        opt_d = torch.optim.Adam(d_params, lr=o.lr_d, betas=tuple(o.betas_d))
        return opt_g, opt_d
