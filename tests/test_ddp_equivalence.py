"""DDP on 2 CPU processes trains as one process does at the same global batch.

One process with ``data.batch_size 8`` and two DDP processes (gloo) with 4 each run the real
``stgan fit`` for 2 steps; the gradients of every optimiser step and the final weights agree.

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
  weights) draw from each rank's torch generator like the latent noise; they stay off too.
"""

from __future__ import annotations

import json
import os
from itertools import count
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from conftest import TINY_FIT, run_stgan

TESTS = Path(__file__).resolve().parent


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

        def sample_latent(n, *, window=None, generator=None):
            if generator is not None:  # sampling with a given generator: left as it is
                return draw(n, window=window, generator=generator)
            g = torch.Generator().manual_seed(self.seed + next(draws))
            return draw(n * world, window=window, generator=g)[rank::world]

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


def fit(data: Path, out: Path, *extra: str) -> None:
    """Two steps of ``stgan fit`` with the probe writing into ``out``."""
    out.mkdir()
    probe = {"class_path": "test_ddp_equivalence.EqualNoiseProbe", "init_args": {"out": str(out)}}
    run_stgan(
        "fit",
        "--data.path",
        str(data),
        "--trainer.default_root_dir",
        str(out / "run"),
        *TINY_FIT,
        "--trainer.max_steps",
        "2",
        "--metrics.every_n_steps",
        "0",
        "--trainer.callbacks",
        json.dumps([probe]),
        *extra,
        cwd=out,
    )


def weights(out: Path) -> dict[str, torch.Tensor]:
    """The floating-point tensors of the run's ``last.ckpt``."""
    (path,) = (out / "run" / "logs").glob("version_0/checkpoints/last.ckpt")
    state = torch.load(path, weights_only=True)["state_dict"]
    return {k: v for k, v in state.items() if v.is_floating_point()}


@pytest.fixture(scope="module")
def runs(grf_file, tmp_path_factory) -> tuple[Path, Path]:
    """One process at batch 8, and two DDP processes at batch 4 each."""
    root = tmp_path_factory.mktemp("ddp_equivalence")
    # The probe's module must import in every process (Lightning starts rank 1 itself).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
        fit(grf_file, root / "one", "--data.batch_size", "8")
        fit(grf_file, root / "two", "--trainer.strategy", "ddp", "--trainer.devices", "2")
    return root / "one", root / "two"


def test_two_processes_take_the_gradient_of_the_global_batch(runs):
    one, two = runs
    single = torch.load(one / "probe0.pt", weights_only=True)
    ranks = [torch.load(two / f"probe{r}.pt", weights_only=True) for r in (0, 1)]
    assert single["world"] == 1 and [r["world"] for r in ranks] == [2, 2]
    # Each iteration: a D step then a G step, 2 iterations.
    assert [net for net, _ in single["grads"]] == ["d", "g", "d", "g"]
    for rank in ranks:
        assert [net for net, _ in rank["grads"]] == ["d", "g", "d", "g"]
    for step in range(2):
        # The ranks saw different halves of the batch (their own losses differ by far more
        # than rounding: ~3e-4 relative, near chance level) ...
        local = [rank["losses"][step] for rank in ranks]
        assert local[0]["loss_d"] != pytest.approx(local[1]["loss_d"], rel=1e-5)
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
    a, b = weights(one), weights(two)
    assert a.keys() == b.keys()
    start = torch.load(one / "probe0.pt", weights_only=True)["start"]
    assert any(not torch.equal(start[name], a[name]) for name in a)  # the steps moved them
    # Two Adam steps of lr 2e-4 move weights by ~4e-4; the runs differ by ~1e-7 (rounding).
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=1e-4, atol=1e-6, msg=name)
