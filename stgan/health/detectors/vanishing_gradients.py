"""``vanishing_gradients``: G's gradient norm far below its peak; D wins and G learns nothing."""

from __future__ import annotations

from stgan.health.detectors import DETECTORS, Detector, Evidence, finite


@DETECTORS.register("vanishing_gradients")
def vanishing_gradients(ratio: float, min_steps: int) -> Detector:
    """G's gradient norm below ``ratio`` × its largest (smoothed) value so far."""

    def test(s: dict[str, float]) -> Evidence | None:
        g, peak = finite(s, "grad_norm_g_smooth"), finite(s, "grad_norm_g_peak")
        if g is None or not peak or g >= ratio * peak:
            return None
        return {
            "grad_norm_g": g,
            "grad_norm_g_peak": peak,
            "d_accuracy": s.get("d_accuracy_smooth"),
        }

    def describe(e: Evidence, since: int) -> str:
        return (
            f"vanishing generator gradients since step {since:,}: G's gradient norm is "
            f"{e['grad_norm_g']:.2e}, {e['grad_norm_g'] / e['grad_norm_g_peak']:.1e} of its peak "
            f"{e['grad_norm_g_peak']:.2e} (alarm below {ratio}); D wins and G learns nothing"
        )

    return Detector("vanishing_gradients", min_steps, test, describe)
