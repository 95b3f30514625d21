"""The toolbox inside real Lightning training: step counts, config-time errors, every preset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from stgan.cli import main
from stgan.data.datamodule import SpaceTimeDataModule
from stgan.training.module import GANModule

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TINY_MODEL = dict(
    generator_options={"latent_channels": 4, "width": 4, "spatial_upsamples": 1},
    discriminator_options={"width": 4, "depth": 2},
)


def _train(
    grf_file, tmp_path, max_steps: int, callbacks=(), **model_options
) -> tuple[GANModule, dict[str, int]]:
    """Train a tiny model for ``max_steps`` G updates, counting every optimiser step taken."""
    pl.seed_everything(0)
    dm = SpaceTimeDataModule(str(grf_file), window_length=4, batch_size=4, samples_per_epoch=400)
    module = GANModule(channels=1, window=dm.window, **{**TINY_MODEL, **model_options})
    counts = {"g": 0, "d": 0}
    trainer = pl.Trainer(
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        accelerator="cpu",
    )

    class Count(pl.Callback):
        def on_train_start(self, trainer, pl_module):
            opt_g, opt_d = trainer.optimizers  # the torch optimisers themselves
            opt_g.register_step_post_hook(lambda *a: counts.__setitem__("g", counts["g"] + 1))
            opt_d.register_step_post_hook(lambda *a: counts.__setitem__("d", counts["d"] + 1))

    trainer.callbacks.extend([Count(), *callbacks])
    trainer.fit(module, dm)
    return module, counts


@pytest.mark.parametrize(("d_steps", "g_steps"), [(5, 1), (1, 1), (1, 3)])
def test_d_and_g_updates_follow_the_ratio(grf_file, tmp_path, d_steps, g_steps):
    module, counts = _train(grf_file, tmp_path, 6, d_steps=d_steps, g_steps=g_steps)
    # max_steps counts generator updates; each G phase follows d_steps D updates.
    assert counts["g"] == 6
    assert counts["d"] == d_steps * (6 // g_steps)
    assert module.d_updates == counts["d"]


def test_reuse_fake_trains_g_on_the_d_steps_windows(grf_file, tmp_path):
    # 2 D steps then 2 G steps per phase: only the last D step draws for the first G step.
    d_steps, g_steps = 2, 2
    calls = {True: [], False: []}  # the latent batches G was run on, in order

    class Record(pl.Callback):
        def __init__(self, into: list) -> None:
            self.into = into

        def on_train_start(self, trainer, pl_module):
            into = self.into
            pl_module.generator.register_forward_pre_hook(lambda m, a: into.append(a[0].clone()))

    for reuse in (True, False):
        module, counts = _train(
            grf_file, tmp_path, 4, d_steps=d_steps, g_steps=g_steps,
            balance={"reuse_fake": reuse}, callbacks=[Record(calls[reuse])],
        )  # fmt: skip
        assert counts["g"] == 4 and counts["d"] == d_steps * (4 // g_steps)
        assert all(torch.isfinite(p).all() for p in module.generator.parameters())
    # Each G phase's first update runs on the windows of the D step just before it: one
    # generator forward pass fewer per phase, nothing else changed.
    phases = 4 // g_steps
    assert len(calls[False]) == phases * (d_steps + g_steps)
    assert len(calls[True]) == phases * (d_steps + g_steps - 1)
    # The first phase draws the same latents either way (one seed), the generator not yet moved.
    torch.testing.assert_close(calls[True][0], calls[False][0])


def test_ema_generator_is_used_for_sampling(grf_file, tmp_path):
    module, _ = _train(grf_file, tmp_path, 3, ema_decay=0.5)
    z = module.sample_latent(2)
    with torch.no_grad():
        live, ema = module(z), module.sample(z)
    assert not torch.allclose(live, ema)
    assert int(module.generator_ema.num_updates) == 3


def test_weight_clipping_bounds_the_trained_discriminator(grf_file, tmp_path):
    module, _ = _train(
        grf_file, tmp_path, 3, loss="wgan", regularizers=[{"name": "clip", "c": 0.02}]
    )
    assert max(p.abs().max().item() for p in module.discriminator.parameters()) <= 0.02 + 1e-7


CATEGORICAL = dict(
    generator_options={
        "latent_channels": 4,
        "width": 4,
        "spatial_upsamples": 1,
        "latent_vector": 12,
        "latent_categories": 4,
    },
    discriminator_options={"width": 4, "depth": 2},
)


def test_info_term_trains_the_category_classifier_with_the_generator(grf_file, tmp_path):
    module, counts = _train(grf_file, tmp_path, 3, info_weight=1.0, **CATEGORICAL)
    assert counts["g"] == 3
    # Q learns in G's optimiser (both minimise the cross-entropy), not in D's.
    opt_g, opt_d = module.configure_optimizers()
    q = {id(p) for p in module.g_terms["info"].head.parameters()}
    assert q <= {id(p) for group in opt_g.param_groups for p in group["params"]}
    assert not q & {id(p) for group in opt_d.param_groups for p in group["params"]}
    # On the InfoGAN term alone, G and Q make the 4 categories tell apart: the cross-entropy
    # falls from log 4 (chance) to a quarter of it within 60 steps.
    torch.manual_seed(0)
    opt = torch.optim.Adam(
        [*module.generator.parameters(), *module.g_terms["info"].head.parameters()], lr=1e-2
    )
    losses = []
    for _ in range(60):
        z = module.sample_latent(32)
        logits = module.g_terms["info"].head(module.discriminator.embed(module(z)))
        loss = torch.nn.functional.cross_entropy(logits, module.generator.categories(z))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 0.8 * np.log(4) and np.mean(losses[-5:]) < 0.25 * np.log(4)


def test_spectral_term_follows_the_real_batches_and_is_checkpointed(grf_file, tmp_path):
    module, counts = _train(grf_file, tmp_path, 3, spectral_matching=1.0)
    assert counts["g"] == 3
    # One real batch folded into the running mean per generator update; it is a buffer, so
    # checkpoints carry it, and it holds positive power in every bin of the (4, H, W) window.
    assert int(module.g_terms["spectral_matching"].matching.seen) == 3
    state = module.state_dict()
    key = "g_terms.spectral_matching.matching.real_power"
    assert key in state and bool((state[key] > 0).all())
    assert "loss_spectral" in module.health_signals
    assert float(module.health_signals["loss_spectral"]) > 0


@pytest.mark.parametrize(
    ("options", "needles"),
    [
        (
            ["--model.loss", "hinge", "--model.label_smoothing", "0.1"],
            ("need a BCE loss", "nonsaturating"),
        ),
        (["--model.regularizers", "[{name: r1, gamma: -1}]"], ("gamma",)),
        (
            ["--model.regularizers", "[{name: gq}]"],
            ("unknown penalty 'gq'", "gp", "r1", "clip"),
        ),
        (["--model.regularizers", "[{gamma: 1}]"], ("needs a name",)),
        (
            ["--model.instance_noise", "{sigma: 0.1, schedule: steep}"],
            ("unknown noise schedule 'steep'", "cosine"),
        ),
        (["--model.d_steps", "0"], ("d_steps must be an integer >= 1",)),
        (["--model.unrolled_steps", "2", "--model.pack", "2"], ("cannot be combined",)),
        (["--model.augment", "{roll_x: true}"], ("roll_x needs a periodic",)),
        (
            ["--model.info_weight", "1"],
            ("g_terms info needs a generator with categories", "latent_categories"),
        ),
        (["--model.info_weight", "-1"], ("g_terms info weight must be >= 0",)),
        (["--model.spectral_matching", "-1"], ("g_terms spectral_matching weight must be >= 0",)),
    ],
)
def test_invalid_toolbox_settings_fail_with_the_valid_choices(
    grf_file, tmp_path, capsys, options, needles
):
    code = main(
        [
            "fit",
            "--config",
            str(CONFIGS / "demo.yaml"),
            "--data.path",
            str(grf_file),
            "--trainer.default_root_dir",
            str(tmp_path),
            "--trainer.max_steps",
            "1",
            "--data.window_length",
            "4",
            "--data.batch_size",
            "4",
            *options,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("stgan: error: ")
    for needle in needles:
        assert needle in line


@pytest.mark.parametrize(
    "preset",
    [
        "vanilla",
        "nonsaturating",
        "wgan-gp",
        "hinge-sn-r1",
        "ns-instance-noise",
        "unrolled",
        "convgru",
        "spatiotemporal",
        "latent-vector",
        "spectral-matching",
        "recommended",
    ],
)
def test_every_preset_trains_end_to_end(grf_file, tmp_path, capsys, preset):
    code = main(
        [
            "fit",
            "--config",
            str(CONFIGS / "demo.yaml"),
            "--config",
            str(CONFIGS / f"{preset}.yaml"),
            "--data.path",
            str(grf_file),
            "--trainer.default_root_dir",
            str(tmp_path),
            "--trainer.max_steps",
            "2",
            "--data.window_length",
            "4",
            "--data.batch_size",
            "4",
            "--metrics.every_n_steps",
            "1",
            "--metrics.num_samples",
            "4",
            "--trainer.enable_progress_bar",
            "false",
        ]
    )
    assert code == 0, capsys.readouterr().err
    ckpts = list((tmp_path / "logs" / "version_0" / "checkpoints").glob("*.ckpt"))
    assert any(c.name == "last.ckpt" for c in ckpts) and any(
        c.name.startswith("best-") for c in ckpts
    )
    ckpt = torch.load(
        tmp_path / "logs" / "version_0" / "checkpoints" / "last.ckpt", weights_only=True
    )
    assert ckpt["global_step"] == 2
    assert all(
        torch.isfinite(v).all() for v in ckpt["state_dict"].values() if v.is_floating_point()
    )


@pytest.mark.parametrize("preset", ["demo", "convgru"])
def test_generate_longer_sequences(grf_file, tmp_path, capsys, preset):
    import xarray as xr

    configs = ["--config", str(CONFIGS / "demo.yaml")]
    if preset != "demo":
        configs += ["--config", str(CONFIGS / f"{preset}.yaml")]
    assert (
        main(
            [
                "fit",
                *configs,
                "--data.path",
                str(grf_file),
                "--trainer.max_steps",
                "1",
                "--trainer.default_root_dir",
                str(tmp_path),
                "--data.window_length",
                "4",
                "--data.batch_size",
                "4",
                "--metrics.every_n_steps",
                "0",
                "--trainer.enable_progress_bar",
                "false",
            ]
        )
        == 0
    )
    ckpt = str(tmp_path / "logs" / "version_0" / "checkpoints" / "last.ckpt")
    capsys.readouterr()
    assert (
        main(
            [
                "generate",
                "--checkpoint",
                ckpt,
                "--num-samples",
                "2",
                "--length",
                "30",
                "--output",
                str(tmp_path / "long.nc"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    with xr.open_dataset(tmp_path / "long.nc") as ds:
        assert ds["field"].shape == (2, 30, 16, 16) and np.isfinite(ds["field"].values).all()
    expected = "receptive field" if preset == "demo" else "ConvGRU steps its state"
    assert f"note: {expected}" in out or expected in out
    assert (
        main(
            [
                "generate",
                "--checkpoint",
                ckpt,
                "--num-samples",
                "2",
                "--length",
                "0",
                "--output",
                str(tmp_path / "bad.nc"),
            ]
        )
        == 2
    )
    assert "--length must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("generator", ["conv3d", "convgru"])
@pytest.mark.parametrize("discriminator", ["conv3d", "convgru", "spatiotemporal"])
def test_every_generator_discriminator_pair_trains(
    grf_file, tmp_path, capsys, generator, discriminator
):
    assert (
        main(
            [
                "fit",
                "--config",
                str(CONFIGS / "demo.yaml"),
                "--data.path",
                str(grf_file),
                "--model.generator",
                generator,
                "--model.generator_options",
                "{width: 4}",
                "--model.discriminator",
                discriminator,
                "--model.discriminator_options",
                "{width: 4}",
                "--trainer.max_steps",
                "2",
                "--trainer.default_root_dir",
                str(tmp_path),
                "--data.window_length",
                "4",
                "--data.batch_size",
                "4",
                "--metrics.every_n_steps",
                "0",
                "--trainer.enable_progress_bar",
                "false",
            ]
        )
        == 0
    ), capsys.readouterr().err
    ckpt = torch.load(
        tmp_path / "logs" / "version_0" / "checkpoints" / "last.ckpt", weights_only=True
    )
    assert (
        ckpt["global_step"] == 2
        and ckpt["hyper_parameters"]["discriminator"]["name"] == discriminator
    )
