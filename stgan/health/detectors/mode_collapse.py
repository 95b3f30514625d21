"""``mode_collapse``: G's samples alike, or travelling in fewer directions than the data's."""

from __future__ import annotations

from stgan.health.detectors import DETECTORS, Detector, Evidence, finite

# Generated samples whose pairwise distances are below a quarter of what independent samples of
# the same amplitude would show are "alike"; a constant generator scores 0.
SELF_DIVERSITY = 0.25


@DETECTORS.register("mode_collapse")
def mode_collapse(threshold: float, directions: float, min_steps: int) -> Detector:
    """G's samples alike, or travelling in fewer directions than the data's.

    Either in-batch diversity below ``threshold`` × the real one's while the samples are
    alike in pattern (``fake_self_diversity`` of
    :func:`~stgan.training.signals.batch_diversity` below ``SELF_DIVERSITY``, which spares a
    young generator whose samples differ but are still faint); or the effective number of
    dominant propagation directions of recent generated windows below ``directions`` × the
    real windows' (``direction_ratio``; see :func:`~stgan.metrics.directions.propagation_directions`),
    which sees a generator that has dropped modes although each sample still differs from
    the next (a partial collapse: every wave travels one of two ways, say).
    """

    def test(s: dict[str, float]) -> Evidence | None:
        r, own = finite(s, "diversity_ratio_smooth"), finite(s, "fake_self_diversity_smooth")
        alike = r is not None and r < threshold and (own is None or own < SELF_DIVERSITY)
        ratio = finite(s, "direction_ratio")
        few = ratio is not None and ratio < directions
        if not (alike or few):
            return None
        evidence = {"diversity_ratio": r, "fake_self_diversity": own} if alike else {}
        if few:
            evidence.update(
                direction_ratio=ratio,
                directions_fake=s.get("directions_fake"),
                directions_real=s.get("directions_real"),
            )
        return evidence

    def describe(e: Evidence, since: int) -> str:
        found = []
        if "fake_self_diversity" in e:
            found.append(
                f"in-batch diversity is {e['diversity_ratio']:.2f} of the real data's "
                f"(alarm below {threshold})"
            )
        if e.get("direction_ratio") is not None:
            found.append(
                f"the generated windows travel in {e['directions_fake']:.1f} effective "
                f"directions against the data's {e['directions_real']:.1f}, "
                f"{e['direction_ratio']:.2f} of them (alarm below {directions})"
            )
        return f"mode collapse suspected since step {since:,}: " + "; ".join(found)

    return Detector("mode_collapse", min_steps, test, describe)
