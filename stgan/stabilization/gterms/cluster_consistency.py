"""Cluster consistency: a window G draws for a cluster must fall in that cluster.

Self-conditioning (:mod:`stgan.stabilization.clusters`) tells G each window's cluster and
judges it by projection in D, but nothing in D's verdict forbids G from answering the code of
one cluster with a window of another that D already accepts: in the failure lab's waves runs
(recommended preset, 10 CPU-minutes) the eight clusters of pure modes were each one mode, yet
at two training seeds of eight one mode got no generated window at all, its code drawing a
neighbour's waves instead. An auxiliary classifier (AC-GAN, Odena et al. 2017) closes that
gap by asking G's samples to be classified as the class they were drawn for; here the
classifier is the clustering itself, fixed: the nearest centroid in the space of standardised
log spectra the clusters were fitted in, made soft so that it has a gradient.

For a fake window with spectrum point ``s`` drawn for cluster ``c`` the term is the
cross-entropy ``−log softmax(−d² / σ²)_c``, ``d²_j = |s − μ_j|²`` over the centroids of a
non-zero share, and ``σ²`` a running mean of the real windows' squared distance to their own
centroid. A window typical of its cluster therefore costs about ``log(1 + Σ exp(−Δ))``, with
``Δ`` its extra distance to the other centroids in units of the data's own spread: nothing,
for well-separated clusters, so the term does not squeeze windows towards a centroid; one
that lies in cluster ``j`` instead costs about ``(d²_c − d²_j) / σ²``. Data without cluster
structure leave G unconditioned, and the term is then 0.

Beside ``loss_cluster`` the term logs what it sees (:meth:`ClusterConsistency.signals`):
``cluster_accuracy``, the share of the batch's fakes nearest the centroid they were drawn
for, and per cluster a running hit rate (an exponential average over the fakes drawn for it,
kept by the clusters per code, :meth:`SpectralClusters.observe_hits
<stgan.stabilization.clusters.SpectralClusters.observe_hits>`; with several codes per cluster,
that of the code sampling uses), of which ``cluster_hit_worst`` is the lowest and
``cluster_hit_worst_at`` the cluster it belongs to: a cluster whose windows keep landing in
another one, seen while training runs (on the failure lab's waves some cluster always does,
so the lowest rate alone does not name a lost mode; docs/guide/health.md).
"""

from __future__ import annotations

import torch
from pytorch_lightning.utilities import rank_zero_info

from stgan.errors import StganError
from stgan.stabilization.gterms import G_TERMS, GStep, GTerm
from stgan.stabilization.spectral import DECAY
from stgan.training.signals import gathered_over_ranks

# σ² never falls below this (standardised units²): a record whose windows sit exactly on their
# centroids (copies of a few windows) would otherwise give unbounded logits.
MIN_SPREAD = 1e-3


@G_TERMS.register("cluster_consistency")
class ClusterConsistency(GTerm):
    """Cross-entropy of each fake window's soft nearest-centroid cluster against its code.

    See the module docstring. Needs self-conditioning (``model.clusters``); the running spread
    ``σ²`` is a buffer, so checkpoints carry it. Logged as ``loss_cluster``.

    Parameters
    ----------
    module : GANModule
        The model, for its clusters.
    weight : float
        λ in G's loss. A wrong cluster costs tens of units at λ = 1, far above the adversarial
        loss: on the failure lab's waves (batches of 2, training seeds 0 and 5) λ = 1 took G's
        updates over early and training failed (0 and 1 modes of 8, ≤ 9 % high-quality
        windows), while λ = 0.1 covered all 8 modes at both (95 and 98 %). It does not cure
        every run: with λ = 0.1 in the recommended preset, waves seeds 1 and 7 of 0-7 still
        end one mode short (benchmarks/RESULTS.md, "Over training seeds").
    """

    log_name = "cluster"

    def __init__(self, module, weight: float = 1.0) -> None:
        super().__init__(weight)
        if module.clusters is None:
            raise StganError(
                "model.g_terms cluster_consistency asks G's windows to fall in the cluster "
                "they were drawn for: it needs self-conditioning, e.g. model.clusters: 16"
            )
        self.register_buffer("spread", torch.ones(()))
        self.register_buffer("seen", torch.zeros((), dtype=torch.long))
        self._signals: dict[str, torch.Tensor] = {}

    @torch.no_grad()
    def observe(self, clusters, real: torch.Tensor) -> None:
        """Fold the real windows' mean squared distance to their own centroid into ``σ²``."""
        own = self.distances(clusters, real).amin(dim=1).mean()
        self.seen += 1
        rate = max(1.0 / float(self.seen), 1.0 - DECAY)
        self.spread += rate * (own - self.spread)

    @staticmethod
    def distances(clusters, windows: torch.Tensor) -> torch.Tensor:
        """(B, k) squared distances of each window's spectrum point to the centroids; ``inf``
        for clusters of zero share (never drawn, never assigned)."""
        points = clusters.points(windows)
        d2 = (points[:, None, :] - clusters.centroids[None]).square().sum(dim=-1)
        return d2.masked_fill(clusters.frequencies == 0, float("inf"))

    def loss(self, step: GStep) -> torch.Tensor:
        """Mean cross-entropy over the fake batch; 0 when the fakes carry no cluster."""
        if step.fake_classes is None:
            return step.fake.new_zeros(())
        clusters = step.module.clusters
        self.observe(clusters, step.real)
        fake = step.fake * step.valid
        d2 = self.distances(clusters, fake)
        self._observe_hits(step.module, d2.detach(), fake, step.fake_classes, step.z)
        logits = -d2 / self.spread.clamp_min(MIN_SPREAD)
        return torch.nn.functional.cross_entropy(logits, step.fake_classes)

    @torch.no_grad()
    def _observe_hits(self, module, d2, fake, drawn: torch.Tensor, z) -> None:
        """Update the codes' running hit rates from this batch (with model.cluster_reversal,
        those of the fakes' time-reverses too) and set the signals to log."""
        clusters = module.clusters
        hit = (d2.argmin(dim=1) == drawn).float()
        seen = [clusters.code_index(z).to(hit.device), hit]
        if clusters.reversal:
            seen.append((self.distances(clusters, fake.flip(2)).argmin(dim=1) == drawn).float())
        # Every DDP rank folds in the fakes of all ranks, so their rates (and the codes turned
        # round, which change G's windows) stay the same on each.
        drawn_codes, hit, *reversed_hit = gathered_over_ranks(module, *seen)
        for code in clusters.observe_hits(drawn_codes, hit, *reversed_hit):
            rank_zero_info(
                f"stgan: model.cluster_reversal: cluster {code % clusters.k}'s code {code} "
                f"{'turned round' if clusters.reversed[code] else 'turned back'} in time "
                f"(its windows' reverses land in the cluster)"
            )
        live = clusters.cluster_hits().masked_fill(clusters.frequencies == 0, float("inf"))
        worst = live.argmin()
        self._signals = {
            "cluster_accuracy": hit.mean(),
            "cluster_hit_worst": live[worst].clone(),
            "cluster_hit_worst_at": worst.float(),
        }
        if clusters.reversal:
            self._signals["cluster_codes_reversed"] = clusters.reversed.sum().float()

    def signals(self) -> dict[str, torch.Tensor]:
        """``cluster_accuracy``, ``cluster_hit_worst`` and ``cluster_hit_worst_at`` (module
        docstring); none while G is unconditioned."""
        return dict(self._signals)
