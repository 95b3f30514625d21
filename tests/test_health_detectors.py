"""The health monitor's detectors on known signal sequences, and their registry."""

from __future__ import annotations

import pytest
import torch

from stgan.errors import StganError
from stgan.health import DETECTORS, REMEDIES, HealthMonitor
from stgan.training.guard import DivergenceGuard
from stgan.training.signals import batch_diversity


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
    # Windows sharing a fixed pattern (a climatology, say) with 1/10 of its amplitude on top:
    # they differ by ~0.1 of what independent windows of that amplitude would.
    fixed = 10 * x[:1] + x
    assert batch_diversity(x, fixed)["real_self_diversity"].item() == pytest.approx(0.1, abs=0.01)


def _feed(monitor: HealthMonitor, rows: list[dict]) -> list[tuple[int, str]]:
    """Feed one signal dict per step; return (step, name) of each alarm when it is raised."""
    raised = []
    for step, row in enumerate(rows, start=1):
        raised += [(step, a["name"]) for a in monitor.check(monitor.observe(row, step), step)]
    return raised


HEALTHY = {
    "diversity_ratio": 0.8,
    "fake_self_diversity": 0.95,
    "real_self_diversity": 0.99,
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
    # Data whose windows share a fixed pattern, matched by G: as alike as the data, no more.
    fixed = {
        **HEALTHY,
        "diversity_ratio": 1.0,
        "fake_self_diversity": 0.2,
        "real_self_diversity": 0.22,
    }
    assert _feed(monitor, [fixed] * 50) == []
    assert monitor.summary(400)["final_state"] == "healthy"


def test_mode_collapse_when_loud_samples_share_one_pattern():
    # A generator D has beaten (saturating loss): every window one pattern, 30 times the data's
    # amplitude, with a little z-dependent variation. Its absolute in-batch diversity is far
    # above the data's, yet its windows differ by ~0.15 of what independent ones would.
    g = torch.Generator().manual_seed(1)
    real = torch.randn(16, 1, 8, 16, 16, generator=g)
    pattern = torch.randn(1, 1, 8, 16, 16, generator=g)
    fake = 30 * (pattern + 0.15 * torch.randn(16, 1, 8, 16, 16, generator=g))
    signals = batch_diversity(fake, real)
    assert signals["diversity_ratio"].item() == pytest.approx(30 * 0.15, rel=0.05)
    assert signals["fake_self_diversity"].item() == pytest.approx(0.15, abs=0.02)
    assert signals["real_self_diversity"].item() == pytest.approx(1.0, abs=0.02)
    monitor = HealthMonitor(warmup_steps=0, smoothing=0.9, collapse_steps=5)
    raised = _feed(monitor, [{**HEALTHY, **signals}] * 10)
    assert raised == [(5, "mode_collapse")]
    evidence = monitor.alarms["mode_collapse"]["evidence"]
    assert evidence["fake_self_diversity"] / evidence["real_self_diversity"] < 0.25
    assert "alike" in monitor.alarms["mode_collapse"]["message"]


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
