"""``divergence``: a rollback of the divergence guard, a non-finite signal, exploding gradients."""

from __future__ import annotations

import math

from stgan.health.detectors import DETECTORS, Detector, Evidence, finite


@DETECTORS.register("divergence")
def divergence(factor: float, min_steps: int) -> Detector:
    """A rollback of the divergence guard or a non-finite gradient norm (at once), or a
    gradient norm above ``factor`` × its running median for ``min_steps`` iterations."""

    def test(s: dict[str, float]) -> Evidence | None:
        if s.get("rolled_back"):
            return {"rollbacks": s["rollbacks"], "_now": True}
        for net in ("g", "d"):
            value, median = s.get(f"grad_norm_{net}"), finite(s, f"grad_norm_{net}_median")
            if value is not None and not math.isfinite(value):
                return {f"grad_norm_{net}": value, "_now": True}
            if value is not None and median and value > factor * median:
                return {f"grad_norm_{net}": value, "median": median, "factor": value / median}
        return None

    def describe(e: Evidence, since: int) -> str:
        if "rollbacks" in e:
            return (
                f"training diverged at step {since:,}: a non-finite loss or gradient; the "
                f"update was skipped and the last good state restored ({e['rollbacks']} "
                "rollback(s) so far)"
            )
        key = next(iter(e))
        if "median" not in e:
            return f"training diverged at step {since:,}: {key} is {e[key]}"
        return (
            f"exploding gradients since step {since:,}: {key} = {e[key]:.3g}, "
            f"{e['factor']:.0f}× its recent median (alarm above {factor:g}×)"
        )

    return Detector("divergence", min_steps, test, describe)
