"""The two halves of a GAN iteration: one discriminator update and one generator update.

A mixin of :class:`~stgan.training.module.GANModule`, which supplies the networks, D's view
(:meth:`_d_input`, :meth:`_d`), the clusters and the divergence guard.
"""

from __future__ import annotations

from typing import Any

import torch

from stgan.metrics.directions import propagation_directions
from stgan.stabilization.balance import discriminator_confidence
from stgan.stabilization.gterms import GStep
from stgan.stabilization.labels import bce_discriminator_loss
from stgan.stabilization.unrolled import unrolled_generator_loss
from stgan.training.guard import is_finite
from stgan.training.signals import batch_diversity, discriminator_accuracy, grad_norms


class AdversarialSteps:
    """D's update (loss, penalties, signals) and G's (loss, unrolled D, generator terms)."""

    def _checked_grad_norms(self, total, net, prefix: str, name: str) -> dict[str, Any] | None:
        """``net``'s gradient norms after the backward of ``total``; None: do not step.

        Under ``16-mixed`` the gradients carry the loss scale of Lightning's gradient scaler:
        the norms are divided by it, and an overflow at a finite loss is the scaler's to handle
        (it skips the step and lowers the scale, as it does in the first steps of any run):
        the step goes ahead, with no norms logged. Any other non-finite loss or gradient goes
        to the divergence guard, which rolls back (:meth:`_finite_or_rollback`).
        """
        norms = grad_norms(net, prefix)
        plugin = getattr(self._trainer, "precision_plugin", None)  # None: no trainer attached
        scaler = getattr(plugin, "scaler", None)
        if scaler is not None and scaler.is_enabled():
            scale = scaler.get_scale()
            norms = {k: v / scale for k, v in norms.items()}
            if is_finite(total) and not is_finite(norms[f"grad_norm_{prefix}"]):
                return {}
        if not self._finite_or_rollback(total, norms[f"grad_norm_{prefix}"], name):
            return None
        return norms

    def _discriminator_step(self, real, valid, opt_d, cond=None, drawn=None) -> dict[str, Any]:
        """D's update; ``drawn``: the iteration's ``(z, G(z))`` (``balance.reuse_fake``)."""
        self.toggle_optimizer(opt_d)
        if drawn is None:
            z = self.sample_latent(real.shape[0], train=True)
            with torch.no_grad():
                fake = self(z, cond=cond)
        else:
            z, fake = drawn[0], drawn[1].detach()
        c_real, c_fake = self._classes(real, valid, z)
        real_in, real_mask = self._d_input(real, valid, cond)
        fake_in, fake_mask = self._d_input(fake, valid, cond)
        d_real, d_fake = self._d(real_in, real_mask, c_real), self._d(fake_in, fake_mask, c_fake)
        labels = self.loss_options
        if labels.label_tricks:
            loss_d = bce_discriminator_loss(
                d_real, d_fake, real_target=labels.real_target, flip=labels.label_flip
            )
        else:
            loss_d = self.gan_loss.discriminator(d_real, d_fake)
        total = loss_d
        for penalty in self.penalties:
            if penalty.due(self.d_updates):
                total = total + penalty(lambda x: self._d(x, real_mask, c_real), real_in, fake_in)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(total)
        norms = self._checked_grad_norms(total, self.discriminator, "d", "discriminator")
        if norms is None:
            self.untoggle_optimizer(opt_d)
            return {"loss_d": loss_d.detach()}
        self._step_uncounted(opt_d)
        for penalty in self.penalties:
            penalty.after_discriminator_step(self.discriminator)
        self.untoggle_optimizer(opt_d)
        self.d_updates += 1
        d_real_mean, d_fake_mean = d_real.mean().detach(), d_fake.mean().detach()
        return {
            "loss_d": loss_d.detach(),
            "d_real": d_real_mean,
            "d_fake": d_fake_mean,
            "d_gap": d_real_mean - d_fake_mean,
            "d_confidence": discriminator_confidence(d_real),
            "d_accuracy": discriminator_accuracy(d_real.detach(), d_fake.detach()),
            **batch_diversity(fake * valid, real),
            **norms,
            # Per-window tensors for the health monitor's direction histograms; not logged.
            "fake_directions": propagation_directions(fake * valid),
            "real_directions": propagation_directions(real),
        }

    def _generator_loss(
        self, real, valid, fake_in, fake_mask, c_real, c_fake, cond=None
    ) -> torch.Tensor:
        """The adversarial part of G's loss, against D as it is or unrolled ahead."""
        loss = self.gan_loss
        real_scores = None
        if loss.needs_real_for_generator:
            with torch.no_grad():
                real_scores = self._d(*self._d_input(real, valid, cond), c_real)
        if not self.balance.unrolled_steps:
            return loss.generator(self._d(fake_in, fake_mask, c_fake), real_scores)
        real_in, real_mask = self._d_input(real, valid, cond)
        return unrolled_generator_loss(
            self.discriminator,
            loss.discriminator,
            lambda scores: loss.generator(scores, real_scores),
            real_in,
            fake_in,
            steps=self.balance.unrolled_steps,
            lr=self.balance.unrolled_lr,
            d_fn_kwargs={"mask": real_mask},
        )

    def _generator_step(self, real, valid, opt_g, cond=None, drawn=None) -> dict[str, Any]:
        """G's update; ``drawn``: the ``(z, G(z))`` the D step trained on, to train on again."""
        self.toggle_optimizer(opt_g)
        if drawn is None:
            z = self.sample_latent(real.shape[0], train=True)
            fake = self(z, cond=cond)
        else:
            z, fake = drawn
        c_real, c_fake = self._classes(real, valid, z)
        fake_in, fake_mask = self._d_input(fake, valid, cond)
        loss_g = self._generator_loss(real, valid, fake_in, fake_mask, c_real, c_fake, cond)
        total = loss_g
        step = GStep(self, fake, fake_in, fake_mask, real, valid, z, c_fake, c_real, cond)
        terms, signals = {}, {}
        for term in self.g_terms.values():  # in the configured order
            terms[f"loss_{term.log_name}"] = value = term.loss(step)
            signals.update(term.signals())
            total = total + term.weight * value
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(total)
        norms = self._checked_grad_norms(total, self.generator, "g", "generator")
        if norms is None:
            self.untoggle_optimizer(opt_g)
            return {"loss_g": loss_g.detach()}
        opt_g.step()  # counted: global_step is the number of generator updates
        self.untoggle_optimizer(opt_g)
        terms = {k: v.detach() for k, v in terms.items()}
        return {"loss_g": loss_g.detach(), **norms, **terms, **signals}
