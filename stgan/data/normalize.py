"""Per-variable standardisation, fitted on the training split and carried in checkpoints."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from stgan.errors import StganError


@dataclass
class Standardizer:
    """``z = (x - mean) / std`` per channel; ``inverse`` undoes it.

    Statistics are plain lists of floats so they travel in a ``weights_only`` checkpoint.
    """

    mean: list[float]
    std: list[float]

    @classmethod
    def fit(cls, data: np.ndarray, names: list[str]) -> Standardizer:
        """Fit on ``data`` shaped (C, T, H, W): the training split only."""
        mean = data.mean(axis=(1, 2, 3), dtype=np.float64)
        std = data.std(axis=(1, 2, 3), dtype=np.float64)
        for name, s in zip(names, std):
            if not np.isfinite(s) or s == 0:
                raise StganError(
                    f"variable {name!r} is constant (or not finite) over the training split; "
                    "it cannot be standardised"
                )
        return cls(mean=mean.tolist(), std=std.tolist())

    def _shape(self, x: np.ndarray | torch.Tensor, channel_dim: int):
        shape = [1] * x.ndim
        shape[channel_dim] = len(self.mean)
        if isinstance(x, torch.Tensor):
            as_t = lambda v: torch.tensor(v, dtype=x.dtype, device=x.device).reshape(shape)  # noqa: E731
            return as_t(self.mean), as_t(self.std)
        return (np.asarray(self.mean, dtype=x.dtype).reshape(shape),
                np.asarray(self.std, dtype=x.dtype).reshape(shape))

    def forward(self, x, channel_dim: int = 0):
        mean, std = self._shape(x, channel_dim)
        return (x - mean) / std

    def inverse(self, x, channel_dim: int = 0):
        mean, std = self._shape(x, channel_dim)
        return x * std + mean

    def to_dict(self) -> dict[str, list[float]]:
        return asdict(self)
