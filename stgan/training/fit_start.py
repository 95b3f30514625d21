"""What a GANModule does before its first step: read the data, check it, fit the clusters.

A mixin of :class:`~stgan.training.module.GANModule`.
"""

from __future__ import annotations

import torch
from pytorch_lightning.utilities import rank_zero_info

from stgan.data.short_records import short_record_warning
from stgan.errors import StganError
from stgan.stabilization.clusters import CLUSTER_WINDOWS, FIT_WINDOWS, STRUCTURE
from stgan.training.memory_format import to_channels_last
from stgan.training.precision import emulated_bf16_note, onednn_off_for_bf16


class FitStart:
    """Lightning's fit-start hooks: data description, CPU bf16 check, clusters, snapshot."""

    def on_fit_start(self) -> None:
        """Take the data description, check the options against it, and prepare training.

        Refuses ``augment.roll_x`` on a non-periodic grid, puts the networks in channels-last
        memory (``channels_last``), turns oneDNN off for bf16 on CPU where
        its bf16 conv3d check fails (:mod:`stgan.training.precision`), prints
        the short-record warning and fits the self-conditioning clusters.
        """
        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is not None and hasattr(datamodule, "info"):
            self.data_info = datamodule.info
        aug = self.augment
        if aug is not None and aug.roll_x and not (self.data_info or {}).get("periodic_x"):
            raise StganError(
                "augment roll_x needs a periodic (global) longitude axis, and this "
                "grid is not; drop roll_x"
            )
        if self.hparams.get("channels_last", True):
            ema = self.generator_ema.module if self.generator_ema is not None else None
            to_channels_last(self.generator, self.discriminator, ema)
        self._mkldnn_was = None
        if self.device.type == "cpu" and str(self.trainer.precision).startswith("bf16"):
            note = emulated_bf16_note()
            if note is not None:
                rank_zero_info(f"stgan: {note}")
            reason = onednn_off_for_bf16()
            if reason is not None:
                self._mkldnn_was = torch.backends.mkldnn.enabled
                torch.backends.mkldnn.enabled = False
                rank_zero_info(f"stgan: bf16 on CPU trains without oneDNN: {reason}")

        if datamodule is not None and hasattr(datamodule, "count_windows"):
            warning = short_record_warning(
                datamodule.count_windows("train"),
                datamodule.batch_size,
                self.clusters.k if self.clusters is not None else 0,
            )
            if warning:
                rank_zero_info(warning)
        if self.clusters is not None and not bool(self.clusters.fitted):
            self._fit_clusters(datamodule)
        if self.conditions is not None and not bool(self.conditions.filled):
            if datamodule is None or not hasattr(datamodule, "static_fields"):
                raise StganError(
                    "data.conditions need the training data before training: fit with a "
                    "datamodule (stgan fit does)"
                )
            self.conditions.fill(datamodule)
            rank_zero_info(f"stgan: conditioned on {self.conditions.describe()}")

    def _fit_clusters(self, datamodule) -> None:
        if datamodule is None:
            raise StganError(
                "model.clusters needs the training data before training: fit with a "
                "datamodule (stgan fit does)"
            )
        clusters = self.clusters
        rank_zero_info(
            f"stgan: model.clusters {clusters.k}: clustering up to {FIT_WINDOWS} training "
            f"windows by their space-time spectra before training"
        )
        n = clusters.fit_batches(datamodule.train_dataloader(), self.device)
        if clusters.used < clusters.k:  # rank zero's own fit: the one broadcast below
            used = f"{clusters.used} cluster{'s' if clusters.used > 1 else ''}"
            rank_zero_info(
                f"stgan: only {clusters.distinct} distinct windows: using {used} instead of "
                f"{clusters.k} ({CLUSTER_WINDOWS} distinct windows per cluster at least; "
                f"the other {clusters.k - clusters.used} are never drawn)"
            )
        # Under DDP every process clusters its own shard; all must use one set of clusters
        # (the class embedding's gradients are averaged across them): rank zero's.
        state = self.trainer.strategy.broadcast(
            {k: v.cpu() for k, v in clusters.state_dict().items()}
        )
        clusters.load_state_dict({k: v.to(self.device) for k, v in state.items()})
        if bool(clusters.structured):
            shares = " ".join(f"{f:.2f}" for f in clusters.frequencies.tolist())
            rank_zero_info(
                f"stgan: {clusters.k} spectral clusters of {n} training windows "
                f"(silhouette {float(clusters.silhouette):.2f}), shares {shares}"
            )
        else:
            rank_zero_info(
                f"stgan: {n} training windows show no cluster structure (silhouette "
                f"{float(clusters.silhouette):.2f} < {STRUCTURE}): training unconditioned"
            )

    def on_fit_end(self) -> None:
        """Restore oneDNN if :meth:`on_fit_start` switched it off."""
        if getattr(self, "_mkldnn_was", None) is not None:
            torch.backends.mkldnn.enabled = self._mkldnn_was

    def on_train_start(self) -> None:
        """Snapshot the state the divergence guard rolls back to if the first steps diverge."""
        # The state to roll back to if the very first steps diverge.
        self.guard.snapshot(self, self.trainer.optimizers, self.global_step)
