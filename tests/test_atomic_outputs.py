"""A kill at any moment leaves the old output or the new one, never a truncated file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from stgan.cli import main
from stgan.io.atomic import atomic_path
from stgan.training.checkpointing import AtomicCheckpointIO
from tests.conftest import TINY_FIT

BIG = "8000"  # windows: a 33 MB file, so the write takes a measurable time


@pytest.fixture(scope="module")
def checkpoint(grf_file, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("atomic_run")
    assert (
        main(
            [
                "fit",
                "--data.path",
                str(grf_file),
                "--trainer.default_root_dir",
                str(root),
                *TINY_FIT,
                "--trainer.max_steps",
                "2",
                "--metrics.every_n_steps",
                "1000",
            ]
        )
        == 0
    )
    return root / "logs" / "version_0" / "checkpoints" / "last.ckpt"


def _generate(ckpt: Path, out: Path, n: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stgan.cli",
            "generate",
            "--checkpoint",
            str(ckpt),
            "--num-samples",
            n,
            "--batch-size",
            "1000",
            "--output",
            str(out),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _temporaries(out: Path, pid: int | None = None) -> list[Path]:
    """Hidden temporaries of ``out`` (of the writer ``pid`` only, if given)."""
    prefix = f".{out.name}.{'' if pid is None else f'{pid}.'}"
    return sorted(p for p in out.parent.glob(f".{out.name}.*.tmp") if p.name.startswith(prefix))


def _kill_mid_write(ckpt: Path, out: Path, delay: float) -> bool:
    """Start a big ``stgan generate``, SIGKILL it ``delay`` s after its temporary appears.

    True when the kill landed mid-write (its temporary is still there); False when the
    writer had already renamed its file (it may still have been shutting down) or finished.
    """
    proc = _generate(ckpt, out, BIG)
    while not _temporaries(out, proc.pid):
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return bool(_temporaries(out, proc.pid))


def test_killed_generate_leaves_the_old_file_or_none(checkpoint, tmp_path):
    out = tmp_path / "gen.nc"
    # 1. Killed mid-write with no earlier file: no output at all, only a hidden temporary
    #    named after the file and its writer's pid.
    for _ in range(3):  # a loaded machine may let the writer finish first; then try again
        if _kill_mid_write(checkpoint, out, 0.0):
            break
        out.unlink()
    else:
        pytest.fail("three writes finished before they could be killed")
    assert not out.exists()
    (stale,) = _temporaries(out)

    # 2. A complete file; then writes killed at several moments: the old file stays, whole.
    assert (
        main(
            [
                "generate",
                "--checkpoint",
                str(checkpoint),
                "--num-samples",
                "5",
                "--output",
                str(out),
                "--seed",
                "7",
            ]
        )
        == 0
    )
    assert not stale.exists()  # the dead writer's temporary was removed by the next write
    with xr.open_dataset(out) as ds:
        old = {k: v.values.copy() for k, v in ds.data_vars.items()}
    mid_write = 1  # step 1's
    for delay in (0.0, 0.0, 0.02):  # the write itself takes a few tens of milliseconds
        killed = _kill_mid_write(checkpoint, out, delay)
        mid_write += killed
        with xr.open_dataset(out) as ds:
            if killed:  # still the old, complete file
                assert ds.sizes["sample"] == 5
                for k, v in old.items():
                    np.testing.assert_array_equal(ds[k].values, v)
            else:  # the new, complete file
                assert ds.sizes["sample"] == int(BIG)
    assert mid_write >= 2, "no write over an old file was caught mid-way"
    proc = _generate(checkpoint, out, "3")  # a write that finishes replaces it, and cleans up
    assert proc.wait(timeout=120) == 0
    with xr.open_dataset(out) as ds:
        assert ds.sizes["sample"] == 3
    assert _temporaries(out) == []


def test_failed_write_keeps_the_old_file(tmp_path):
    out = tmp_path / "report.md"
    out.write_text("old report")
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_text("half a rep")
        raise RuntimeError("disk full")
    assert out.read_text() == "old report" and _temporaries(out) == []


def test_checkpoints_are_written_beside_the_target_and_renamed(tmp_path, monkeypatch):
    target = tmp_path / "checkpoints" / "last.ckpt"
    seen = []
    real_save = torch.save

    def spy(obj, f, *args, **kwargs):
        seen.append(Path(f.name))  # where the bytes go while being written
        assert not target.exists()
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", spy)
    AtomicCheckpointIO().save_checkpoint({"state_dict": {"w": torch.ones(3)}}, target)
    assert seen[0].parent == target.parent and seen[0].name.startswith(".last.ckpt.")
    assert torch.load(target, weights_only=True)["state_dict"]["w"].sum() == 3
    assert sorted(p.name for p in target.parent.iterdir()) == ["last.ckpt"]
