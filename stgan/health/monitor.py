"""The health monitor: a Lightning callback that names a failing run while it trains.

GAN losses do not say whether training is going well, so the monitor watches what does:
D's outputs on real and fake data and how well they separate, the gradient norms of G and D,
the in-batch diversity of G's samples relative to real data, the directions its windows
travel in against the real ones', and the domain score. Each detector
(:mod:`stgan.health.detectors`) is a condition on these signals with a threshold and a
minimum duration in steps; when it has held that long the monitor raises an alarm naming the
failure, its evidence and the toolbox remedies that answer it (:mod:`stgan.health.remedies`),
prints it once, logs an indicator ``alarm_<name>`` (1 while the condition holds), logs the
smoothed signals and indicators beside the domain metrics at every evaluation step, and
writes every alarm into ``health.json`` beside the checkpoints at the end of ``stgan fit``
(:mod:`stgan.health.summary`).

The signals are computed by :class:`~stgan.training.module.GANModule` at every iteration
(they cost a few reductions) and handed over in ``pl_module.health_signals``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.utilities import rank_zero_info, rank_zero_only

from stgan.errors import StganError
from stgan.health.detectors import DETECTORS
from stgan.health.remedies import REMEDIES
from stgan.health.summary import format_summary, health_record, plain, write_health
from stgan.health.tracker import DIRECTION_SIGNALS, SignalTracker
from stgan.training.signals import logs_this_step


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
        ``mode_collapse``: generated in-batch diversity, for the samples' amplitude
        (``fake_self_diversity``), below this fraction of the real batch's
        (``real_self_diversity``).
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
        collapse_diversity: float = 0.25,
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
        self.tracker = SignalTracker(smoothing, int(direction_window))
        thresholds = {
            "mode_collapse": dict(
                threshold=collapse_diversity,
                directions=collapse_directions,
                min_steps=int(collapse_steps),
            ),
            "vanishing_gradients": dict(ratio=vanishing_ratio, min_steps=int(vanishing_steps)),
            "d_overpowering": dict(threshold=d_accuracy_high, min_steps=int(d_overpower_steps)),
            "g_overpowering": dict(threshold=d_accuracy_low, min_steps=int(g_overpower_steps)),
            "divergence": dict(factor=explode_factor, min_steps=int(explode_steps)),
        }
        self.detectors = [DETECTORS.build(key, **options) for key, options in thresholds.items()]
        self.reset()

    def reset(self) -> None:
        """Forget every signal and alarm (at the start of each fit)."""
        self.alarms: dict[str, dict[str, Any]] = {}  # name -> the health.json record
        self.active: dict[str, bool] = {}
        self.tracker.reset()
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
        """Fold one iteration's signals in; return them with the smoothed ones added
        (see :class:`~stgan.health.tracker.SignalTracker`)."""
        return self.tracker.observe(raw)

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
            "evidence": plain(evidence),
            "remedies": list(remedies),
        }
        return self.alarms[name]

    # --- summary out ----------------------------------------------------------------------
    def summary(self, final_step: int) -> dict[str, Any]:
        """The ``health.json`` record (schema ``stgan-health/1``; see
        :func:`~stgan.health.summary.health_record`)."""
        return health_record(
            self.alarms,
            self.active,
            self.scores,
            final_step=final_step,
            final_state=self.final_state,
            rollbacks=self.rollbacks,
        )

    def flags(self) -> dict[str, float]:
        """``alarm_<name>``: 1.0 while that alarm's condition holds, else 0.0, for every alarm."""
        names = [d.name for d in self.detectors] + ["no_progress"]
        return {f"alarm_{n}": float(self.active.get(n, False)) for n in names}

    def eval_snapshot(self, signals: dict[str, float]) -> dict[str, float]:
        """The health signals as the detectors see them, for the logger at an evaluation step.

        ``health/<signal>_smooth`` for each smoothed signal (gradient norms, D's accuracy and
        gap, diversity), ``health/direction_ratio`` (and the two direction counts) once known,
        ``health/alarm_<name>`` (0/1) per alarm and ``health/alarms``, the alarms raised so far.
        """
        out = {f"health/{k}_smooth": v for k, v in self.tracker.smoothed().items()}
        out.update(
            {f"health/{k}": signals[k] for k in DIRECTION_SIGNALS if k in signals},
        )
        out.update({f"health/{k}": v for k, v in self.flags().items()})
        out["health/alarms"] = float(len(self.alarms))
        return out

    # --- Lightning hooks ------------------------------------------------------------------
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Forget the signals and alarms of an earlier fit (:meth:`reset`)."""
        self.reset()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        """Run the detectors on this iteration's signals; announce and log what they raise.

        Reads the module's ``health_signals``; after a fresh evaluation (a new
        ``val_domain_score``) also checks progress and sends :meth:`eval_snapshot` to every logger
        at that step. Logs the ``alarm_<name>`` flags and the number of alarms at the iterations
        Lightning writes logs (:func:`~stgan.training.signals.logs_this_step`).
        """
        raw, _ = _module_state(pl_module)
        if not self.enabled or not raw:
            return
        step = trainer.global_step
        self.rollbacks = int(raw.get("rollbacks", self.rollbacks))
        signals = self.observe(raw, step)
        raised = self.check(signals, step)
        score = trainer.callback_metrics.get("val_domain_score")
        fresh = score is not None and score is not self._score_seen  # an evaluation just now
        if fresh:
            self._score_seen = score
            raised += [a for a in [self.add_score(float(score), step)] if a]
        for alarm in raised:
            _announce(
                f"stgan health: ALARM {alarm['name']}: {alarm['message']}. Remedies: "
                f"{'; '.join(alarm['remedies'])}"
            )
        if logs_this_step(trainer):
            pl_module.log_dict(self.flags())
            pl_module.log("alarms", float(len(self.alarms)), prog_bar=True)
            pl_module.log_dict({k: signals[k] for k in DIRECTION_SIGNALS if k in signals})
        if fresh:
            # Beside the domain metrics, at their step: self.log only reaches the logger every
            # log_every_n_steps, so an evaluation step would often miss the health signals.
            for logger in trainer.loggers:
                logger.log_metrics(self.eval_snapshot(signals), step=step)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Write ``health.json`` and print the summary (a run that ended normally)."""
        if self.enabled:
            self._finish(trainer)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        """Write ``health.json`` for a run that stopped on an exception.

        If the divergence guard ran out of rollbacks the run is ``diverged`` and a ``divergence``
        alarm is recorded; otherwise it is ``interrupted`` (Ctrl-C) or ``failed``.
        """
        if not self.enabled:
            return
        _, guard = _module_state(pl_module)
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
            write_health(summary, folder)
        _announce(format_summary(summary, self.path))


def _module_state(pl_module: pl.LightningModule) -> tuple[dict[str, Any] | None, Any]:
    """What the monitor reads from the GAN module: this iteration's signals
    (``health_signals``, set by its training step) and its divergence guard."""
    return getattr(pl_module, "health_signals", None), getattr(pl_module, "guard", None)


@rank_zero_only
def _announce(text: str) -> None:
    # Printed, not warned: warnings are often filtered, and a headless user must see this.
    rank_zero_info(text)
