"""Self-conditioning on spectral clusters: a class-conditional GAN without labels.

A GAN whose data fall into separate modes tends to keep a few of them: nothing in D's
per-sample verdict pushes G across the low-scoring gap between a mode it has and one it
lacks. Given labels, a class-conditional GAN does not drop classes, because D judges each
sample against the real windows of its own class. Self-conditioned GANs (Liu et al. 2020,
"Diverse image generation via self-conditioned GANs") get such labels by clustering the
data; here each real window is clustered by its space-time power spectrum, the bins of
:mod:`stgan.stabilization.spectral` (rings of wavenumber, temporal frequencies, directions
of travel), taken per window and in logs, so a window's cluster says what scales, periods
and directions it holds and not where its features sit.

:class:`SpectralClusters` fits ``k`` centroids by k-means (k-means++ seeding, Arthur &
Vassilvitskii 2007) on windows drawn from the training data before training and labels
any window by its nearest centroid. The training module then conditions both networks on
the label: G through a one-hot code in the first ``k`` numbers of its latent vector, each
cluster drawn as often as it holds real windows, and D by projection (Miyato & Koyama 2018):
``D(x, c) = ψ(φ(x)) + e_c · φ(x)``. Data without cluster structure train unconditioned: G's
latent is then all noise, and D is not told a class.

With ``codes`` per cluster (``model.cluster_codes``) G learns that many one-hot codes for each
cluster, ``k · codes`` numbers of its latent, the code ``c + k·v`` for variant ``v``: training
draws the variants evenly; sampling uses, per cluster, the variant whose windows have
landed in the cluster most often (:attr:`SpectralClusters.hits`, the running hit rates the
``cluster_consistency`` term records on training batches). A code can lock onto a mode the
clusters' spectra cannot reach by small steps (on the failure lab's waves, the same wave
travelling backwards); a second code of the same cluster is a second start, though not an
independent one (at one of the lab's seeds both codes of a cluster locked onto the reverse).

With ``reversal`` (``model.cluster_reversal``) a code that has locked onto its cluster's mode
travelling backwards is turned round: the ``cluster_consistency`` term also records, per
code, how often the time-reverse of its windows lands in its cluster, and a code whose windows
miss (hit rate below :data:`DEAD`) while their reverses hit (above :data:`REVERSED_HITS`) has
its windows reversed in time from then on, in training (D judges them so) and in sampling.

A short record offers few distinct windows, and the windows drawn for the fit repeat them
(the same start drawn twice). Duplicates would make k-means seed clusters of copies of one
window, whose silhouette is perfect, and so fake structure. :meth:`SpectralClusters.fit`
therefore clusters each distinct spectrum once (windows the spectra cannot tell apart, such as
one differing only by its mean or by a circular shift, are one), and fits only
:func:`cluster_count` of its ``k`` clusters when there are fewer than :data:`CLUSTER_WINDOWS`
distinct windows per cluster. The checkpoint keeps the layout G and D were built with (``k``
centroids, a ``k``-way one-hot code and class embedding): the clusters left over keep a zero
share, so G never draws them and :meth:`SpectralClusters.assign` never gives them.
"""

from __future__ import annotations

import torch
from torch import nn

from stgan.errors import StganError
from stgan.stabilization.spectral import FLOOR, bin_table, window_binned_power

# Mean silhouette from which the clusters count as structure in the data: Kaufman & Rousseeuw
# (1990) read 0.25 or less as "no substantial structure". Windows of 8 travelling-wave modes
# score 0.80 at k = 16 (failure lab data); a Gaussian random field 0.08-0.15 at k = 2-16.
STRUCTURE = 0.25
FIT_WINDOWS = 2048  # training windows clustered before training
KMEANS_ITERATIONS = 50
KMEANS_RESTARTS = 10  # seedings tried; the lowest within-cluster sum of squares is kept
# Windows whose log bin powers differ by less than this (Euclidean, over all bins: every power
# ratio within 1e-4) are one window to the clustering; float32 round-off between the spectra of
# two copies is ~1e-6 per bin.
SAME_SPECTRUM = 1e-4
# Fewest distinct windows per fitted cluster. A cluster of one window has silhouette 0 by
# definition, and a cluster of a few neighbouring starts (which share all but one step) is one
# stretch of the record, whose silhouette fakes structure: a random field's 13 windows (T = 8,
# 8x8 grid, seeds 0-2) scored 0.22-0.30 at one cluster per 2-4 windows. Eight keeps the waves
# test's 8 modes of 14 windows each; a random field of 24-40 windows can still score 0.18-0.31
# at eight (80: 0.15-0.21), which is why `stgan fit` warns below 32 windows per cluster.
CLUSTER_WINDOWS = 8
# Weight of each new fake in its code's running hit rate: about the last 20 drawn for it.
HIT_RATE = 0.05
# model.cluster_reversal turns a code round in time when its running hit rate is below DEAD
# while that of its windows' time-reverses is above REVERSED_HITS. On the failure lab's waves
# (seed 100, two codes per cluster) the lost mode's cluster had both codes at 0.00 and 98 % of
# their windows' reverses in the cluster; the live codes' reverses hit at 0-19 %, except where
# the cluster holds both directions of travel (up to 100 %, with 88-100 % direct hits).
DEAD = 0.1
REVERSED_HITS = 0.5


def window_spectra(x: torch.Tensor) -> torch.Tensor:
    """(B, C·bins) log binned power of each window of (B, C, T, H, W) ``x``, mean removed."""
    x = x.float() - x.float().mean(dim=(2, 3, 4), keepdim=True)
    power = window_binned_power(x)
    # The spectral term's floor, of each window's mean bin power.
    floor = FLOOR * power.mean(dim=(1, 2), keepdim=True).clamp_min(1e-12)
    return torch.log(power + floor).reshape(x.shape[0], -1)


def distinct_rows(points: torch.Tensor, tolerance: float = 0.0) -> torch.Tensor:
    """Indices, in order, of the (N, F) ``points`` farther than ``tolerance`` (Euclidean) from
    every earlier point: the first of each group of (near-)duplicates."""
    # Centred and in float64, the matrix-product distances resolve ~1e-6 even for large features.
    centred = points.double() - points.double().mean(dim=0)
    near = torch.cdist(centred, centred) <= tolerance  # (N, N)
    return torch.nonzero(~near.tril(diagonal=-1).any(dim=1)).flatten()


def cluster_count(k: int, distinct: int) -> int:
    """Clusters fitted of ``k`` built, for ``distinct`` windows: at most one per
    :data:`CLUSTER_WINDOWS` of them, and at least one."""
    return max(1, min(k, distinct // CLUSTER_WINDOWS))


def kmeans(
    points: torch.Tensor, k: int, *, generator: torch.Generator, iterations: int = KMEANS_ITERATIONS
) -> torch.Tensor:
    """(k, F) centroids of (N, F) ``points``: k-means++ seeding, then Lloyd's iterations.

    A cluster left empty moves to the point farthest from its own centroid, so ``k`` distinct
    points give ``k`` non-empty clusters once the iterations converge."""
    n = points.shape[0]
    centroids = points[torch.randint(n, (1,), generator=generator)]
    for _ in range(1, k):
        d2 = torch.cdist(points, centroids).square().amin(dim=1)
        weights = d2 if d2.sum() > 0 else torch.ones(n)
        centroids = torch.cat(
            [centroids, points[torch.multinomial(weights, 1, generator=generator)]]
        )
    for _ in range(iterations):
        distances = torch.cdist(points, centroids)  # (N, k)
        labels = distances.argmin(dim=1)
        counts = torch.bincount(labels, minlength=k).to(points.dtype)[:, None]
        empty = torch.nonzero(counts[:, 0] == 0).flatten()
        far = distances.gather(1, labels[:, None]).squeeze(1).topk(len(empty))
        # An empty cluster takes the worst-served point, unless every point sits on a centroid.
        if len(empty) and float(far.values.min()) > 0:
            centroids = centroids.clone()
            centroids[empty] = points[far.indices]
            continue
        sums = torch.zeros_like(centroids).index_add_(0, labels, points)
        moved = torch.where(counts > 0, sums / counts.clamp_min(1), centroids)
        if torch.equal(moved, centroids):
            break
        centroids = moved
    return centroids


def _is_count(n, least: int) -> bool:
    return not isinstance(n, bool) and isinstance(n, int) and n >= least


def check_options(
    clusters,
    codes,
    reversal,
    g_options,
    discriminator,
    pack,
    unrolled_steps,
    penalties,
    augment,
    g_terms,
) -> None:
    """Validate model.clusters, cluster_codes and cluster_reversal against the rest of the
    model."""
    vector = g_options.get("latent_vector") or 0
    if not _is_count(clusters, 2):
        raise StganError(
            f"model.clusters must be an integer >= 2 (0: off), got {clusters!r}; e.g. 16"
        )
    if not _is_count(codes, 1):
        raise StganError(
            f"model.cluster_codes must be an integer >= 1 (codes per cluster), got {codes!r}"
        )
    on = {t.get("name") for t in g_terms or [] if isinstance(t, dict) and t.get("weight", 1)}
    if not isinstance(reversal, bool):
        raise StganError(f"model.cluster_reversal must be true or false, got {reversal!r}")
    options = (("model.cluster_codes", codes > 1), ("model.cluster_reversal", reversal))
    needs = [name for name, used in options if used]
    if needs and "cluster_consistency" not in on:
        raise StganError(
            f"{' and '.join(needs)} need{'s' * (len(needs) == 1)} to know where each code's "
            "windows land, which the cluster_consistency term records: add "
            "{name: cluster_consistency, weight: 0.1} to model.g_terms"
        )
    if not vector:
        raise StganError(
            "model.clusters conditions G through its latent vector: set "
            "model.generator.options.latent_vector, e.g. {latent_vector: 64}"
        )
    if clusters * codes >= vector:
        raise StganError(
            f"model.clusters × model.cluster_codes ({clusters} × {codes}) must be below the "
            f"generator's latent_vector ({vector}): the one-hot codes take that many of its "
            f"numbers"
        )
    if g_options.get("latent_categories") or "info" in on:
        raise StganError(
            "model.clusters writes its one-hot code into the latent vector's first "
            "numbers, as InfoGAN's latent_categories would: drop "
            "generator.options.latent_categories and the model.g_terms info entry"
        )
    if discriminator != "conv3d" or pack > 1 or unrolled_steps:
        raise StganError(
            "model.clusters projects the class onto D's pooled features: it needs "
            "discriminator conv3d, pack 1 and unrolled_steps 0"
        )
    if any(isinstance(r, dict) and r.get("name") == "r2" for r in penalties or []):
        raise StganError(
            "model.clusters judges regularised inputs at the real windows' "
            "clusters, which R2's fake inputs do not have: use r1 or gp"
        )
    moved = [k for k in ("flip_x", "flip_y", "rot90") if (augment or {}).get(k)]
    if moved:
        raise StganError(
            f"model.clusters labels each window before augmentation, and augment "
            f"{', '.join(moved)} would move a window into another direction's cluster: "
            f"drop {', '.join(moved)} or model.clusters"
        )


def silhouette(points: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean silhouette (Rousseeuw 1987) of (N, F) ``points`` in clusters ``labels`` (N,):
    ``(b - a) / max(a, b)`` per point, ``a`` its mean distance to the rest of its cluster and
    ``b`` to the nearest other cluster; 0 for a point alone in its cluster."""
    k = int(labels.max()) + 1
    one_hot = nn.functional.one_hot(labels, k).to(points.dtype)  # (N, k)
    sums = torch.cdist(points, points) @ one_hot  # (N, k): summed distance to each cluster
    counts = one_hot.sum(dim=0)  # (k,)
    own = counts[labels]
    a = sums.gather(1, labels[:, None]).squeeze(1) / (own - 1).clamp_min(1)
    others = (sums / counts.clamp_min(1)).masked_fill(one_hot.bool() | (counts == 0), float("inf"))
    b = others.amin(dim=1)
    s = torch.where(own > 1, (b - a) / torch.maximum(a, b).clamp_min(1e-12), torch.zeros_like(a))
    return float(s.mean())


class SpectralClusters(nn.Module):
    """k clusters of windows by their log space-time spectra; buffers saved in checkpoints.

    Data without cluster structure (mean silhouette below :data:`STRUCTURE`, e.g. one
    stationary random field, whose windows differ only by sampling noise) get a single cluster
    instead: conditioning on arbitrary cuts through one mode would only split the data. With
    few distinct windows only the first :attr:`used` clusters are fitted; the others keep a zero
    share (see the module docstring). ``codes``: G's one-hot codes per cluster; :attr:`hits`
    holds each code's running hit rate (1 until it is drawn), saved when ``codes`` > 1 or with
    ``reversal``, which also keeps :attr:`reversed_hits` (the same for the windows' time-reverses)
    and :attr:`reversed` (the codes turned round).
    """

    def __init__(
        self,
        channels: int,
        window: tuple[int, int, int],
        k: int,
        codes: int = 1,
        reversal: bool = False,
    ) -> None:
        super().__init__()
        features = channels * bin_table(*window).shape[1]
        self.k = k
        self.per_cluster = codes
        self.reversal = reversal
        n = codes * k
        self.register_buffer("hits", torch.ones(n), persistent=codes > 1 or reversal)
        self.register_buffer("reversed_hits", torch.zeros(n), persistent=reversal)
        self.register_buffer("reversed", torch.zeros(n, dtype=torch.bool), persistent=reversal)
        self.register_buffer("centroids", torch.zeros(k, features))
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("scale", torch.ones(features))
        self.register_buffer("frequencies", torch.full((k,), 1.0 / k))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))
        self.register_buffer("structured", torch.zeros((), dtype=torch.bool))
        self.register_buffer("silhouette", torch.zeros(()))
        self.distinct: int | None = None  # distinct windows of the last fit (not saved)
        self.used: int | None = None  # clusters it fitted, of k

    def _standardise(self, spectra: torch.Tensor) -> torch.Tensor:
        return (spectra - self.mean) / self.scale

    @torch.no_grad()
    def fit(self, windows: torch.Tensor, seed: int = 0) -> None:
        """Fit the centroids and cluster frequencies to (N, C, T, H, W) real windows.

        k-means and the silhouette see each distinct spectrum once (:data:`SAME_SPECTRUM`);
        the shares count every window, as drawn. Sets :attr:`distinct` and :attr:`used`.
        """
        if windows.shape[0] == 0:
            raise StganError("model.clusters needs training windows to cluster, got none")
        spectra = window_spectra(windows)
        unique = spectra[distinct_rows(spectra, SAME_SPECTRUM)]
        self.distinct = unique.shape[0]
        self.used = k = cluster_count(self.k, self.distinct)
        self.mean.copy_(unique.mean(dim=0))
        # One scale for all features keeps a bin's share of the distance proportional to how
        # much it varies between windows; features that never vary then cost nothing.
        spread = unique.std(dim=0) if self.distinct > 1 else torch.zeros_like(unique[0])
        self.scale.fill_(float(spread.square().mean().sqrt().clamp_min(1e-6)))
        points = self._standardise(unique).cpu()
        rng = torch.Generator().manual_seed(seed)
        centroids = min(
            (kmeans(points, k, generator=rng) for _ in range(KMEANS_RESTARTS)),
            key=lambda c: float(torch.cdist(points, c).amin(dim=1).square().sum()),
        )
        self.centroids.zero_()
        self.centroids[:k] = centroids.to(self.centroids.device)
        labels = torch.cdist(points, centroids).argmin(dim=1)
        self.silhouette.fill_(silhouette(points, labels) if k > 1 else 0.0)
        self.structured.fill_(float(self.silhouette) >= STRUCTURE)
        self.fitted.fill_(True)
        labels = torch.cdist(self._standardise(spectra).cpu(), centroids).argmin(dim=1)
        if not bool(self.structured):  # one cluster, as assign() then gives
            labels = torch.zeros_like(labels)
        counts = torch.bincount(labels, minlength=self.k).float()
        self.frequencies.copy_((counts / counts.sum()).to(self.frequencies.device))

    @torch.no_grad()
    def fit_batches(self, batches, device: torch.device, limit: int = FIT_WINDOWS) -> int:
        """Fit to the windows of ``(real, valid)`` batches, up to the first batch that reaches
        ``limit`` windows; the number of windows used."""
        windows, n = [], 0
        for real, valid, *_ in batches:
            windows.append(real * valid)
            n += real.shape[0]
            if n >= limit:
                break
        self.fit(torch.cat(windows).to(device))
        return n

    def points(self, windows: torch.Tensor) -> torch.Tensor:
        """(B, F) each window's standardised log spectrum: where the centroids live."""
        return self._standardise(window_spectra(windows))

    @torch.no_grad()
    def assign(self, windows: torch.Tensor) -> torch.Tensor:
        """(B,) the cluster of each window: its nearest centroid of a non-zero share (0 for all
        without structure)."""
        if not bool(self.structured):
            return torch.zeros(windows.shape[0], dtype=torch.long, device=windows.device)
        distances = torch.cdist(self.points(windows), self.centroids)  # (B, k)
        return distances.masked_fill(self.frequencies == 0, float("inf")).argmin(dim=1)

    def draw(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n,) clusters drawn in proportion to the real windows each holds."""
        return torch.multinomial(self.frequencies.cpu(), n, replacement=True, generator=generator)

    def write_codes(
        self, z: torch.Tensor, generator: torch.Generator | None = None, *, train: bool = False
    ) -> None:
        """Overwrite the first ``k · codes`` numbers of each (N, L, 1, 1, 1) latent vector with
        the one-hot code of a drawn cluster; without structure, leave the latent all noise.

        With several codes per cluster, ``train`` draws the variant evenly; otherwise each
        cluster's best (:meth:`chosen`)."""
        if not bool(self.structured):
            return
        n, width = z.shape[0], self.k * self.per_cluster
        code = self.draw(n, generator)
        if self.per_cluster > 1:
            variant = (
                torch.randint(self.per_cluster, (n,), generator=generator)
                if train
                else self.chosen()[code]
            )
            code = code + self.k * variant
        z.view(n, -1)[:, :width] = nn.functional.one_hot(code, width).to(z.dtype)

    def code_index(self, z: torch.Tensor) -> torch.Tensor:
        """(N,) which of the ``k · codes`` one-hot codes each latent holds."""
        return z.flatten(1)[:, : self.k * self.per_cluster].argmax(dim=1)

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """(N,) the cluster each latent's one-hot code names."""
        return self.code_index(z) % self.k

    def chosen(self) -> torch.Tensor:
        """(k,) per cluster, the variant sampling uses: the code of the highest hit rate."""
        return self.hits.view(self.per_cluster, self.k).argmax(dim=0).cpu()

    def cluster_hits(self) -> torch.Tensor:
        """(k,) per cluster, the hit rate of the code sampling uses."""
        return self.hits.view(self.per_cluster, self.k).amax(dim=0)

    @torch.no_grad()
    def observe_hits(
        self, code: torch.Tensor, hit: torch.Tensor, reversed_hit: torch.Tensor | None = None
    ) -> list[int]:
        """Fold whether each fake of code ``code`` (N,) landed in its cluster, ``hit`` (N,) of
        0/1, into the codes' running hit rates; with ``reversed_hit``, whether its time-reverse
        did, turning round each code that misses while its reverses hit (see the module
        docstring). The codes turned round."""
        turned = []
        for i, c in enumerate(code.tolist()):
            self.hits[c] += HIT_RATE * (hit[i] - self.hits[c])
            if reversed_hit is None:
                continue
            self.reversed_hits[c] += HIT_RATE * (reversed_hit[i] - self.reversed_hits[c])
            if self.hits[c] < DEAD and self.reversed_hits[c] > REVERSED_HITS:
                self.reversed[c] = ~self.reversed[c]
                self.hits[c], self.reversed_hits[c] = (
                    self.reversed_hits[c].clone(),
                    self.hits[c].clone(),
                )
                turned.append(c)
        return turned

    def orient(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) windows ``x`` made from latents ``z``, those of the codes turned round
        reversed in time."""
        if not self.reversal or not bool(self.structured) or not bool(self.reversed.any()):
            return x
        turn = self.reversed[self.code_index(z).to(self.reversed.device)].to(x.device)
        return torch.where(turn.view(-1, 1, 1, 1, 1), x.flip(2), x)


def oriented(clusters: SpectralClusters | None, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``x`` made from ``z``, with ``clusters``' codes turned round in time applied (None: ``x``)."""
    return x if clusters is None else clusters.orient(z, x)
