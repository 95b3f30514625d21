"""The health monitor: detectors on known signal sequences, and each failure provoked in training."""

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
from stgan.health import DETECTORS, REMEDIES, HealthMonitor
from stgan.nn.generators import GENERATORS, Conv3dGenerator
from stgan.training.guard import DivergenceGuard
from stgan.training.module import GANModule
from stgan.training.signals import batch_diversity
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


# --- signals and detectors on known sequences ----------------------------------------------


def diversity_ratio(fake, real):
    return batch_diversity(fake, real)["diversity_ratio"]


def self_diversity(fake):
    return batch_diversity(fake, fake)["fake_self_diversity"]


def test_diversity_signals_have_known_values():
    x = torch.randn(64, 1, 4, 16, 16, generator=torch.Generator().manual_seed(0))
    assert diversity_ratio(x, x) == pytest.approx(1.0)
    assert diversity_ratio(x * 0.1, x) == pytest.approx(0.1, rel=1e-5)  # distances scale
    # Independent samples: E|x_i − x_j| ≈ √2·RMS|x|, high dimension so the ratio is ≈ 1.
    assert self_diversity(x).item() == pytest.approx(1.0, abs=0.02)
    assert self_diversity(x * 1e-3).item() == pytest.approx(1.0, abs=0.02)  # amplitude-free
    same = x[:1].expand(8, -1, -1, -1, -1)
    assert self_diversity(same).item() == 0.0 and diversity_ratio(same, x).item() == 0.0


def _feed(monitor: HealthMonitor, rows: list[dict]) -> list[tuple[int, str]]:
    """Feed one signal dict per step; return (step, name) of each alarm when it is raised."""
    raised = []
    for step, row in enumerate(rows, start=1):
        raised += [(step, a["name"]) for a in monitor.check(monitor.observe(row, step), step)]
    return raised


HEALTHY = {
    "diversity_ratio": 0.8,
    "fake_self_diversity": 0.95,
    "d_accuracy": 0.7,
    "d_gap": 0.5,
    "grad_norm_g": 1.0,
    "grad_norm_d": 2.0,
}


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"diversity_ratio": 0.02, "fake_self_diversity": 0.05}, "mode_collapse"),
        ({"grad_norm_g": 1e-4}, "vanishing_gradients"),
        ({"d_accuracy": 1.0, "d_gap": 5.0}, "d_overpowering"),
        ({"d_accuracy": 0.1, "d_gap": -1.0}, "g_overpowering"),
    ],
)
def test_detector_fires_after_its_minimum_duration(change, name):
    # smoothing 0: the signal itself is tested, so the timing is exact.
    monitor = HealthMonitor(
        warmup_steps=10,
        smoothing=0.0,
        collapse_steps=7,
        vanishing_steps=7,
        d_overpower_steps=7,
        g_overpower_steps=7,
    )
    raised = _feed(monitor, [HEALTHY] * 20 + [{**HEALTHY, **change}] * 6)
    assert raised == []  # 6 < 7 steps in a row
    raised = _feed(monitor, [HEALTHY] + [{**HEALTHY, **change}] * 10)
    # Counted afresh after the healthy step 1: changed from step 2, raised at its 7th step, once.
    assert raised == [(8, name)]
    alarm = monitor.alarms[name]
    assert alarm["first_step"] == 2 and alarm["last_step"] == 11 and alarm["remedies"]
    assert monitor.summary(11)["final_state"] == "alarms"


def test_alarm_start_is_the_step_its_condition_began_with_several_d_steps_per_g():
    # With d_steps 5 the global step (G updates) advances once every 5 iterations.
    monitor = HealthMonitor(warmup_steps=0, smoothing=0.0, d_overpower_steps=12)
    rows = [HEALTHY] * 20 + [{**HEALTHY, "d_accuracy": 1.0}] * 15
    for i, row in enumerate(rows):
        monitor.check(monitor.observe(row, i // 5), i // 5)
    alarm = monitor.alarms["d_overpowering"]
    assert alarm["first_step"] == 20 // 5 and alarm["last_step"] == 34 // 5
    assert monitor.summary(6)["alarms"][0]["active_at_end"]


def test_detectors_stay_quiet_below_threshold_and_during_warmup():
    monitor = HealthMonitor(warmup_steps=30, smoothing=0.0, collapse_steps=5)
    collapsed = {**HEALTHY, "diversity_ratio": 0.02, "fake_self_diversity": 0.05}
    assert _feed(monitor, [collapsed] * 30) == []  # inside the warm-up
    near = {**HEALTHY, "diversity_ratio": 0.11, "d_accuracy": 0.97, "grad_norm_g": 0.02}
    assert _feed(monitor, [near] * 300) == []
    # Faint but varied samples (a young generator) are not collapse.
    young = {**HEALTHY, "diversity_ratio": 0.02, "fake_self_diversity": 0.8}
    assert _feed(monitor, [young] * 50) == []
    assert monitor.summary(400)["final_state"] == "healthy"


def _with_directions(fake: list[int], real: list[int]) -> dict:
    return {**HEALTHY, "fake_directions": torch.tensor(fake), "real_directions": torch.tensor(real)}


def test_mode_collapse_when_samples_travel_in_few_of_the_datas_directions():
    # Every sample differs (diversity 0.8), but all travel one of two ways while the data
    # travel eight: 2 of 8 effective directions, 0.25 of the data's, is a partial collapse.
    monitor = HealthMonitor(warmup_steps=0, smoothing=0.0, collapse_steps=5, direction_window=4)
    real = [0, 2, 4, 6, 8, 10, 12, 14]
    raised = _feed(monitor, [_with_directions([0, 14] * 4, real)] * 10)
    # The window fills at iteration 4; the condition then holds 5 iterations: raised at 8.
    assert raised == [(8, "mode_collapse")]
    alarm = monitor.alarms["mode_collapse"]
    assert alarm["evidence"]["direction_ratio"] == pytest.approx(0.25)
    assert "travel in 2.0 effective directions against the data's 8.0" in alarm["message"]
    assert "in-batch diversity" not in alarm["message"]
    # Samples spread like the data (in other sectors, as an imperfect G's may be) raise nothing;
    # nor do windows without motion (-1), which are left out of both histograms.
    monitor = HealthMonitor(warmup_steps=0, smoothing=0.0, collapse_steps=5, direction_window=4)
    assert _feed(monitor, [_with_directions([1, 3, 5, 7, 9, 11, 13, -1], real + [-1])] * 30) == []
    assert monitor.summary(30)["final_state"] == "healthy"


def test_divergence_on_rollback_and_on_exploding_gradients():
    monitor = HealthMonitor(smoothing=0.0, explode_factor=100, explode_steps=3)
    assert _feed(monitor, [HEALTHY] * 20 + [{**HEALTHY, "grad_norm_d": 1e3}] * 2) == []
    monitor = HealthMonitor(smoothing=0.0, explode_factor=100, explode_steps=3)
    assert _feed(monitor, [HEALTHY] * 20 + [{**HEALTHY, "grad_norm_d": 1e3}] * 3) == [
        (23, "divergence")
    ]
    assert monitor.alarms["divergence"]["evidence"]["factor"] == pytest.approx(500)
    monitor = HealthMonitor()
    raised = _feed(monitor, [HEALTHY] * 3 + [{"rolled_back": 1.0, "rollbacks": 1.0}])
    assert raised == [(4, "divergence")]  # at once, even in the warm-up


def test_no_progress_when_the_domain_score_stops_improving():
    monitor = HealthMonitor(progress_window=4, progress_min_delta=0.05)
    for i, score in enumerate([5.0, 4.0, 3.0, 2.9, 2.5, 2.0]):  # improving: quiet
        assert monitor.add_score(score, 10 * (i + 1)) is None
    alarms = [monitor.add_score(s, 70 + 10 * i) for i, s in enumerate([2.5, 1.99, 2.2, 2.1])]
    assert alarms[:3] == [None] * 3  # the window still holds an improvement
    assert alarms[3]["name"] == "no_progress" and alarms[3]["first_step"] == 70
    assert monitor.summary(100)["best_domain_score"] == 1.99
    assert monitor.summary(100)["best_step"] == 80


def test_every_detector_is_registered_with_its_remedies():
    # One failure, one file in stgan/health/detectors: the registry finds each.
    names = ["d_overpowering", "divergence", "g_overpowering", "mode_collapse"]
    assert DETECTORS.keys() == [*names, "vanishing_gradients"]
    assert [d.name for d in HealthMonitor().detectors] == [
        "mode_collapse",
        "vanishing_gradients",
        "d_overpowering",
        "g_overpowering",
        "divergence",
    ]
    with pytest.raises(StganError, match="valid detector keys: d_overpowering, divergence"):
        DETECTORS.get("no-such-failure")
    detector = DETECTORS.build("g_overpowering", threshold=0.3, min_steps=2)
    assert detector.remedies == REMEDIES["g_overpowering"]
    assert detector.test({"d_accuracy_smooth": 0.2, "d_gap_smooth": -1.0}) == {
        "d_accuracy": 0.2,
        "d_gap": -1.0,
    }
    assert detector.test({"d_accuracy_smooth": 0.5}) is None


def test_bad_thresholds_are_user_errors():
    with pytest.raises(StganError, match="smoothing"):
        HealthMonitor(smoothing=1.0)
    with pytest.raises(StganError, match="collapse_steps=0"):
        HealthMonitor(collapse_steps=0)
    with pytest.raises(StganError, match="lr_factor"):
        DivergenceGuard(lr_factor=0.0)
    with pytest.raises(StganError, match="its options are"):
        DivergenceGuard.from_options({"max_rollback": 3})


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
        "{nan_at: 7, latent_channels: 4, width: 4, spatial_upsamples: 1}",
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
