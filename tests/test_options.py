"""The model's typed option groups: validation, the upgrade of old keys, old and new CLI forms."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from conftest import run_stgan

from stgan.checkpoint import load_checkpoint
from stgan.errors import StganError
from stgan.training.arguments import GROUPS, as_group
from stgan.training.loading import load_module
from stgan.training.module import GANModule
from stgan.training.upgrade import upgrade_argv, upgrade_model_config

# Written by `stgan fit` before the option groups (commit 5698985, checkpoint format 1): the
# grf fixture, TINY_FIT with latent_vector 12 and latent_categories 4, info_weight 1.0,
# spectral_matching 0.5, mode_seeking 0.5, d_steps 2, ema_decay 0.9, label_smoothing 0.1,
# regularizers [{name: r1, gamma: 1.0, every: 2}], 2 steps.
FORMAT1 = Path(__file__).parent / "data" / "format1.ckpt"
TINY = {
    "generator": {"options": {"latent_channels": 4, "width": 4, "spatial_upsamples": 1}},
    "discriminator": {"options": {"width": 4, "depth": 2}},
}


@pytest.mark.parametrize(
    ("group", "value", "message"),
    [
        ("generator", {"name": "transformer"}, "unknown generator 'transformer'; valid"),
        ("discriminator", {"pack": 0}, "model.discriminator.pack must be an integer >= 1, got 0"),
        ("loss", {"nme": "hinge"}, "model.loss has no option 'nme'; its options are: name, "),
        ("loss", {"name": "hinge", "label_smoothing": 0.1}, "need a BCE loss, but the loss is"),
        ("noise", {"sigma": -1.0}, "instance noise sigma must be >= 0, got -1.0"),
        ("noise", {"schedule": "steep"}, "unknown noise schedule 'steep'"),
        ("augment", {"p": 2.0}, r"augment p must be a probability in \[0, 1\], got 2.0"),
        ("balance", {"d_steps": 0}, "model.balance.d_steps must be an integer >= 1, got 0"),
        ("balance", {"g_steps": 2.5}, "model.balance.g_steps must be an integer >= 1, got 2.5"),
        ("balance", {"adaptive": {"targt": 0.6}}, "model.balance.adaptive has no option 'targt'"),
        ("balance", {"unrolled_lr": 0.0}, "model.balance.unrolled_lr must be > 0"),
        ("optimizer", {"lr_g": float("nan")}, "model.optimizer.lr_g must be a positive"),
        ("optimizer", {"betas_d": [0.5, 1.0]}, r"model.optimizer.betas_d must be two numbers in"),
        ("ema", {"decay": 1.0}, r"ema decay must be in \[0, 1\), got 1.0"),
        ("guard", {"lr_factor": 0.0}, r"model.guard needs lr_factor in \(0, 1\]"),
        ("guard", "on", "model.guard takes a mapping of its options, e.g. {max_rollbacks: 3"),
    ],
)
def test_each_group_refuses_a_bad_value_naming_it(group, value, message):
    with pytest.raises(StganError, match=message):
        as_group(group, value)


def test_defaults_pass_and_null_means_off_or_default():
    for name, cls in GROUPS.items():
        assert as_group(name, {}) == cls()
    assert as_group("noise", None) is None and as_group("augment", None) is None
    assert as_group("guard", None).max_rollbacks == 3  # null: the defaults, not off


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"g_terms": [{"name": "mode_seking"}]}, "unknown generator term 'mode_seking'; valid"),
        ({"g_terms": [{"weight": 1.0}]}, "each model.g_terms entry needs a name and a weight"),
        ({"g_terms": [{"name": "info", "weight": -1}]}, "g_terms info weight must be >= 0"),
        (
            {"g_terms": [{"name": "mode_seeking"}, {"name": "mode_seeking", "weight": 2}]},
            "model.g_terms lists mode_seeking twice",
        ),
        ({"penalties": [{"gamma": 1}]}, "each penalty needs a name, e.g. {name: r1"),
        (
            {"balance": {"unrolled_steps": 2}, "discriminator": {"pack": 2}},
            "unrolled_steps and model.discriminator.pack > 1 cannot be combined",
        ),
        ({"d_stepz": 2}, "GANModule has no option 'd_stepz'"),
    ],
)
def test_module_refuses_bad_lists_and_combinations(options, message):
    with pytest.raises(StganError, match=message):
        GANModule(window=(4, 16, 16), **{**TINY, **options})


OLD = {
    "generator": "conv3d",
    "generator_options": {"width": 4},
    "discriminator": "convgru",
    "discriminator_options": {"width": 8},
    "loss": "nonsaturating",
    "regularizers": [{"name": "r1", "gamma": 1.0}],
    "instance_noise": {"sigma": 0.2},
    "label_smoothing": 0.1,
    "label_flip": 0.05,
    "augment": None,
    "d_steps": 2,
    "g_steps": 3,
    "adaptive_d": {"target": 0.5},
    "unrolled_steps": 4,
    "unrolled_lr": 0.02,
    "pack": 1,
    "mode_seeking": 0.5,
    "info_weight": 0.0,
    "spectral_matching": 2.0,
    "clusters": 0,
    "ema_decay": 0.9,
    "lr_g": 1e-4,
    "lr_d": 4e-4,
    "betas_g": [0.0, 0.9],
    "betas_d": [0.0, 0.99],
    "divergence_guard": {"max_rollbacks": 1},
    "periodic_x": False,
}
NEW = {
    "generator": {"name": "conv3d", "options": {"width": 4}},
    "discriminator": {"name": "convgru", "options": {"width": 8}, "pack": 1},
    "loss": {"name": "nonsaturating", "label_smoothing": 0.1, "label_flip": 0.05},
    "penalties": [{"name": "r1", "gamma": 1.0}],
    "noise": {"sigma": 0.2},
    "augment": None,
    "balance": {
        "d_steps": 2,
        "g_steps": 3,
        "adaptive": {"target": 0.5},
        "unrolled_steps": 4,
        "unrolled_lr": 0.02,
    },
    "optimizer": {"lr_g": 1e-4, "lr_d": 4e-4, "betas_g": [0.0, 0.9], "betas_d": [0.0, 0.99]},
    "ema": {"decay": 0.9},
    "g_terms": [
        {"name": "mode_seeking", "weight": 0.5},
        {"name": "spectral_matching", "weight": 2.0},
    ],  # info_weight 0: no entry
    "clusters": 0,
    "guard": {"max_rollbacks": 1},
    "periodic_x": False,
}


def test_every_old_key_is_upgraded_with_one_note():
    new, notes = upgrade_model_config(OLD)
    assert new == NEW
    assert len(notes) == 24  # 3 registry keys as strings + 21 moved or weight keys
    assert "model.d_steps is deprecated: write model.balance.d_steps" in notes
    assert "model.loss: NAME is deprecated: write model.loss: {name: NAME}" in notes
    assert all("error" not in n for n in notes)  # a note is not an error line
    assert upgrade_model_config(NEW) == (NEW, [])  # the new form is left alone
    guard_note = "model.divergence_guard is deprecated: write model.guard"
    assert upgrade_model_config({"divergence_guard": None}) == ({}, [guard_note])


def test_old_flags_and_configs_are_rewritten_in_order(tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text("model:\n  loss: hinge\n  mode_seeking: 1.0\ntrainer:\n  max_steps: 3\n")
    new_file = tmp_path / "new.yaml"
    new_file.write_text("model:\n  loss: {name: wgan}\n")
    argv, notes = upgrade_argv(
        [
            "--config",
            str(old),
            f"--config={new_file}",
            "--model.d_steps",
            "5",
            "--model.spectral_matching=0.5",
            "--model.generator",
            "{name: convgru}",
            "--model.loss",
            "hinge",
            "--model.instance_noise.sigma",
            "0.3",
            "--model.divergence_guard",
            "null",  # meant the defaults: nothing to pass on
            "--data.batch_size",
            "4",
        ]
    )
    assert yaml.safe_load(argv[1]) == {
        "model": {"loss": {"name": "hinge"}, "g_terms": [{"name": "mode_seeking", "weight": 1.0}]},
        "trainer": {"max_steps": 3},
    }
    assert argv[2:] == [
        "--config",
        str(new_file),  # nothing old in it: the file itself
        "--model.balance.d_steps",
        "5",
        "--model.g_terms",  # the earlier file's term kept, as the flat keys merged
        '[{"name": "mode_seeking", "weight": 1.0}, {"name": "spectral_matching", "weight": 0.5}]',
        "--model.generator",
        "{name: convgru}",
        "--model.loss.name",
        "hinge",
        "--model.noise.sigma",
        "0.3",
        "--data.batch_size",
        "4",
    ]
    assert len(notes) == 7


def test_an_earlier_checkpoint_loads_with_its_weights_and_options():
    ckpt = load_checkpoint(FORMAT1)
    old_state = dict(ckpt["state_dict"])
    assert "info_head.0.weight" in old_state and "spectral.real_power" in old_state
    module = load_module(ckpt)
    hp = module.hparams
    assert hp.loss == {"name": "nonsaturating", "label_smoothing": 0.1, "label_flip": 0.0}
    assert hp.balance["d_steps"] == 2 and hp.ema == {"decay": 0.9}
    assert [t["name"] for t in hp.g_terms] == ["mode_seeking", "info", "spectral_matching"]
    assert hp.penalties == [{"name": "r1", "gamma": 1.0, "every": 2}]
    info = module.g_terms["info"].head
    assert torch.equal(info[0].weight, old_state["info_head.0.weight"])
    assert torch.equal(info[1].running_var, old_state["info_head.1.running_var"])
    spectral = module.g_terms["spectral_matching"].matching
    assert torch.equal(spectral.real_power, old_state["spectral.real_power"])
    assert int(spectral.seen) == 2  # one real batch per generator update


def _fit(grf_file, root: Path, *options: str):
    return run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--trainer.default_root_dir",
        str(root),
        "--data.window_length",
        "4",
        "--data.batch_size",
        "4",
        "--data.samples_per_epoch",
        "16",
        "--trainer.accelerator",
        "cpu",
        "--metrics.every_n_steps",
        "0",
        "--trainer.enable_progress_bar",
        "false",
        *options,
        cwd=Path(__file__).resolve().parents[1],
    )


def _last(root: Path) -> dict:
    path = root / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    return torch.load(path, weights_only=True)


def test_old_and_new_forms_train_identically(grf_file, tmp_path):
    old_yaml = tmp_path / "old.yaml"
    old_yaml.write_text(
        "model:\n  loss: hinge\n  d_steps: 2\n  mode_seeking: 0.5\n"
        "  generator_options: {latent_channels: 4, width: 4, spatial_upsamples: 1}\n"
    )
    old = _fit(
        grf_file,
        tmp_path / "old",
        "--config",
        str(old_yaml),
        "--model.discriminator_options",
        "{width: 4, depth: 2}",
        "--model.spectral_matching",
        "1.0",
        "--model.ema_decay",
        "0.9",
        "--model.regularizers",
        "[{name: r1, gamma: 1.0, every: 2}]",
        "--model.lr_d",
        "0.0004",
        "--trainer.max_steps",
        "2",
    )
    new = _fit(
        grf_file,
        tmp_path / "new",
        "--model.loss.name",
        "hinge",
        "--model.balance.d_steps",
        "2",
        "--model.generator.options",
        "{latent_channels: 4, width: 4, spatial_upsamples: 1}",
        "--model.discriminator.options",
        "{width: 4, depth: 2}",
        "--model.g_terms",
        "[{name: mode_seeking, weight: 0.5}, {name: spectral_matching, weight: 1.0}]",
        "--model.ema.decay",
        "0.9",
        "--model.penalties",
        "[{name: r1, gamma: 1.0, every: 2}]",
        "--model.optimizer.lr_d",
        "0.0004",
        "--trainer.max_steps",
        "2",
    )
    assert "stgan: note: model.d_steps is deprecated: write model.balance.d_steps" in old.stderr
    assert old.stderr.count("model.ema_decay is deprecated") == 1
    assert "deprecated" not in new.stderr
    a, b = _last(tmp_path / "old"), _last(tmp_path / "new")
    assert a["hyper_parameters"] == b["hyper_parameters"]
    assert a["global_step"] == b["global_step"] == 2
    assert a["state_dict"].keys() == b["state_dict"].keys()
    assert "g_terms.spectral_matching.matching.real_power" in a["state_dict"]
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key


def test_an_earlier_checkpoint_resumes_with_ckpt_path(grf_file, tmp_path):
    # Its flat hyper-parameters override the config (as LightningCLI does), upgraded first;
    # its weights and optimiser states load under the new names.
    _fit(
        grf_file,
        tmp_path,
        "--ckpt_path",
        str(FORMAT1),
        "--trainer.max_steps",
        "3",
    )
    ckpt = _last(tmp_path)
    assert ckpt["global_step"] == 3 and ckpt["stgan"]["format"] == 2
    assert ckpt["hyper_parameters"]["generator"]["options"]["latent_categories"] == 4
    assert "g_terms.info.head.0.weight" in ckpt["state_dict"]
    assert not any(k.startswith(("info_head.", "spectral.")) for k in ckpt["state_dict"])
