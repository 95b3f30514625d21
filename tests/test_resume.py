"""A `stgan fit` killed with SIGKILL mid-epoch resumes with `--ckpt_path last` exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from conftest import TINY_FIT

from stgan.data.sampler import ResumableLoader, WindowSampler

MAX_STEPS = 8
EVERY = 3  # 4 steps per epoch (16 samples / batch 4): the first save, at step 3, is mid-epoch


def _fit_args(data: Path, root: Path) -> list[str]:
    return [
        "fit",
        "--data.path",
        str(data),
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
        "--trainer.max_steps",
        str(MAX_STEPS),
        "--resume.every_n_train_steps",
        str(EVERY),
        "--metrics.every_n_steps",
        "1000",
    ]  # no domain metrics: only last.ckpt is written


def _popen(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-m", "stgan.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def test_sigkilled_fit_resumes_to_the_uninterrupted_weights(grf_file, tmp_path):
    # The uninterrupted reference and the run to kill start together (the CPU is shared).
    reference = _popen(_fit_args(grf_file, tmp_path / "a"))
    victim = _popen(_fit_args(grf_file, tmp_path / "b"))
    last = tmp_path / "b" / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 120
    while not last.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    killed_at = _load(last)["global_step"]
    assert 0 < killed_at < MAX_STEPS and killed_at % EVERY == 0

    resumed = _popen([*_fit_args(grf_file, tmp_path / "b"), "--ckpt_path", "last"])
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()[-3000:]
    assert reference.wait(timeout=300) == 0, reference.stderr.read()[-3000:]

    # The resumed run logs into version_1; `--ckpt_path last` found version_0's last.ckpt.
    a = _load(tmp_path / "a" / "logs" / "version_0" / "checkpoints" / "last.ckpt")
    b = _load(tmp_path / "b" / "logs" / "version_1" / "checkpoints" / "last.ckpt")
    assert a["global_step"] == b["global_step"] == MAX_STEPS
    assert a["stgan"]["counters"] == b["stgan"]["counters"]
    assert a["stgan"]["counters"]["d_updates"] == MAX_STEPS
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for name, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][name]), name  # bit for bit, on CPU
    for opt_a, opt_b in zip(a["optimizer_states"], b["optimizer_states"], strict=True):
        for k, state in opt_a["state"].items():
            assert all(torch.equal(v, opt_b["state"][k][n]) for n, v in state.items())
    run_json = tmp_path / "b" / "logs" / "version_1" / "run.json"
    assert "last.ckpt" in run_json.read_text()  # the record names what it resumed from


def test_loader_position_round_trips_through_its_state():
    dataset = list(range(10_000))  # the sampler's ids index it directly
    sampler = WindowSampler(16, num_replicas=1, rank=0)
    loader = ResumableLoader(dataset, batch_size=4, sampler=sampler, drop_last=True)
    sampler.set_epoch(2)
    it = iter(loader)
    first = [next(it).tolist() for _ in range(3)]
    state = loader.state_dict()
    assert state == {"epoch": 2, "batches": 3}
    rest = list(it)

    again = ResumableLoader(dataset, batch_size=4, sampler=WindowSampler(16), drop_last=True)
    again.load_state_dict(state)
    assert [b.tolist() for b in again] == [b.tolist() for b in rest]
    assert first[0] == [32, 33, 34, 35]  # epoch 2 of 16 items: ids 32..47
    # Saved after an epoch's last batch: the next epoch starts afresh.
    again.load_state_dict({"epoch": 2, "batches": 4})
    assert next(iter(again)).tolist() == [48, 49, 50, 51]


def test_ranks_draw_disjoint_windows_that_cover_the_epoch():
    world = 3
    shares = [list(WindowSampler(17, num_replicas=world, rank=r)) for r in range(world)]
    assert all(len(s) == 17 // world for s in shares)
    flat = [i for s in shares for i in s]
    assert len(set(flat)) == len(flat) == 15 and set(flat) <= set(range(17))
