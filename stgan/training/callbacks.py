"""In-training domain metrics: judge samples by the physics of the data, not by the loss."""

from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.utilities import rank_zero_info

from stgan.data.transforms import forward_all
from stgan.errors import StganError
from stgan.metrics.registry import compare
from stgan.sampling import generate_array

# Tolerances that make the three terms of the domain score comparable: a spectrum within
# 1 dB, an ACF within 0.05 RMSE and a W1 of one real standard deviation each count 1.
SCORE_SCALES = {"rapsd_lsd_db": 1.0, "acf_rmse": 0.05}


def domain_score(metrics: dict[str, float], real_std: float) -> float:
    """``rapsd_lsd_db / 1 dB + acf_rmse / 0.05 + w1 / σ_real`` for one variable; lower is better."""
    return (
        metrics["rapsd_lsd_db"] / SCORE_SCALES["rapsd_lsd_db"]
        + metrics["acf_rmse"] / SCORE_SCALES["acf_rmse"]
        + metrics["w1"] / real_std
    )


class DomainMetrics(Callback):
    """Every ``every_n_steps`` iterations, compare generated windows with validation windows.

    The validation windows are the data module's deterministic strided set (physical units);
    the samples come from the module's sampling generator (the EMA copy when there is one)
    with a fixed seed, so successive evaluations differ only by training. Logged:
    ``val_<metric>_<variable>`` for ``rapsd_lsd_db``, ``acf_rmse`` and ``w1``, and
    ``val_domain_score``, the mean over variables of :func:`domain_score`, which
    ``stgan fit``'s checkpointing minimises to keep the best model.

    Parameters
    ----------
    every_n_steps : int
        Evaluate every this many iterations (0 disables).
    num_samples : int
        Generated windows per evaluation.
    max_windows : int
        At most this many validation windows.
    max_lag : int
        Largest ACF lag compared (capped at T − 1).
    """

    def __init__(
        self,
        every_n_steps: int = 100,
        num_samples: int = 32,
        max_windows: int = 64,
        max_lag: int = 10,
    ) -> None:
        bad = [
            f"{k}={v!r}"
            for k, v, least in (
                ("every_n_steps", every_n_steps, 0),
                ("num_samples", num_samples, 2),
                ("max_windows", max_windows, 1),
                ("max_lag", max_lag, 1),
            )
            if not isinstance(v, int) or v < least
        ]
        if bad:
            raise StganError(
                f"metrics options out of range: {', '.join(bad)}; every_n_steps >= 0 "
                "(0: off), num_samples >= 2, max_windows >= 1, max_lag >= 1"
            )
        self.every_n_steps = every_n_steps
        self.num_samples = num_samples
        self.max_windows = max_windows
        self.max_lag = max_lag
        self.real: np.ndarray | None = None
        self.known: np.ndarray | None = None  # what a task's model is given of each window
        self._last_step = -1

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Take up to ``max_windows`` validation windows (physical units) and their dates.

        Metrics stay off without a data module that serves them or without validation windows.
        """
        dm = getattr(trainer, "datamodule", None)
        if not self.every_n_steps or dm is None or not hasattr(dm, "eval_windows"):
            return
        # Lightning sets the data module up before any callback, so its statistics exist.
        real = dm.eval_windows("val", max_windows=self.max_windows)
        if len(real) == 0:
            rank_zero_info("stgan: no validation windows (val_fraction 0?): domain metrics are off")
            return
        self.real = real.astype(np.float64)  # (N, C, T, H, W)
        # Generated windows take the dates of the first validation window: a date-dependent
        # transform (detrend, anomaly) adds its trend and climatology back from them.
        t0 = int(dm.starts("val")[0])
        self.time = dm.time_features[t0 : t0 + dm.window[0]]
        self.names = list(dm.variables)
        self.real_std = [float(np.nanstd(self.real[:, c])) for c in range(len(self.names))]
        self.known = None
        conditions = getattr(pl_module, "conditions", None)
        if conditions is not None and conditions.from_data:
            # A task's model (downscaling, nowcasting, gap filling) is conditioned on what is
            # known of each window: the validation windows, standardised (with the first
            # one's dates, as the generated windows take), give it.
            h, w = dm.window[1:]
            transforms = dm.fitted.transforms
            windows = np.resize(real, (self.num_samples, *real.shape[1:]))
            self.known = np.nan_to_num(
                np.stack([forward_all(transforms, x, self.time, {"h": h, "w": w}) for x in windows])
            )

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        """Every ``every_n_steps`` generator steps, sample, compare with the validation windows, log.

        Writes ``val_<metric>_<variable>`` and ``val_domain_score`` to every logger at this step and
        into ``callback_metrics`` (where the best-model checkpoint reads the score).
        """
        step = trainer.global_step
        if self.real is None or step == 0 or step == self._last_step or step % self.every_n_steps:
            return
        self._last_step = step
        generated = generate_array(
            pl_module, self.num_samples, seed=0, time=self.time, known=self.known
        )
        generated = generated.astype(np.float64)
        logs, scores = {}, []
        for c, name in enumerate(self.names):
            m = compare(
                self.real[:, c],
                generated[:, c],
                metrics=("spectrum", "acf", "distribution"),
                max_lag=self.max_lag,
            )
            for key in ("rapsd_lsd_db", "acf_rmse", "w1"):
                logs[f"val_{key}_{name}"] = m[key]
            scores.append(domain_score(m, self.real_std[c]))
        logs["val_domain_score"] = float(np.mean(scores))
        # Straight to the logger at this step (self.log would repeat the values on every later
        # logging step); callback_metrics is what ModelCheckpoint and the progress bar read.
        for logger in trainer.loggers:
            logger.log_metrics(logs, step=step)
        trainer.callback_metrics.update({k: torch.tensor(v) for k, v in logs.items()})
