"""``model.channels_last``: the networks and batches in channels-last-3d memory (NDHWC).

oneDNN's 3D convolutions run fastest on NDHWC data: at the demo size one training step of
conv3d × conv3d in the plain loop of ``benchmarks/bench_training.py`` was 1.35× faster with 2
threads and 1.39× with 1 (2-core AVX2 machine; ``benchmarks/bench_fit_speed.py`` measures
``stgan fit`` itself). The values are the same; only the strides change, so
checkpoints hold the same tensors and load into contiguous networks as before.
"""

from __future__ import annotations

import torch
from torch import nn

FORMAT = torch.channels_last_3d


def to_channels_last(*networks: nn.Module | None) -> None:
    """Store every 5-D parameter and buffer (3D convolution weights) of ``networks`` as NDHWC.

    In place, keeping the parameter objects, so optimisers built before still hold them.
    2-D convolution weights (the ConvGRU's) are left alone: they keep their own layout; so is
    a weight of one output channel (a head), whose gradient the kernels return contiguous.
    """
    for network in networks:
        if network is None:
            continue
        for tensor in [*network.parameters(), *network.buffers()]:
            if tensor.dim() == 5 and tensor.shape[0] > 1:
                tensor.data = tensor.data.contiguous(memory_format=FORMAT)


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """``x`` (B, C, T, H, W) as NDHWC; other ranks unchanged."""
    return x.contiguous(memory_format=FORMAT) if x.dim() == 5 else x
