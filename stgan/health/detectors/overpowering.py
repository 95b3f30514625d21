"""``d_overpowering`` and ``g_overpowering``: one network beats the other for a long time.

Both read D's smoothed accuracy (:func:`~stgan.training.signals.discriminator_accuracy`):
0.5 when D cannot tell real from fake, 1 when it separates every sample, below 0.5 when it
rates fakes above reals.
"""

from __future__ import annotations

from collections.abc import Callable

from stgan.health.detectors import DETECTORS, Detector, Evidence, finite


def _accuracy_beyond(
    threshold: float, above: bool
) -> Callable[[dict[str, float]], Evidence | None]:
    """A test: D's smoothed accuracy above (or below) ``threshold``, with the evidence."""

    def test(s: dict[str, float]) -> Evidence | None:
        acc = finite(s, "d_accuracy_smooth")
        if acc is None or (acc <= threshold if above else acc >= threshold):
            return None
        return {"d_accuracy": acc, "d_gap": s.get("d_gap_smooth")}

    return test


@DETECTORS.register("d_overpowering")
def d_overpowering(threshold: float, min_steps: int) -> Detector:
    """D separates real from fake almost perfectly (accuracy above ``threshold``) for long."""
    return Detector(
        "d_overpowering",
        min_steps,
        _accuracy_beyond(threshold, above=True),
        lambda e, since: (
            f"the discriminator overpowers the generator since step {since:,}: it separates "
            f"{e['d_accuracy']:.0%} of real and fake samples (alarm above {threshold:.0%}), "
            f"mean D(real) − D(fake) = {e['d_gap']:.3g}"
        ),
    )


@DETECTORS.register("g_overpowering")
def g_overpowering(threshold: float, min_steps: int) -> Detector:
    """D rates generated samples above real ones (accuracy below ``threshold``) for long."""
    return Detector(
        "g_overpowering",
        min_steps,
        _accuracy_beyond(threshold, above=False),
        lambda e, since: (
            f"the generator overpowers the discriminator since step {since:,}: D's accuracy is "
            f"{e['d_accuracy']:.0%} (alarm below {threshold:.0%}, chance is 50%), "
            f"mean D(real) − D(fake) = {e['d_gap']:.3g}"
        ),
    )
