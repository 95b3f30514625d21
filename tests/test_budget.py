"""``--budget.cpu_minutes``: training stops on this process's CPU time, which a resumed run
continues; a bad budget is refused."""

from __future__ import annotations

import time

import pytest
import torch

import stgan
from stgan.data.synthetic import make_grf
from stgan.errors import StganError
from stgan.training.budget import CpuBudget
from tests.conftest import TINY_API

BUDGET_S = 3.0


def _fit(tmp_path, **options):
    return stgan.fit(
        make_grf(time=48, height=8, width=8),
        "demo",
        max_steps=100_000,
        root_dir=tmp_path,
        progress=False,
        **TINY_API,
        **{"data.batch_size": 2, "metrics.every_n_steps": 0},
        **options,
    )


def test_training_stops_when_the_cpu_budget_is_used(tmp_path):
    run = _fit(tmp_path, **{"budget.cpu_minutes": BUDGET_S / 60})
    state = torch.load(run.last_checkpoint, map_location="cpu", weights_only=True)
    used = state["callbacks"]["stgan.CpuBudget"]["used_s"]
    # Stopped by the budget, at the first batch end past it: far short of max_steps.
    assert used >= BUDGET_S
    assert 0 < state["global_step"] < 100_000
    assert run.config["budget"]["cpu_minutes"] == pytest.approx(BUDGET_S / 60)


def test_cpu_time_is_counted_and_restored():
    budget = CpuBudget(cpu_minutes=1.0)
    budget.on_train_start(None, None)
    start = time.process_time()
    while time.process_time() - start < 0.2:  # burn 0.2 s of CPU
        pass
    used = budget.state_dict()["used_s"]
    assert used >= 0.2
    resumed = CpuBudget(cpu_minutes=1.0)
    resumed.load_state_dict({"used_s": used})
    assert resumed.used_s == used  # a resumed run goes on from the CPU time already used


@pytest.mark.parametrize("bad", [0, -1.0])
def test_a_budget_that_is_not_positive_is_refused(tmp_path, bad):
    with pytest.raises(StganError, match="budget.cpu_minutes must be positive"):
        _fit(tmp_path, **{"budget.cpu_minutes": bad})
