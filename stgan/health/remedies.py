"""The remedy catalogue: for each failure the monitor can name, the toolbox options that answer it.

Each entry is a config line a user can paste (DESIGN.md's table of problems and remedies),
quoted in the alarm's message and in ``health.json``.
"""

from __future__ import annotations

REMEDIES: dict[str, list[str]] = {
    "mode_collapse": [
        "model.clusters: 16 with model.generator.options.latent_vector: 64 (self-conditioning; "
        "part of the recommended preset)",
        "model.balance.d_steps: 5 (n_critic)",
        "model.loss.name: wgan with model.penalties [{name: gp}]",
        "model.balance.unrolled_steps: 5",
        "model.discriminator.options.minibatch_std: true",
        "model.discriminator.pack: 2 (PacGAN)",
        "model.g_terms: [{name: mode_seeking, weight: 1.0}]",
        "model.generator.options.latent_categories: 8 with model.g_terms "
        "[{name: info, weight: 1.0}] (InfoGAN)",
    ],
    "vanishing_gradients": [
        "model.loss.name: nonsaturating",
        "model.loss.name: wgan with model.penalties [{name: gp}]",
        "model.loss.name: hinge",
        "model.loss.name: lsgan",
        "model.noise: {sigma: 0.1}",
        "model.discriminator.options.spectral_norm: true",
        "model.penalties: [{name: r1, gamma: 1}]",
    ],
    "d_overpowering": [
        "model.noise: {sigma: 0.1}",
        "model.loss.label_smoothing: 0.1",
        "model.penalties: [{name: r1, gamma: 1}]",
        "model.discriminator.options.spectral_norm: true",
        "lower model.optimizer.lr_d (TTUR)",
        "model.balance.adaptive: {target: 0.6}",
    ],
    "g_overpowering": [
        "model.balance.d_steps: 2 or more (n_critic)",
        "raise model.optimizer.lr_d (TTUR)",
        "model.balance.adaptive: {target: 0.6}",
        "model.balance.unrolled_steps: 5",
    ],
    "no_progress": [
        "model.noise: {sigma: 0.1, schedule: linear}",
        "model.penalties: [{name: r1, gamma: 1}]",
        "model.discriminator.options.spectral_norm: true",
        "TTUR (model.optimizer.lr_d > lr_g)",
        "model.ema.decay: 0.999",
        "model.balance.adaptive: {target: 0.6}",
        "the hinge-sn-r1 preset",
    ],
    "divergence": [
        "lower model.optimizer.lr_g and lr_d",
        "model.penalties: [{name: r1, gamma: 1}] or gp",
        "model.discriminator.options.spectral_norm: true",
        "the hinge-sn-r1 preset",
    ],
}
