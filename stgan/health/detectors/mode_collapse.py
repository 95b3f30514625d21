"""``mode_collapse``: G's samples alike, or travelling in fewer directions than the data's."""

from __future__ import annotations

from stgan.health.detectors import DETECTORS, Detector, Evidence, finite


@DETECTORS.register("mode_collapse")
def mode_collapse(threshold: float, directions: float, min_steps: int) -> Detector:
    """G's samples alike, or travelling in fewer directions than the data's.

    Either G's windows, for their amplitude, differ from each other by less than
    ``threshold`` × what the real windows do (``fake_self_diversity`` below ``threshold`` ×
    ``real_self_diversity``, both of :func:`~stgan.training.signals.batch_diversity`): ≈ 0
    when every sample shows one pattern, whether faint or loud, while a young generator whose
    samples differ but are still faint scores ≈ 1, as do data whose windows share a fixed
    pattern and a generator that matches them; or the effective number of dominant
    propagation directions of recent generated windows below ``directions`` × the real
    windows' (``direction_ratio``; see :func:`~stgan.metrics.directions.propagation_directions`),
    which sees a generator that has dropped modes although each sample still differs from
    the next (a partial collapse: every wave travels one of two ways, say).
    """

    def test(s: dict[str, float]) -> Evidence | None:
        own = finite(s, "fake_self_diversity_smooth")
        real = finite(s, "real_self_diversity_smooth")
        alike = own is not None and own < threshold * (1.0 if real is None else real)
        ratio = finite(s, "direction_ratio")
        few = ratio is not None and ratio < directions
        if not (alike or few):
            return None
        evidence = {}
        if alike:
            evidence.update(
                fake_self_diversity=own,
                real_self_diversity=real,
                diversity_ratio=finite(s, "diversity_ratio_smooth"),
            )
        if few:
            evidence.update(
                direction_ratio=ratio,
                directions_fake=s.get("directions_fake"),
                directions_real=s.get("directions_real"),
            )
        return {k: v for k, v in evidence.items() if v is not None}

    def describe(e: Evidence, since: int) -> str:
        found = []
        if "fake_self_diversity" in e:
            real = e.get("real_self_diversity", 1.0)
            found.append(
                f"the generated windows are alike: for their amplitude they differ from each "
                f"other {e['fake_self_diversity'] / real:.2f} times as much as the real ones "
                f"(alarm below {threshold})"
            )
        if "direction_ratio" in e:
            found.append(
                f"the generated windows travel in {e['directions_fake']:.1f} effective "
                f"directions against the data's {e['directions_real']:.1f}, "
                f"{e['direction_ratio']:.2f} of them (alarm below {directions})"
            )
        return f"mode collapse suspected since step {since:,}: " + "; ".join(found)

    return Detector("mode_collapse", min_steps, test, describe)
