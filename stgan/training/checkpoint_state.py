"""What a GANModule adds to a checkpoint: the data description and the GAN step counters.

A mixin of :class:`~stgan.training.module.GANModule`. ``checkpoint["stgan"]`` holds, as plain
types (the file loads with ``torch.load(weights_only=True)``), everything ``stgan generate``
needs beyond the weights (names, units, coordinates, transforms) and the step bookkeeping a
resumed run needs to continue exactly.
"""

from __future__ import annotations

from typing import Any

from stgan.errors import StganError
from stgan.training.guard import weights_finite

# Bumped when the layout of a checkpoint changes. 2: option groups in the hyper-parameters and
# the generator terms' weights under g_terms.* (format 1's are renamed on load).
CHECKPOINT_FORMAT = 2


class CheckpointState:
    """Save and restore ``checkpoint["stgan"]``: format, data description, step counters."""

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Add ``checkpoint["stgan"]``: format, data description and step counters.

        Raises
        ------
        StganError
            If any weight is non-finite: a diverged model is never written.
        """
        if not weights_finite(self):  # never write NaN weights, whatever asked for the save
            raise StganError(
                "refusing to write a checkpoint with non-finite weights: training "
                "diverged; lower the learning rates or keep model.guard enabled"
            )
        checkpoint["stgan"] = {
            "format": CHECKPOINT_FORMAT,
            "data": self.data_info,
            "counters": self._counters(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore the data description and the step counters from ``checkpoint["stgan"]``."""
        self.data_info = checkpoint.get("stgan", {}).get("data")
        self._restore_counters(checkpoint.get("stgan", {}).get("counters"))

    def _counters(self) -> dict[str, Any]:
        """The step bookkeeping a resumed run needs to continue exactly, as plain types."""
        counters: dict[str, Any] = {
            "d_updates": self.d_updates,
            "d_since_g": self._d_since_g,
            "n_d": self._n_d,
        }
        adaptive = self.adaptive
        if adaptive is not None:
            counters["adaptive"] = {
                "steps": adaptive.steps,
                "confidence": adaptive.confidence,
                "skipped": adaptive.skipped,
            }
        counters["rollbacks"] = int(self.guard.rollbacks)
        return counters

    def _restore_counters(self, counters: dict[str, Any] | None) -> None:
        if not counters:  # a checkpoint from before the counters were saved
            return
        self.d_updates = int(counters["d_updates"])
        self._d_since_g = int(counters["d_since_g"])
        self._n_d = int(counters["n_d"])
        adaptive = self.adaptive
        if adaptive is not None and "adaptive" in counters:
            adaptive.steps = int(counters["adaptive"]["steps"])
            adaptive.confidence = counters["adaptive"]["confidence"]
            adaptive.skipped = int(counters["adaptive"]["skipped"])
        if "rollbacks" in counters:
            self.guard.rollbacks = int(counters["rollbacks"])
