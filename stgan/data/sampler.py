"""Which windows each process draws, per epoch, and where to pick up after a resume.

Every training item has a global id, ``epoch · samples_per_epoch + i``, and its crop is a
pure function of ``(seed, id)`` (:class:`~stgan.data.windows.WindowDataset`). So:

- DDP sharding is a split of ids: rank r of W takes ``i = r, r + W, r + 2W, ...``, so the
  ranks draw distinct windows and together cover the epoch once;
- the data never touches torch's global generator, so the latent noise of the training step
  does not depend on how many batches were fetched ahead, or by which worker;
- a resumed run skips the batches its checkpoint had already consumed in the epoch
  (:class:`ResumableLoader` is a Lightning "stateful" loader) and sees the same batches as
  an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from torch.utils.data import DataLoader, DistributedSampler


class WindowSampler(DistributedSampler):
    """Global item ids of one epoch, this rank's share.

    A :class:`~torch.utils.data.DistributedSampler` subclass so that Lightning's DDP keeps it
    (it replaces other samplers) and calls :meth:`set_epoch` on it at every epoch.

    Parameters
    ----------
    length : int
        Items per epoch over all ranks (``samples_per_epoch``).
    num_replicas, rank : int
        World size and this process's global rank.
    """

    def __init__(self, length: int, *, num_replicas: int = 1, rank: int = 0) -> None:
        # Deliberately not DistributedSampler.__init__: it wants a dataset and a process group.
        self.length, self.num_replicas, self.rank = int(length), int(num_replicas), int(rank)
        self.num_samples = self.length // self.num_replicas  # per rank; the rest are dropped
        self.total_size = self.num_samples * self.num_replicas
        self.epoch = 0
        self.skip = 0  # items of this epoch already consumed (set by a resume)

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        skip, self.skip = self.skip, 0  # a resume skips once, in its first epoch only
        base = self.epoch * self.length
        for i in range(self.rank + skip * self.num_replicas, self.total_size, self.num_replicas):
            yield base + i


class ResumableLoader(DataLoader):
    """A DataLoader over a :class:`WindowSampler` whose position Lightning checkpoints.

    ``state_dict()`` is the epoch and the number of batches handed out in it; Lightning saves
    it with every checkpoint and gives it back to ``load_state_dict`` before iterating a
    resumed run, which then starts at the next batch. Batches are counted as they leave
    ``__iter__`` (what the trainer took), not as workers prefetch them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._yielded = 0

    def __iter__(self) -> Iterator[Any]:
        self._yielded = self.sampler.skip // self.batch_size if self.batch_size else 0
        for batch in super().__iter__():
            self._yielded += 1
            yield batch

    def state_dict(self) -> dict[str, int]:
        """The loader's position: ``{epoch, batches}`` (batches handed out in that epoch)."""
        return {"epoch": int(self.sampler.epoch), "batches": int(self._yielded)}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Resume at the batch after ``state`` (from :meth:`state_dict`).

        A state saved at the end of an epoch starts the next epoch from its first batch.
        """
        epoch, batches = int(state["epoch"]), int(state["batches"])
        if batches >= len(self):  # saved at the end of an epoch: the next one starts afresh
            epoch, batches = epoch + 1, 0
        self.sampler.set_epoch(epoch)
        self.sampler.skip = batches * self.batch_size
