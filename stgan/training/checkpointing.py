"""Resumable, atomic checkpoints: ``last.ckpt`` every N steps, found again by ``--ckpt_path last``.

Lightning writes a checkpoint through fsspec into a temporary file of the *system* temp
folder and then moves it; when that folder is on another file system the move is a copy, so
a kill mid-copy leaves a truncated ``last.ckpt`` (and the temporary file behind).
:class:`AtomicCheckpointIO` writes beside the target and renames
(:func:`stgan.io.atomic.atomic_path`), so a kill leaves the old checkpoint or the new one.

:class:`ResumeCheckpoint` is the ``resume`` section of ``stgan fit``: ``last.ckpt`` every
``every_n_train_steps`` generator steps and at the end of training, holding the state a
resumed run needs to continue exactly: the weights, optimisers and loop counters
(Lightning's), the GAN step counters (:meth:`GANModule.on_save_checkpoint`), the data
loader's position (:class:`stgan.data.sampler.ResumableLoader`) and torch's random
generators (here, per rank).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from lightning_fabric.plugins.io.torch_io import TorchCheckpointIO
from pytorch_lightning.callbacks import ModelCheckpoint

from stgan.checkpoint import refuse_unsafe
from stgan.errors import StganError
from stgan.io.atomic import atomic_path

# 100 G steps: frequent enough that a kill loses at most a few minutes of a CPU run or
# seconds on a GPU, rare enough that writing a small model's checkpoint (a few MB) costs
# well under 1 % of training time.
DEFAULT_EVERY_N_STEPS = 100


class AtomicCheckpointIO(TorchCheckpointIO):
    """``torch.save`` into a hidden temporary file beside the target, fsync, then rename.

    Loading (``--ckpt_path``) is always ``weights_only=True``: a file that carries anything but
    tensors and plain data is refused with a :class:`~stgan.errors.StganError`, and no code in
    it runs.
    """

    def load_checkpoint(
        self, path: Any, map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        """Load ``path`` with ``weights_only=True``; ``weights_only`` as passed is ignored.

        Raises
        ------
        StganError
            If the file is missing, unreadable, or holds objects beyond tensors and plain data.
        """
        if not Path(str(path)).is_file() and "://" not in str(path):
            raise StganError(f"checkpoint {str(path)!r} does not exist; check --ckpt_path")
        with refuse_unsafe(path):
            return super().load_checkpoint(path, map_location=map_location, weights_only=True)

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None
    ) -> None:
        """Write ``checkpoint`` to ``path`` atomically (remote paths through fsspec, as Lightning does)."""
        if "://" in str(path):  # remote storage: fsspec's own transaction
            return super().save_checkpoint(checkpoint, path, storage_options)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())  # the rename must not reach the disk before the bytes


def use_atomic_checkpoints(trainer: pl.Trainer) -> None:
    """Swap the strategy's plain checkpoint writer for :class:`AtomicCheckpointIO`."""
    if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:
        trainer.strategy.checkpoint_io = AtomicCheckpointIO()


class ResumeCheckpoint(ModelCheckpoint):
    """``last.ckpt`` every ``every_n_train_steps`` steps and when training ends.

    It lies in the run's ``checkpoints`` folder beside the best checkpoints. A later
    ``stgan fit ... --ckpt_path last`` with the same ``default_root_dir`` logs into a new
    ``version_N`` folder, so the newest ``last*.ckpt`` of *every* version under the root is a
    candidate, not only the new (empty) folder's.

    Parameters
    ----------
    every_n_train_steps : int
        Generator steps between saves (0: only at the end of training).
    dirpath : str | None
        Folder for ``last.ckpt`` (default: the logger's ``version_N/checkpoints``).
    """

    def __init__(
        self, every_n_train_steps: int = DEFAULT_EVERY_N_STEPS, dirpath: str | None = None
    ) -> None:
        if not isinstance(every_n_train_steps, int) or every_n_train_steps < 0:
            raise StganError(
                f"resume.every_n_train_steps must be an integer >= 0 (0: only at the "
                f"end), got {every_n_train_steps!r}"
            )
        super().__init__(
            dirpath=dirpath,
            monitor=None,
            save_top_k=0,
            save_last=True,
            every_n_train_steps=every_n_train_steps,
            enable_version_counter=False,
        )
        self._trainer: pl.Trainer | None = None

    @property
    def state_key(self) -> str:
        """The key of this callback's state in a checkpoint, fixed so a resume finds it."""
        return "stgan.ResumeCheckpoint"

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Remember the trainer; under DDP give every rank its own torch seed (offset by its rank)."""
        super().setup(trainer, pl_module, stage)
        self._trainer = trainer  # before a resume restores this callback's state
        if trainer.world_size > 1:
            # seed_everything gives every rank the same seed, so each would draw the same
            # latent noise; offset it by the rank (the data is split by WindowSampler).
            torch.manual_seed((torch.initial_seed() + 1_000_003 * trainer.global_rank) % 2**63)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Save ``last.ckpt`` at the final step unless it was just saved there."""
        # The final state is always resumable (e.g. to train on with a larger max_steps).
        if trainer.global_step and not self._last_saved_at(trainer.global_step):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
        super().on_train_end(trainer, pl_module)

    def _last_saved_at(self, step: int) -> bool:
        return bool(self.last_model_path) and self._last_global_step_saved == step

    def state_dict(self) -> dict[str, Any]:
        """Lightning's checkpoint state plus torch's random state.

        ``rng_cpu`` is (ranks, 5056) uint8, one row per rank; ``rng_cuda`` is added when CUDA
        is in use.
        """
        state = super().state_dict()
        trainer = self._trainer
        rng = torch.get_rng_state()  # (5056,) uint8 on CPU
        if trainer is not None and trainer.world_size > 1:
            rng = trainer.strategy.all_gather(
                rng.to(trainer.strategy.root_device)
            ).cpu()  # (W, 5056)
        else:
            rng = rng[None]
        state["rng_cpu"] = rng
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["rng_cuda"] = torch.cuda.get_rng_state()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state and this rank's torch random state from :meth:`state_dict`."""
        super().load_state_dict(state_dict)
        rng = state_dict.get("rng_cpu")
        trainer = self._trainer
        rank = trainer.global_rank if trainer is not None else 0
        if rng is not None and rank < len(rng):
            torch.set_rng_state(rng[rank].cpu())
        if "rng_cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state(state_dict["rng_cuda"].cpu())

    def _find_last_checkpoints(self, trainer: pl.Trainer) -> set[str]:
        found = super()._find_last_checkpoints(trainer)
        if self.dirpath is None and trainer.loggers:
            logger = trainer.loggers[0]
            root = Path(logger.save_dir or trainer.default_root_dir) / str(logger.name)
            if root.is_dir():
                pattern = re.compile(rf"^{self.CHECKPOINT_NAME_LAST}(-v\d+)?\.ckpt$")
                found |= {
                    os.path.normpath(p)
                    for p in root.glob("*/checkpoints/*.ckpt")
                    if pattern.match(p.name)
                }
        return found
