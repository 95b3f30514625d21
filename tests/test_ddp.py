"""Two-process DDP training on CPU (gloo) through the real `stgan fit` command."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytorch_lightning as pl
import torch
from conftest import TINY_FIT, run_stgan

from stgan.data.datamodule import SpaceTimeDataModule
from stgan.data.waves import make_waves
from stgan.io.netcdf import write_netcdf

TESTS = Path(__file__).resolve().parent


class BatchProbe(pl.Callback):
    """Records, per rank, a hash of every training window it sees (loaded by class path)."""

    def __init__(self, out: str) -> None:
        self.out = Path(out)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        real, *_ = batch  # (B, C, T, H, W), then the windows' mask and place
        record = {
            "rank": trainer.global_rank,
            "world": trainer.world_size,
            "step": trainer.global_step,
            "windows": [hashlib.sha1(w.numpy().tobytes()).hexdigest() for w in real],
        }
        with open(self.out / f"rank{trainer.global_rank}.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")


def test_ddp_two_processes_shard_the_data_and_write_one_checkpoint(grf_file, tmp_path, monkeypatch):
    probe = {"class_path": "test_ddp.BatchProbe", "init_args": {"out": str(tmp_path)}}
    root = tmp_path / "run"
    # The probe's module must import in both processes (Lightning starts rank 1 itself).
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    )
    run_stgan(
        "fit",
        "--data.path",
        str(grf_file),
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
        "--trainer.max_steps",
        "4",
        "--metrics.every_n_steps",
        "2",
        "--trainer.strategy",
        "ddp",
        "--trainer.devices",
        "2",
        "--trainer.callbacks",
        json.dumps([probe]),
        cwd=tmp_path,
    )

    seen = {}
    for rank in (0, 1):
        records = [
            json.loads(line) for line in (tmp_path / f"rank{rank}.jsonl").read_text().splitlines()
        ]
        assert [r["world"] for r in records] == [2] * 4 and [r["step"] for r in records] == [
            1,
            2,
            3,
            4,
        ]
        seen[rank] = [w for r in records for w in r["windows"]]
    assert len(seen[0]) == len(seen[1]) == 16  # 4 steps x batch 4 per rank
    # Rank r draws window ids r, r + 2, r + 4, ... of each epoch of 16 (2 batches per rank and
    # epoch): rebuild those windows here and compare, so the ranks' shares are disjoint.
    monkeypatch.setenv("PL_GLOBAL_SEED", "0")
    dm = SpaceTimeDataModule(str(grf_file), window_length=4, batch_size=4, samples_per_epoch=16)
    dm.setup("fit")
    dataset = dm.train_dataloader().dataset
    for rank in (0, 1):
        ids = [epoch * 16 + i for epoch in (0, 1) for i in range(rank, 16, 2)]
        assert seen[rank] == [
            hashlib.sha1(dataset[i][0].numpy().tobytes()).hexdigest() for i in ids
        ]
    assert seen[0] != seen[1]

    # One run folder, one set of checkpoints, written by rank zero.
    assert [p.name for p in (root / "logs").iterdir()] == ["version_0"]
    ckpts = sorted(p.name for p in (root / "logs" / "version_0" / "checkpoints").glob("*.ckpt"))
    assert ckpts[-1] == "last.ckpt" and len(ckpts) == 2 and ckpts[0].startswith("best-")
    last = torch.load(root / "logs" / "version_0" / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 4
    assert last["callbacks"]["stgan.ResumeCheckpoint"]["rng_cpu"].shape[0] == 2  # per-rank RNG
    record = json.loads((root / "logs" / "version_0" / "run.json").read_text())
    assert record["world_size"] == 2
    metrics = (root / "logs" / "version_0" / "metrics.csv").read_text()
    assert "val_domain_score" in metrics


class ClusterProbe(pl.Callback):
    """Records, per rank, a hash of the spectral clusters training starts with."""

    def __init__(self, out: str) -> None:
        self.out = Path(out)

    def on_train_start(self, trainer, pl_module) -> None:
        state = b"".join(
            v.cpu().numpy().tobytes() for v in pl_module.clusters.state_dict().values()
        )
        (self.out / f"clusters{trainer.global_rank}.txt").write_text(
            hashlib.sha1(state).hexdigest()
        )


def test_ddp_processes_train_on_rank_zeros_clusters(tmp_path, monkeypatch):
    data = tmp_path / "waves.nc"
    write_netcdf(make_waves(time=256, height=16, width=16, seed=0), data)
    probe = {"class_path": "test_ddp.ClusterProbe", "init_args": {"out": str(tmp_path)}}
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    )
    run_stgan(
        "fit",
        "--data.path",
        str(data),
        "--trainer.default_root_dir",
        str(tmp_path / "run"),
        *TINY_FIT,
        "--trainer.max_steps",
        "2",
        "--metrics.every_n_steps",
        "0",
        "--model.generator_options",
        "{latent_channels: 4, width: 4, spatial_upsamples: 1, latent_vector: 16}",
        "--model.clusters",
        "4",
        "--data.samples_per_epoch",
        "128",
        "--trainer.strategy",
        "ddp",
        "--trainer.devices",
        "2",
        "--trainer.callbacks",
        json.dumps([probe]),
        cwd=tmp_path,
    )
    # Each rank clustered its own shard of windows; both train with rank zero's clusters.
    hashes = [(tmp_path / f"clusters{rank}.txt").read_text() for rank in (0, 1)]
    assert hashes[0] == hashes[1]
