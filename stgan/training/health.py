"""Training health: signals that are not the loss, detectors that name a failure, a monitor.

GAN losses do not say whether training is going well, so the monitor watches what does:
D's outputs on real and fake data and how well they separate, the gradient norms of G and D,
the in-batch diversity of G's samples relative to real data, the directions its windows
travel in against the real ones', and the domain score. Each
detector is a condition on these signals with a threshold and a minimum duration in steps;
when it has held that long the monitor raises an alarm naming the failure, its evidence and
the toolbox remedies that answer it (DESIGN.md's table), prints it once, logs an indicator
``alarm_<name>`` (1 while the condition holds) and writes every alarm into ``health.json``
beside the checkpoints at the end of ``stgan fit``.

The signals are computed by :class:`~stgan.training.module.GANModule` at every iteration
(they cost a few reductions) and handed over in ``pl_module.health_signals``.
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.utilities import rank_zero_info, rank_zero_only

from stgan.errors import StganError
from stgan.io.atomic import write_text
from stgan.metrics.directions import direction_histogram, effective_directions

SCHEMA = "stgan-health/1"

# --- detectors -----------------------------------------------------------------------------

REMEDIES = {
    "mode_collapse": [
        "model.clusters: 16 with model.generator_options.latent_vector: 64 (self-conditioning; "
        "part of the recommended preset)",
        "model.d_steps: 5 (n_critic)",
        "model.loss: wgan with model.regularizers [{name: gp}]",
        "model.unrolled_steps: 5",
        "model.discriminator_options.minibatch_std: true",
        "model.pack: 2 (PacGAN)",
        "model.mode_seeking: 1.0",
        "model.generator_options.latent_categories: 8 with model.info_weight: 1.0 (InfoGAN)",
    ],
    "vanishing_gradients": [
        "model.loss: nonsaturating",
        "model.loss: wgan with model.regularizers [{name: gp}]",
        "model.loss: hinge",
        "model.loss: lsgan",
        "model.instance_noise: {sigma: 0.1}",
        "model.discriminator_options.spectral_norm: true",
        "model.regularizers: [{name: r1, gamma: 1}]",
    ],
    "d_overpowering": [
        "model.instance_noise: {sigma: 0.1}",
        "model.label_smoothing: 0.1",
        "model.regularizers: [{name: r1, gamma: 1}]",
        "model.discriminator_options.spectral_norm: true",
        "lower model.lr_d (TTUR)",
        "model.adaptive_d: {target: 0.6}",
    ],
    "g_overpowering": [
        "model.d_steps: 2 or more (n_critic)",
        "raise model.lr_d (TTUR)",
        "model.adaptive_d: {target: 0.6}",
        "model.unrolled_steps: 5",
    ],
    "no_progress": [
        "model.instance_noise: {sigma: 0.1, schedule: linear}",
        "model.regularizers: [{name: r1, gamma: 1}]",
        "model.discriminator_options.spectral_norm: true",
        "TTUR (model.lr_d > model.lr_g)",
        "model.ema_decay: 0.999",
        "model.adaptive_d: {target: 0.6}",
        "the hinge-sn-r1 preset",
    ],
    "divergence": [
        "lower model.lr_g and model.lr_d",
        "model.regularizers: [{name: r1, gamma: 1}] or gp",
        "model.discriminator_options.spectral_norm: true",
        "the hinge-sn-r1 preset",
    ],
}


@dataclass
class Detector:
    """One failure: a condition on the signals that must hold ``min_steps`` steps in a row.

    ``test(signals)`` returns the evidence (a dict of numbers) when the condition holds at
    this step, else None; ``message(evidence, since)`` says what it means.
    """

    name: str
    min_steps: int
    test: Any  # Callable[[dict[str, float]], dict[str, float] | None]
    describe: Any  # Callable[[dict[str, float], int], str]
    streak: int = 0  # consecutive iterations the condition has held
    since: int = 0  # the global step at which the current streak began
    remedies: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.remedies = list(REMEDIES[self.name])


# Generated samples whose pairwise distances are below a quarter of what independent samples of
# the same amplitude would show are "alike"; a constant generator scores 0.
SELF_DIVERSITY = 0.25


def _get(signals: dict[str, float], key: str) -> float | None:
    value = signals.get(key)
    return None if value is None or not math.isfinite(value) else value


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

    def test(s):
        r, own = _get(s, "diversity_ratio_smooth"), _get(s, "fake_self_diversity_smooth")
        alike = r is not None and r < threshold and (own is None or own < SELF_DIVERSITY)
        ratio = _get(s, "direction_ratio")
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

    def describe(e, since):
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


def vanishing_gradients(ratio: float, min_steps: int) -> Detector:
    """G's gradient norm below ``ratio`` × its largest (smoothed) value so far."""

    def test(s):
        g, peak = _get(s, "grad_norm_g_smooth"), _get(s, "grad_norm_g_peak")
        if g is None or not peak or g >= ratio * peak:
            return None
        return {
            "grad_norm_g": g,
            "grad_norm_g_peak": peak,
            "d_accuracy": s.get("d_accuracy_smooth"),
        }

    return Detector(
        "vanishing_gradients",
        min_steps,
        test,
        lambda e, since: (
            f"vanishing generator gradients since step {since:,}: G's gradient norm is "
            f"{e['grad_norm_g']:.2e}, {e['grad_norm_g'] / e['grad_norm_g_peak']:.1e} of its peak "
            f"{e['grad_norm_g_peak']:.2e} (alarm below {ratio}); D wins and G learns nothing"
        ),
    )


def _accuracy_beyond(threshold: float, above: bool):
    """A test: D's smoothed accuracy above (or below) ``threshold``, with the evidence."""

    def test(s):
        acc = _get(s, "d_accuracy_smooth")
        if acc is None or (acc <= threshold if above else acc >= threshold):
            return None
        return {"d_accuracy": acc, "d_gap": s.get("d_gap_smooth")}

    return test


def d_overpowering(threshold: float, min_steps: int) -> Detector:
    """D separates real from fake almost perfectly for a long time."""
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


def g_overpowering(threshold: float, min_steps: int) -> Detector:
    """D rates generated samples above real ones (accuracy below chance) for a long time."""
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


def divergence(factor: float, min_steps: int) -> Detector:
    """A rollback of the divergence guard, a non-finite signal, or a gradient norm explosion."""

    def test(s):
        if s.get("rolled_back"):
            return {"rollbacks": s["rollbacks"], "_now": True}
        for net in ("g", "d"):
            value, median = s.get(f"grad_norm_{net}"), _get(s, f"grad_norm_{net}_median")
            if value is not None and not math.isfinite(value):
                return {f"grad_norm_{net}": value, "_now": True}
            if value is not None and median and value > factor * median:
                return {f"grad_norm_{net}": value, "median": median, "factor": value / median}
        return None

    def describe(e, since):
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


# --- the monitor ---------------------------------------------------------------------------

SMOOTHED = (
    "diversity_ratio",
    "fake_self_diversity",
    "d_accuracy",
    "d_gap",
    "grad_norm_g",
    "grad_norm_d",
)
MEDIAN_WINDOW = 100  # iterations behind the running median of each gradient norm


class HealthMonitor(Callback):
    """Watch the training signals, raise named alarms, write ``health.json`` at the end.

    Signals are smoothed with an exponential moving average (``smoothing``; of the logarithm
    for gradient norms) before the detectors test them; a detector's alarm is raised once
    its condition has held for its minimum number of consecutive iterations, counted after
    ``warmup_steps``. The README's "Health monitor" section tables every alarm, its threshold
    and its remedies.

    Parameters
    ----------
    enabled : bool
        False turns the monitor off (no alarms, no health.json).
    warmup_steps : int
        Iterations before any detector but ``divergence`` looks: early GAN training is
        expected to be lopsided.
    smoothing : float
        EMA weight of the past for the smoothed signals, in [0, 1); 0.9 ≈ the last 10 steps.
    collapse_diversity, collapse_steps : float, int
        ``mode_collapse``: generated in-batch diversity below this fraction of the real one.
    collapse_directions, direction_window : float, int
        ``mode_collapse`` also: the effective number of dominant propagation directions of
        the generated windows of the last ``direction_window`` iterations below this
        fraction of the real windows' (needs windows of T >= 2 steps).
    vanishing_ratio, vanishing_steps : float, int
        ``vanishing_gradients``: G's gradient norm below this fraction of its peak.
    d_accuracy_high, d_overpower_steps : float, int
        ``d_overpowering``: D's accuracy (midpoint rule) above this.
    d_accuracy_low, g_overpower_steps : float, int
        ``g_overpowering``: D's accuracy below this (it prefers fakes to reals).
    progress_window, progress_min_delta : int, float
        ``no_progress``: the best domain score of the last ``progress_window`` evaluations is
        not lower than the best before them by at least this fraction of it.
    explode_factor, explode_steps : float, int
        ``divergence``: a gradient norm above this multiple of its running median (or any
        non-finite signal, or a rollback of the divergence guard: at once).
    """

    def __init__(
        self,
        enabled: bool = True,
        warmup_steps: int = 200,
        smoothing: float = 0.9,
        collapse_diversity: float = 0.1,
        collapse_steps: int = 20,
        collapse_directions: float = 0.5,
        direction_window: int = 16,
        vanishing_ratio: float = 0.01,
        vanishing_steps: int = 20,
        d_accuracy_high: float = 0.98,
        d_overpower_steps: int = 100,
        d_accuracy_low: float = 0.3,
        g_overpower_steps: int = 100,
        progress_window: int = 10,
        progress_min_delta: float = 0.02,
        explode_factor: float = 1000.0,
        explode_steps: int = 3,
    ) -> None:
        if not 0.0 <= smoothing < 1.0:
            raise StganError(f"health.smoothing must be in [0, 1), got {smoothing}")
        steps = dict(
            warmup_steps=warmup_steps,
            collapse_steps=collapse_steps,
            vanishing_steps=vanishing_steps,
            d_overpower_steps=d_overpower_steps,
            g_overpower_steps=g_overpower_steps,
            progress_window=progress_window,
            explode_steps=explode_steps,
            direction_window=direction_window,
        )
        bad = [
            f"{k}={v}"
            for k, v in steps.items()
            if int(v) != v or v < (0 if k == "warmup_steps" else 1)
        ]
        if bad:
            raise StganError(
                f"health step counts must be whole numbers >= 1 (warmup_steps >= 0); "
                f"got {', '.join(bad)}"
            )
        self.enabled, self.warmup_steps, self.smoothing = enabled, int(warmup_steps), smoothing
        self.progress_window, self.progress_min_delta = int(progress_window), progress_min_delta
        self.direction_window = int(direction_window)
        self.detectors = [
            mode_collapse(collapse_diversity, collapse_directions, int(collapse_steps)),
            vanishing_gradients(vanishing_ratio, int(vanishing_steps)),
            d_overpowering(d_accuracy_high, int(d_overpower_steps)),
            g_overpowering(d_accuracy_low, int(g_overpower_steps)),
            divergence(explode_factor, int(explode_steps)),
        ]
        self.reset()

    def reset(self) -> None:
        """Forget every signal and alarm (at the start of each fit)."""
        self.alarms: dict[str, dict[str, Any]] = {}  # name -> the health.json record
        self.active: dict[str, bool] = {}
        self.smooth: dict[str, float] = {}
        self._ema: dict[str, float] = {}  # of the value, or of its logarithm for gradient norms
        self.history = {net: deque(maxlen=MEDIAN_WINDOW) for net in ("g", "d")}
        # Per-iteration histograms of the dominant propagation direction, generated and real.
        self.directions = {kind: deque(maxlen=self.direction_window) for kind in ("fake", "real")}
        self.scores: list[tuple[int, float]] = []  # (step, val_domain_score)
        self.iterations = 0
        self.rollbacks = 0
        self.final_state: str | None = None
        self._score_seen = None
        for det in self.detectors:
            det.streak, det.since = 0, 0
        self.path: Path | None = None

    # --- signals in --------------------------------------------------------------------------
    def observe(self, raw: dict[str, Any], step: int) -> dict[str, float]:
        """Fold one iteration's signals in; return them with the smoothed ones added."""
        s = {
            k: float(v)
            for k, v in raw.items()
            if isinstance(v, (int, float, torch.Tensor))
            and (not torch.is_tensor(v) or v.numel() == 1)
        }
        for key in SMOOTHED:
            if key in s and math.isfinite(s[key]):
                # Gradient norms span decades: average their logarithms (a geometric mean).
                log = key.startswith("grad_norm")
                value = math.log(max(s[key], 1e-30)) if log else s[key]
                old = self._ema.get(key)
                self._ema[key] = (
                    value if old is None else (self.smoothing * old + (1 - self.smoothing) * value)
                )
                self.smooth[key] = math.exp(self._ema[key]) if log else self._ema[key]
        s.update({f"{k}_smooth": v for k, v in self.smooth.items()})
        if "grad_norm_g_smooth" in s:
            self.smooth["grad_norm_g_peak"] = max(
                self.smooth.get("grad_norm_g_peak", 0.0), s["grad_norm_g_smooth"]
            )
            s["grad_norm_g_peak"] = self.smooth["grad_norm_g_peak"]
        for net in ("g", "d"):
            past = sorted(self.history[net])
            if len(past) >= 10:
                s[f"grad_norm_{net}_median"] = past[len(past) // 2]
            value = s.get(f"grad_norm_{net}")
            if value is not None and math.isfinite(value):
                self.history[net].append(value)
        s.update(self._direction_signals(raw))
        return s

    def _direction_signals(self, raw: dict[str, Any]) -> dict[str, float]:
        """Fold this iteration's propagation directions in; once ``direction_window``
        iterations are in, the effective number of directions of each and their ratio."""
        for kind in ("fake", "real"):
            found = raw.get(f"{kind}_directions")
            if found is None:
                return {}
            self.directions[kind].append(direction_histogram(found.detach().cpu()))
        if len(self.directions["fake"]) < self.direction_window:
            return {}
        fake, real = (
            effective_directions(torch.stack(list(self.directions[k])).sum(0))
            for k in ("fake", "real")
        )
        if not (math.isfinite(fake) and math.isfinite(real)):
            return {}
        return {"directions_fake": fake, "directions_real": real, "direction_ratio": fake / real}

    def check(self, s: dict[str, float], step: int) -> list[dict[str, Any]]:
        """Run every detector on one iteration's signals; return the alarms raised just now."""
        self.iterations += 1
        raised = []
        for det in self.detectors:
            if det.name != "divergence" and self.iterations <= self.warmup_steps:
                continue
            evidence = det.test(s)
            det.streak = det.streak + 1 if evidence is not None else 0
            if det.streak == 1:
                # Steps count generator updates and iterations count batches (they differ
                # with d_steps > 1), so the start is remembered, not worked out backwards.
                det.since = step
            now = evidence is not None and evidence.pop("_now", False)  # no duration needed
            self.active[det.name] = det.streak >= det.min_steps or now
            if self.active[det.name]:
                since = det.since if det.name != "divergence" else step
                new = self._record(
                    det.name, since, step, evidence, det.describe(evidence, since), det.remedies
                )
                raised += [new] if new else []
        return raised

    def add_score(self, score: float, step: int) -> dict[str, Any] | None:
        """Fold in one domain-score evaluation; return the ``no_progress`` alarm if raised now."""
        if not math.isfinite(score):
            return None
        self.scores.append((step, score))
        w = self.progress_window
        self.active["no_progress"] = False
        if len(self.scores) <= w:
            return None
        before = min(v for _, v in self.scores[:-w])
        recent = min(v for _, v in self.scores[-w:])
        if recent > before - self.progress_min_delta * abs(before):
            self.active["no_progress"] = True
            since = self.scores[-w][0]
            evidence = {"best_before": before, "best_recent": recent, "evaluations": w}
            message = (
                f"no progress since step {since:,}: the best domain score of the last {w} "
                f"evaluations is {recent:.3f}, against {before:.3f} before them (needs "
                f"{self.progress_min_delta:.0%} lower); training oscillates or worsens"
            )
            return self._record(
                "no_progress", since, step, evidence, message, REMEDIES["no_progress"]
            )
        return None

    def _record(self, name, since, step, evidence, message, remedies) -> dict[str, Any] | None:
        alarm = self.alarms.get(name)
        if alarm is not None:
            alarm["last_step"] = int(step)
            return None
        self.alarms[name] = {
            "name": name,
            "first_step": int(since),
            "last_step": int(step),
            "message": message,
            "evidence": _plain(evidence),
            "remedies": list(remedies),
        }
        return self.alarms[name]

    # --- summary out ----------------------------------------------------------------------
    def summary(self, final_step: int) -> dict[str, Any]:
        """The ``health.json`` record (schema ``stgan-health/1``)."""
        best = min(self.scores, key=lambda p: p[1]) if self.scores else None
        alarms = sorted(
            (
                {**a, "active_at_end": bool(self.active.get(a["name"], False))}
                for a in self.alarms.values()
            ),
            key=lambda a: a["first_step"],
        )
        # An alarm whose condition no longer holds at the end (a transient) leaves the run
        # "recovered"; one still holding leaves it in "alarms".
        state = self.final_state or (
            "alarms"
            if any(a["active_at_end"] for a in alarms)
            else "recovered"
            if alarms
            else "healthy"
        )
        return {
            "schema": SCHEMA,
            "alarms": alarms,
            "best_domain_score": None if best is None else float(best[1]),
            "best_step": None if best is None else int(best[0]),
            "final_step": int(final_step),
            "final_state": state,
            "rollbacks": int(self.rollbacks),
        }

    # --- Lightning hooks ------------------------------------------------------------------
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.reset()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        raw = getattr(pl_module, "health_signals", None)
        if not self.enabled or not raw:
            return
        step = trainer.global_step
        self.rollbacks = int(raw.get("rollbacks", self.rollbacks))
        signals = self.observe(raw, step)
        raised = self.check(signals, step)
        score = trainer.callback_metrics.get("val_domain_score")
        if score is not None and score is not self._score_seen:  # a fresh evaluation
            self._score_seen = score
            raised += [a for a in [self.add_score(float(score), step)] if a]
        for alarm in raised:
            _announce(
                f"stgan health: ALARM {alarm['name']}: {alarm['message']}. Remedies: "
                f"{'; '.join(alarm['remedies'])}"
            )
        names = [d.name for d in self.detectors] + ["no_progress"]
        pl_module.log_dict({f"alarm_{n}": float(self.active.get(n, False)) for n in names})
        pl_module.log("alarms", float(len(self.alarms)), prog_bar=True)
        pl_module.log_dict(
            {
                k: signals[k]
                for k in ("direction_ratio", "directions_fake", "directions_real")
                if k in signals
            }
        )

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.enabled:
            self._finish(trainer)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if not self.enabled:
            return
        guard = getattr(pl_module, "guard", None)
        if guard is not None and guard.rollbacks > guard.max_rollbacks:
            self.final_state, self.rollbacks = "diverged", guard.rollbacks
            event = guard.events[-1]
            self._record(
                "divergence",
                event["step"],
                event["step"],
                {"rollbacks": guard.rollbacks},
                f"training diverged: {event['reason']} at step {event['step']:,}, and "
                f"stopped after {guard.max_rollbacks} rollbacks",
                REMEDIES["divergence"],
            )
        else:
            self.final_state = (
                "interrupted" if isinstance(exception, KeyboardInterrupt) else "failed"
            )
        self._finish(trainer)

    def _finish(self, trainer: pl.Trainer) -> None:
        summary = self.summary(trainer.global_step)
        ckpt = trainer.checkpoint_callback
        folder = getattr(ckpt, "dirpath", None) or trainer.default_root_dir
        self.path = Path(folder) / "health.json"
        if trainer.is_global_zero:
            write_text(self.path, json.dumps(summary, indent=2) + "\n")
        _announce(format_summary(summary, self.path))


def format_summary(summary: dict[str, Any], path: Path | None = None) -> str:
    """The end-of-fit health summary as a few lines of text."""
    best = summary["best_domain_score"]
    lines = [
        f"stgan health: {summary['final_state']} at step {summary['final_step']:,}; "
        f"{len(summary['alarms'])} alarm(s), {summary['rollbacks']} rollback(s); best domain "
        + ("score: none" if best is None else f"score {best:.3f} at step {summary['best_step']:,}")
    ]
    for alarm in summary["alarms"]:
        when = "still active" if alarm.get("active_at_end") else "cleared"
        lines.append(
            f"  {alarm['name']} (steps {alarm['first_step']:,}-{alarm['last_step']:,}, {when}): "
            f"{alarm['message']}"
        )
    if path is not None:
        lines.append(f"  written to {path}")
    return "\n".join(lines)


@rank_zero_only
def _announce(text: str) -> None:
    # Printed, not warned: warnings are often filtered, and a headless user must see this.
    rank_zero_info(text)


def _plain(evidence: dict[str, Any]) -> dict[str, Any]:
    """Evidence as JSON-safe plain numbers (None for missing or non-finite)."""
    out = {}
    for k, v in evidence.items():
        v = float(v) if v is not None else None
        out[k] = v if v is not None and math.isfinite(v) else None
    return out
