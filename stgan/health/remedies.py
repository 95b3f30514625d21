"""The remedy catalogue: for each failure the monitor can name, the toolbox options that answer it.

Each entry is a config line a user can paste (DESIGN.md's table of problems and remedies),
quoted in the alarm's message and in ``health.json``.
"""

from __future__ import annotations

REMEDIES: dict[str, list[str]] = {
    "mode_collapse": [
        "model.clusters: 16 with model.generator_options.latent_vector: 64 (self-conditioning; "
        "part of the recommended preset)",
        "model.d_steps: 5 (n_critic)",
        "model.loss: wgan with model.regularizers [{name: gp}]",
        "model.unrolled_steps: 5",
        "model.discriminator_options.minibatch_std: true",
        "model.pack: 2 (PacGAN)",
        "model.mode_seeking: 1.0",
        "model.generator_options.latent_categories: 8 with model.info_weight: 1.0 (InfoGAN)",
    ],
    "vanishing_gradients": [
        "model.loss: nonsaturating",
        "model.loss: wgan with model.regularizers [{name: gp}]",
        "model.loss: hinge",
        "model.loss: lsgan",
        "model.instance_noise: {sigma: 0.1}",
        "model.discriminator_options.spectral_norm: true",
        "model.regularizers: [{name: r1, gamma: 1}]",
    ],
    "d_overpowering": [
        "model.instance_noise: {sigma: 0.1}",
        "model.label_smoothing: 0.1",
        "model.regularizers: [{name: r1, gamma: 1}]",
        "model.discriminator_options.spectral_norm: true",
        "lower model.lr_d (TTUR)",
        "model.adaptive_d: {target: 0.6}",
    ],
    "g_overpowering": [
        "model.d_steps: 2 or more (n_critic)",
        "raise model.lr_d (TTUR)",
        "model.adaptive_d: {target: 0.6}",
        "model.unrolled_steps: 5",
    ],
    "no_progress": [
        "model.instance_noise: {sigma: 0.1, schedule: linear}",
        "model.regularizers: [{name: r1, gamma: 1}]",
        "model.discriminator_options.spectral_norm: true",
        "TTUR (model.lr_d > model.lr_g)",
        "model.ema_decay: 0.999",
        "model.adaptive_d: {target: 0.6}",
        "the hinge-sn-r1 preset",
    ],
    "divergence": [
        "lower model.lr_g and model.lr_d",
        "model.regularizers: [{name: r1, gamma: 1}] or gp",
        "model.discriminator_options.spectral_norm: true",
        "the hinge-sn-r1 preset",
    ],
}
