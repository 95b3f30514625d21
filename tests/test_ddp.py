"""Two-process DDP training on CPU (gloo) through the real `stgan fit` command.

The two-process run shards the data, writes one checkpoint and trains on rank zero's
clusters; and it trains as one process does at the same global batch: one process with
``data.batch_size 8`` and two DDP processes with 4 each run 4 steps, and the gradients of
every optimiser step and the final weights agree.

What has to be equal for this to hold, and how each part is made so:

- the windows: ``WindowSampler`` gives rank r of 2 the window ids r, r + 2, ...; so the two
  ranks' first batches are ids {0, 2, 4, 6} and {1, 3, 5, 7}, together the one process's
  first batch of ids 0..7 (stgan as it is);
- the gradient: every loss is a mean over the batch and DDP averages the ranks' gradients,
  so the mean of two means over 4 is the mean over 8. Lightning re-arms DDP's reducer before
  each manual backward, so D's and G's backward in one training step are both all-reduced
  (stgan as it is; this test would fail on rank-local gradients, whose losses differ);
- the latent noise: by design each rank draws its own (``ResumeCheckpoint.setup`` offsets
  torch's seed by the rank), so no single-process stream can match it. The probe below
  gives both runs the same noise instead: each draw takes the *global* batch from a generator
  seeded by the draw's number and keeps this rank's rows r, r + 2, ..., which pair with the
  rank's windows as the sampler pairs ids;
- per-batch statistics: none in this model. Minibatch std (``discriminator.options.
  minibatch_std``) and InfoGAN's BatchNorm (``g_terms: info``) compute their statistic over
  each rank's batch of 4, not over 8, so they change the result with the number of
  processes by design (as StyleGAN's minibatch-std group); they stay off here. Random parts
  of the step (instance noise, augmentation, label flips, the gradient penalty's mixing
  weights) draw from each rank's torch generator like the latent noise; they stay off too;
- rounding: splitting the batch changes the order of the float sums. In contiguous memory the
  averaged gradient of two halves is within 8e-7 of the whole batch's (relative to the
  largest component); channels-last kernels (``model.channels_last``, on by default) round
  differently, 3e-6. Adam divides each gradient by its own running size, so for components
  near zero such a difference can flip the sign of a step of the full learning rate; after 4
  steps the channels-last runs differed by 1e-4 in the losses, beyond the 1e-5 this test
  holds the equivalence to. The runs here are contiguous (``--model.channels_last false``).
"""

from __future__ import annotations

import hashlib
import json
import os
from itertools import count
from pathlib import Path

import pytest
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


class EqualNoiseProbe(pl.Callback):
    """The same latent noise per global sample in any world size; records every step's gradients.

    Loaded by class path in every process (``--trainer.callbacks``).
    """

    def __init__(self, out: str, seed: int = 7) -> None:
        self.out, self.seed = Path(out), seed
        self.grads: list[tuple[str, torch.Tensor]] = []
        self.losses: list[dict[str, float]] = []

    def setup(self, trainer, pl_module, stage) -> None:
        world, rank, draws = trainer.world_size, trainer.global_rank, count()
        draw = pl_module.sample_latent

        def sample_latent(n, *, window=None, generator=None, train=False):
            if generator is not None:  # sampling with a given generator: left as it is
                return draw(n, window=window, generator=generator, train=train)
            g = torch.Generator().manual_seed(self.seed + next(draws))
            return draw(n * world, window=window, generator=g, train=train)[rank::world]

        pl_module.sample_latent = sample_latent

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        # Lightning calls this after the backward (and DDP's all-reduce), before the update.
        net = "g" if optimizer is trainer.optimizers[0] else "d"
        params = [p for group in optimizer.param_groups for p in group["params"]]
        grads = [(p.grad if p.grad is not None else torch.zeros_like(p)).flatten() for p in params]
        self.grads.append((net, torch.cat(grads).detach().clone()))

    def on_train_start(self, trainer, pl_module) -> None:
        self.start = {k: v.clone() for k, v in pl_module.state_dict().items()}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        signals = pl_module.health_signals  # this rank's losses, over its own batch
        self.losses.append({k: float(signals[k]) for k in ("loss_d", "loss_g")})

    def on_train_end(self, trainer, pl_module) -> None:
        record = {
            "world": trainer.world_size,
            "start": self.start,
            "losses": self.losses,
            "grads": self.grads,
        }
        torch.save(record, self.out / f"probe{trainer.global_rank}.pt")


def fit(data: Path, out: Path, callbacks: list[dict], *extra: str) -> None:
    """Four steps of ``stgan fit`` (domain metrics every 2) with ``callbacks``, in ``out/run``."""
    run_stgan(
        "fit",
        "--data.path",
        str(data),
        "--trainer.default_root_dir",
        str(out / "run"),
        *TINY_FIT,
        "--trainer.max_steps",
        "4",
        "--metrics.every_n_steps",
        "2",
        "--trainer.callbacks",
        json.dumps(callbacks),
        *extra,
        "--model.channels_last",  # rounding as the module docstring says
        "false",
        cwd=out,
    )


def equal_noise(out: Path) -> dict:
    """The :class:`EqualNoiseProbe` of a run, writing into ``out``."""
    return {"class_path": "test_ddp.EqualNoiseProbe", "init_args": {"out": str(out)}}


@pytest.fixture(scope="module")
def runs(grf_file, tmp_path_factory) -> tuple[Path, Path]:
    """Two DDP processes at batch 4 each (probed), and one process at batch 8."""
    root = tmp_path_factory.mktemp("ddp")
    one, two = root / "one", root / "two"
    one.mkdir(), two.mkdir()
    batches = {"class_path": "test_ddp.BatchProbe", "init_args": {"out": str(two)}}
    # The probes' module must import in every process (Lightning starts rank 1 itself).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
        fit(
            grf_file,
            two,
            [batches, equal_noise(two)],
            "--trainer.strategy",
            "ddp",
            "--trainer.devices",
            "2",
        )
        fit(grf_file, one, [equal_noise(one)], "--data.batch_size", "8")
    return one, two


def weights(run: Path) -> dict[str, torch.Tensor]:
    """The floating-point tensors of the run's ``last.ckpt``."""
    state = torch.load(run / "logs" / "version_0" / "checkpoints" / "last.ckpt", weights_only=True)
    return {k: v for k, v in state["state_dict"].items() if v.is_floating_point()}


def test_ddp_two_processes_shard_the_data_and_write_one_checkpoint(runs, grf_file, monkeypatch):
    two = runs[1]
    root = two / "run"
    seen = {}
    for rank in (0, 1):
        records = [
            json.loads(line) for line in (two / f"rank{rank}.jsonl").read_text().splitlines()
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


def test_two_processes_take_the_gradient_of_the_global_batch(runs):
    one, two = runs
    single = torch.load(one / "probe0.pt", weights_only=True)
    ranks = [torch.load(two / f"probe{r}.pt", weights_only=True) for r in (0, 1)]
    assert single["world"] == 1 and [r["world"] for r in ranks] == [2, 2]
    # Each iteration: a D step then a G step, 4 iterations.
    assert [net for net, _ in single["grads"]] == ["d", "g"] * 4
    for rank in ranks:
        assert [net for net, _ in rank["grads"]] == ["d", "g"] * 4
    for step in range(4):
        # The ranks saw different halves of the batch: their own losses differ by 4e-5 to
        # 3e-4 relative here (near chance level), far more than rounding (~1e-7) ...
        local = [rank["losses"][step] for rank in ranks]
        assert local[0]["loss_d"] != pytest.approx(local[1]["loss_d"], rel=1e-6)
        # ... whose mean is the one process's loss (same windows, same noise, same weights).
        for key in ("loss_d", "loss_g"):
            mean = (local[0][key] + local[1][key]) / 2
            assert mean == pytest.approx(single["losses"][step][key], rel=1e-5)
    for i, (_, g) in enumerate(single["grads"]):
        g0, g1 = ranks[0]["grads"][i][1], ranks[1]["grads"][i][1]
        assert g.abs().max() > 0
        torch.testing.assert_close(g0, g1, rtol=0, atol=0)  # all-reduced: one gradient
        # Float sums in another order: ~1e-7 relative here; 1e-5 of the largest component.
        torch.testing.assert_close(g0, g, rtol=1e-4, atol=1e-5 * float(g.abs().max()))


def test_two_processes_end_with_the_weights_of_one(runs):
    one, two = runs
    a, b = weights(one / "run"), weights(two / "run")
    assert a.keys() == b.keys()
    start = torch.load(one / "probe0.pt", weights_only=True)["start"]
    assert any(not torch.equal(start[name], a[name]) for name in a)  # the steps moved them
    # Adam steps of lr 2e-4 move weights by up to 2e-4 each; the runs differ by ~1e-7.
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=1e-4, atol=1e-6, msg=name)


class ClusterProbe(pl.Callback):
    """Records, per rank, a hash of the spectral clusters training starts and ends with."""

    def __init__(self, out: str) -> None:
        self.out = Path(out)

    def _record(self, trainer, pl_module, when: str) -> None:
        state = b"".join(
            v.cpu().numpy().tobytes() for v in pl_module.clusters.state_dict().values()
        )
        (self.out / f"clusters_{when}{trainer.global_rank}.txt").write_text(
            hashlib.sha1(state).hexdigest()
        )

    def on_train_start(self, trainer, pl_module) -> None:
        self._record(trainer, pl_module, "start")

    def on_train_end(self, trainer, pl_module) -> None:
        self._record(trainer, pl_module, "end")


def test_ddp_processes_train_on_rank_zeros_clusters_and_agree_on_the_codes(tmp_path, monkeypatch):
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
        "--model.cluster_codes",
        "2",
        "--model.cluster_reversal",
        "true",
        "--model.g_terms",
        "[{name: cluster_consistency, weight: 0.1}]",
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
    for when in ("start", "end"):
        hashes = [(tmp_path / f"clusters_{when}{rank}.txt").read_text() for rank in (0, 1)]
        assert hashes[0] == hashes[1], when
    # The codes' hit rates moved from their start, each rank's fakes folded in on both ranks
    # (rank-local rates would differ here, and so could the codes turned round in time).
    ckpt = torch.load(
        tmp_path / "run" / "logs" / "version_0" / "checkpoints" / "last.ckpt", weights_only=True
    )
    hits = ckpt["state_dict"]["clusters.hits"]
    assert hits.shape == (8,) and bool((hits < 1).any())
