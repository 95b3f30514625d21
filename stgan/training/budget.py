"""A training budget in CPU time: ``--budget.cpu_minutes M`` stops ``stgan fit`` after M
minutes of this process's CPU time.

``--trainer.max_time`` counts wall-clock time, so on a shared machine the training a run
gets depends on the load: another job on the same cores stretches every step, and the run
stops with fewer updates. CPU time (``time.process_time``: user + system time of all this
process's threads) counts only the cycles the run itself used, so a run of M CPU-minutes
trains as much on a busy machine as on a quiet one, just more slowly. With one thread
(``OMP_NUM_THREADS=1``) a CPU-minute is a minute on one core; with k threads a wall minute
uses up to k CPU-minutes. Data-loader worker processes (``data.num_workers`` > 0) are not
counted.

The budget is checked at the end of every training batch, as Lightning's own ``max_time``
is, so a run stops at the first batch end past it. The CPU time used is saved in the
checkpoint, so a resumed run continues the budget instead of restarting it; under DDP rank
0's count decides for all ranks.
"""

from __future__ import annotations

import time
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.utilities import rank_zero_info

from stgan.errors import StganError


class CpuBudget(Callback):
    """Stop training after ``cpu_minutes`` minutes of this process's CPU time (None: no limit).

    Parameters
    ----------
    cpu_minutes : float, optional
        The budget in CPU-minutes; must be positive.

    Attributes
    ----------
    used_s : float
        CPU seconds of training so far (including earlier runs this one resumed).
    """

    def __init__(self, cpu_minutes: float | None = None) -> None:
        if cpu_minutes is not None and not cpu_minutes > 0:
            raise StganError(
                f"budget.cpu_minutes must be positive, got {cpu_minutes!r}; leave it unset "
                "for no CPU-time limit"
            )
        self.cpu_minutes = cpu_minutes
        self.used_s = 0.0
        self._mark: float | None = None

    @property
    def state_key(self) -> str:
        """The key of this callback's state in a checkpoint's ``callbacks``."""
        return "stgan.CpuBudget"

    def _tick(self) -> None:
        now = time.process_time()
        if self._mark is not None:
            self.used_s += now - self._mark
        self._mark = now

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Start counting CPU time here (set-up before training does not count)."""
        self._mark = time.process_time()

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        """Add the CPU time since the last batch; stop training once the budget is used."""
        if self.cpu_minutes is None:
            return
        self._tick()
        stop = trainer.strategy.broadcast(self.used_s >= 60 * self.cpu_minutes)
        if stop and not trainer.should_stop:
            trainer.should_stop = True
            rank_zero_info(
                f"CPU-time budget of {self.cpu_minutes:g} min used ({self.used_s:.0f} s); "
                "training stops"
            )

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Count the CPU time up to the end of training."""
        self._tick()

    def state_dict(self) -> dict[str, float]:
        """The CPU seconds used so far, for the checkpoint."""
        self._tick()
        return {"used_s": self.used_s}

    def load_state_dict(self, state_dict: dict[str, float]) -> None:
        """Continue from a checkpoint's count (a resumed run continues its budget)."""
        self.used_s = float(state_dict.get("used_s", 0.0))
