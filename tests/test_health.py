"""The health monitor: each failure provoked in real training (known signal sequences:
test_health_detectors.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from torch import nn

from stgan.cli import main
from stgan.data.datamodule import SpaceTimeDataModule
from stgan.errors import StganError
from stgan.health import HealthMonitor
from stgan.nn.generators import GENERATORS, Conv3dGenerator
from stgan.training.module import GANModule
from tests.conftest import TINY_FIT

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TINY_MODEL = dict(
    generator_options={"latent_channels": 4, "width": 4, "spatial_upsamples": 1},
    discriminator_options={"width": 4, "depth": 2},
)
# Short detectors (and a 2-step smoothing memory) for runs of a few dozen steps; the defaults
# are for real runs of hundreds of steps.
FAST = dict(
    warmup_steps=5,
    smoothing=0.5,
    collapse_steps=5,
    vanishing_steps=5,
    d_overpower_steps=5,
    g_overpower_steps=5,
)


# --- test generators, registered for this module's runs ------------------------------------


class ConstantGenerator(nn.Module):
    """Forced mode collapse: one fixed random pattern (times a learnable scale) for every z."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        pattern = torch.randn(channels, 16, 32, 32, generator=torch.Generator().manual_seed(0))
        self.register_buffer("pattern", pattern)

    def latent_shape(self, window):
        return (1, 1, 1, 1)

    def forward(self, z, window):
        t, h, w = window
        return (self.scale * self.pattern[:, :t, :h, :w]).expand(z.shape[0], -1, -1, -1, -1) + 0 * z


class NaNGenerator(Conv3dGenerator):
    """conv3d whose ``nan_at``-th training forward pass (and every later one if ``stay``) is NaN."""

    def __init__(self, channels: int, nan_at: int = 5, stay: bool = False, **options) -> None:
        super().__init__(channels, **options)
        self.nan_at, self.stay, self.calls = nan_at, stay, 0

    def forward(self, z, window):
        out = super().forward(z, window)
        if self.training:
            self.calls += 1
            if self.calls == self.nan_at or (self.stay and self.calls > self.nan_at):
                return out * float("nan")
        return out


@pytest.fixture(scope="module", autouse=True)
def _test_generators():
    """Register the failing generators for this module's runs only (other modules iterate
    over every registered key)."""
    GENERATORS.register("test-constant")(ConstantGenerator)
    GENERATORS.register("test-nan")(NaNGenerator)
    yield
    for key in ("test-constant", "test-nan"):
        GENERATORS._entries.pop(key)


def _fit(
    grf_file, tmp_path, steps: int, health: dict | None = None, **model
) -> tuple[HealthMonitor, GANModule]:
    """A real tiny training run with the monitor; returns it and the module."""
    pl.seed_everything(0)
    dm = SpaceTimeDataModule(str(grf_file), window_length=4, batch_size=4, samples_per_epoch=400)
    module = GANModule(channels=1, window=dm.window, **{**TINY_MODEL, **model})
    monitor = HealthMonitor(**{**FAST, **(health or {})})
    trainer = pl.Trainer(
        max_steps=steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        accelerator="cpu",
        callbacks=[monitor],
    )
    trainer.fit(module, dm)
    return monitor, module


# --- failures provoked in real training ---------------------------------------------------


def test_constant_generator_raises_mode_collapse(grf_file, tmp_path):
    monitor, _ = _fit(grf_file, tmp_path, 15, generator="test-constant", generator_options={})
    alarm = monitor.alarms["mode_collapse"]
    assert alarm["first_step"] <= 6  # warm-up 5 + at once: the pattern never varies
    assert alarm["evidence"]["fake_self_diversity"] < 0.01
    assert "mode collapse suspected since step" in alarm["message"]
    assert any("minibatch_std" in r for r in alarm["remedies"])


def test_saturating_loss_with_an_overtrained_d_raises_vanishing_gradients(grf_file, tmp_path):
    # minimax: G's loss log(1 − σ(f)) has gradient σ(f) → 0 once D rejects every fake; a fast
    # D taking two steps per G step gets there within a few iterations.
    monitor, _ = _fit(grf_file, tmp_path, 20, loss="minimax", lr_d=0.02, d_steps=2)
    alarm = monitor.alarms["vanishing_gradients"]
    assert alarm["first_step"] <= 15
    assert alarm["evidence"]["grad_norm_g"] < 0.01 * alarm["evidence"]["grad_norm_g_peak"]
    assert "nonsaturating" in " ".join(alarm["remedies"])


def test_fast_discriminator_raises_d_overpowering(grf_file, tmp_path):
    monitor, _ = _fit(grf_file, tmp_path, 25, lr_d=0.02, lr_g=0.0002)  # D's rate 100× G's
    alarm = monitor.alarms["d_overpowering"]
    assert alarm["first_step"] <= 25 and alarm["evidence"]["d_accuracy"] > 0.98
    assert "mode_collapse" not in monitor.alarms


def _finite_checkpoints(folder: Path) -> list[Path]:
    ckpts = sorted(folder.glob("*.ckpt"))
    for path in ckpts:
        state = torch.load(path, weights_only=True)["state_dict"]
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()), path
    return ckpts


def _cli_fit(grf_file, root, *extra: str, configs: tuple[str, ...] = ()) -> int:
    configs = [arg for name in configs for arg in ("--config", str(CONFIGS / f"{name}.yaml"))]
    return main(
        [
            "fit",
            *configs,
            "--data.path",
            str(grf_file),
            "--trainer.default_root_dir",
            str(root),
            *TINY_FIT,
            "--trainer.enable_progress_bar",
            "false",
            "--metrics.every_n_steps",
            "2",
            "--checkpoint.save_top_k",
            "-1",
            *extra,
        ]
    )


def test_injected_nan_is_rolled_back_and_training_goes_on(grf_file, tmp_path, capsys, caplog):
    caplog.set_level("INFO")
    code = _cli_fit(
        grf_file,
        tmp_path,
        "--model.generator",
        "test-nan",
        "--model.generator_options",
        # One training forward pass of G per iteration (G's update reuses the D step's windows,
        # model.balance.reuse_fake): the 4th falls in the 4th iteration.
        "{nan_at: 4, latent_channels: 4, width: 4, spatial_upsamples: 1}",
        "--trainer.max_steps",
        "8",
    )
    assert code == 0, capsys.readouterr().err
    folder = tmp_path / "logs" / "version_0" / "checkpoints"
    assert len(_finite_checkpoints(folder)) >= 4  # last + every evaluated step
    health = json.loads((folder / "health.json").read_text())
    assert health["schema"] == "stgan-health/1" and health["final_step"] == 8  # training went on
    assert health["rollbacks"] == 1 and health["final_state"] == "recovered"
    (alarm,) = [a for a in health["alarms"] if a["name"] == "divergence"]
    assert not alarm["active_at_end"]  # a transient: the run went on from the restored state
    assert alarm["first_step"] <= 4 and "restored" in alarm["message"]
    assert math.isfinite(health["best_domain_score"])
    # Announced on the console (Lightning's rank-zero logger) when raised, and summarised.
    assert "ALARM divergence" in caplog.text and "stgan health: recovered at step 8" in caplog.text


def test_persistent_nan_stops_with_a_clear_error_and_no_nan_checkpoint(grf_file, tmp_path, capsys):
    code = _cli_fit(
        grf_file,
        tmp_path,
        "--model.generator",
        "test-nan",
        "--model.generator_options",
        "{nan_at: 5, stay: true, latent_channels: 4, width: 4, spatial_upsamples: 1}",
        "--model.divergence_guard",
        "{max_rollbacks: 2, lr_factor: 0.5}",
        "--trainer.max_steps",
        "20",
    )
    assert code == 2
    err = capsys.readouterr().err
    (line,) = [ln for ln in err.splitlines() if ln.startswith("stgan: error:")]
    assert "training diverged" in line and "after 2 rollbacks" in line and "lr_d" in line
    folder = tmp_path / "logs" / "version_0" / "checkpoints"
    _finite_checkpoints(folder)
    health = json.loads((folder / "health.json").read_text())
    assert health["final_state"] == "diverged" and health["rollbacks"] == 3
    assert [a["name"] for a in health["alarms"]] == ["divergence"]


def test_checkpoint_with_nan_weights_is_refused(grf_file, tmp_path):
    module = GANModule(channels=1, window=(4, 16, 16), **TINY_MODEL)
    with torch.no_grad():
        next(module.generator.parameters()).fill_(float("nan"))
    with pytest.raises(StganError, match="non-finite weights"):
        module.on_save_checkpoint({})


def test_healthy_preset_run_raises_no_alarm(grf_file, tmp_path, capsys):
    # The hinge-sn-r1 preset (the recommended one's base), scaled down; every threshold and
    # duration at its default but the warm-up, shortened to fit a 40-step run (so the detectors
    # look at 20 iterations).
    code = _cli_fit(
        grf_file,
        tmp_path,
        "--metrics.every_n_steps",
        "4",
        "--trainer.max_steps",
        "40",
        "--health.warmup_steps",
        "20",
        configs=("demo", "hinge-sn-r1"),
    )
    assert code == 0, capsys.readouterr().err
    health = json.loads(
        (tmp_path / "logs" / "version_0" / "checkpoints" / "health.json").read_text()
    )
    assert health["alarms"] == [] and health["final_state"] == "healthy", health["alarms"]
    assert (
        health["rollbacks"] == 0 and health["final_step"] == 40 and health["best_step"] is not None
    )
    metrics = (
        (tmp_path / "logs" / "version_0" / "metrics.csv").read_text().splitlines()[0].split(",")
    )
    for key in (
        "d_gap",
        "d_accuracy",
        "diversity_ratio",
        "grad_norm_g",
        "grad_norm_d/head",
        "lr_g",
        "lr_d",
        "alarm_mode_collapse",
        "alarm_divergence",
    ):
        assert key in metrics, key
