"""Training signals that are not the loss: gradient norms, in-batch diversity, D's accuracy.

Computed by :class:`~stgan.training.module.GANModule` at every iteration (a few reductions
each) and read by the health monitor (:mod:`stgan.health`).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def grad_norms(net: nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    """L2 norm of ``net``'s gradients: ``grad_norm_<prefix>`` in total and per top-level block.

    Blocks are the direct children, with lists of modules (``nn.ModuleList``) split into their
    members: ``grad_norm_g/stem``, ``grad_norm_g/blocks.0``, ...
    """
    norms: dict[str, torch.Tensor] = {}
    squares = []
    for name, child in net.named_children():
        parts = child.named_children() if isinstance(child, nn.ModuleList) else [("", child)]
        for sub, block in parts:
            grads = [p.grad.detach().pow(2).sum() for p in block.parameters() if p.grad is not None]
            if grads:
                sq = torch.stack(grads).sum()
                norms[f"grad_norm_{prefix}/{name}{'.' + sub if sub else ''}"] = sq.sqrt()
                squares.append(sq)
    direct = [
        p.grad.detach().pow(2).sum() for p in net.parameters(recurse=False) if p.grad is not None
    ]
    total = torch.stack(squares + direct).sum().sqrt() if squares or direct else torch.tensor(0.0)
    norms[f"grad_norm_{prefix}"] = total
    return norms


def mean_pairwise_distance(x: torch.Tensor) -> torch.Tensor:
    """Mean L2 distance between the samples of a batch (B, ...), each flattened; NaN if B < 2."""
    if x.shape[0] < 2:
        return torch.tensor(float("nan"))
    return torch.pdist(x.detach().reshape(x.shape[0], -1).float()).mean()


def batch_diversity(fake: torch.Tensor, real: torch.Tensor) -> dict[str, torch.Tensor]:
    """The generated batch's diversity, absolute and for its amplitude, beside the real one's.

    ``diversity_ratio``: mean pairwise distance of ``fake`` ÷ that of ``real`` (1 when alike,
    0 for a constant G). ``fake_self_diversity``: the same distance of ``fake`` ÷ (√2 · RMS
    norm of each sample's own anomaly, i.e. minus its mean per channel): ≈ 1 for independent
    samples whatever their amplitude, 0 when every sample shows the same pattern; so it does
    not call a young generator, whose output is still faint, collapsed, nor miss a collapsed
    one whose output is loud. ``real_self_diversity``: the same for ``real``, ≈ 1 unless the
    data's windows share a fixed pattern.
    """
    spread = {"fake": mean_pairwise_distance(fake), "real": mean_pairwise_distance(real)}
    return {
        "diversity_ratio": spread["fake"] / spread["real"].clamp_min(1e-12),
        "fake_self_diversity": spread["fake"] / _independent_distance(fake),
        "real_self_diversity": spread["real"] / _independent_distance(real),
    }


def _independent_distance(x: torch.Tensor) -> torch.Tensor:
    """√2 · RMS norm of the samples' anomalies (each minus its mean per channel): the mean
    distance between independent samples of ``x``'s amplitude (floored above 0)."""
    flat = x.detach().float().reshape(x.shape[0], x.shape[1], -1)  # (B, C, T·H·W)
    anomaly = (flat - flat.mean(dim=-1, keepdim=True)).reshape(x.shape[0], -1)
    return (math.sqrt(2.0) * anomaly.pow(2).sum(dim=1).mean().sqrt()).clamp_min(1e-12)


def discriminator_accuracy(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """Share of real and fake samples on their own side of the midpoint of D's mean scores.

    With m = (mean D(real) + mean D(fake)) / 2, accuracy = ½(P[D(real) > m] + P[D(fake) < m]):
    0.5 when D cannot tell them apart, 1 when it separates every sample, below 0.5 when it
    rates fakes above reals. It needs no loss-specific decision threshold, so it means the
    same for logits, hinge and Wasserstein critics.
    """
    m = (d_real.mean() + d_fake.mean()) / 2
    return 0.5 * ((d_real > m).float().mean() + (d_fake < m).float().mean())


def mean_over_ranks(module, value: float | None) -> float | None:
    """``value`` averaged over the DDP ranks of ``module``'s trainer (as is in one process).

    Every rank must take the same D/G schedule, or their gradient all-reduces stop pairing
    up; so adaptive balancing reads D's confidence over the global batch.
    """
    if value is None or module.trainer.world_size == 1:
        return value
    mean = module.trainer.strategy.reduce(
        torch.tensor(value, device=module.device, dtype=torch.float32), reduce_op="mean"
    )
    return float(mean)


def gathered_over_ranks(module, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Each of ``tensors`` (N, ...) of every DDP rank of ``module``'s trainer, concatenated in
    rank order to (ranks · N, ...); as they are in one process or without a trainer.

    State that every rank updates from what it observes (the codes' hit rates of
    ``model.clusters``) stays the same on every rank when each folds in the same gathered
    observations in the same order.
    """
    trainer = getattr(module, "_trainer", None)
    if trainer is None or trainer.world_size == 1:
        return tensors
    return tuple(trainer.strategy.all_gather(t).flatten(0, 1) for t in tensors)


def logs_this_step(trainer) -> bool:
    """Whether Lightning writes ``self.log`` values to the loggers at this iteration.

    It does every ``log_every_n_steps`` iterations and when training stops; a ``log`` call at
    any other iteration writes nothing and still costs about a millisecond (some 50 signals:
    a fifth of a small model's step on a CPU), so the signals are logged only then. The
    health monitor reads them from the module every iteration regardless. Where Lightning's
    connector is not there to ask, every iteration logs.
    """
    connector = getattr(trainer, "_logger_connector", None)
    return True if connector is None else bool(connector.should_update_logs)
