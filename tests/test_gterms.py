"""Generator-side terms: the registry finds every file, and each term's value on known inputs."""

from __future__ import annotations

import math

import pytest
import torch

import stgan.stabilization.gterms as gterms
from stgan.errors import StganError
from stgan.stabilization.clusters import DEAD, HIT_RATE
from stgan.stabilization.gterms import G_TERMS, GStep
from stgan.training.module import GANModule

TINY = {
    "generator": {
        "options": {
            "latent_channels": 4,
            "width": 4,
            "spatial_upsamples": 1,
            "latent_vector": 12,
            "latent_categories": 4,
        }
    },
    "discriminator": {"options": {"width": 4, "depth": 2}},
}
WINDOW = (4, 8, 8)


def _module(*terms: dict) -> GANModule:
    torch.manual_seed(0)
    return GANModule(window=WINDOW, g_terms=list(terms), **TINY)


def _step(module: GANModule, real: torch.Tensor) -> GStep:
    z = module.sample_latent(real.shape[0])
    fake = module(z)
    valid = torch.ones(real.shape[0], 1, 1, *real.shape[-2:])
    return GStep(module, fake, fake * valid, valid, real, valid, z)


def test_the_registry_finds_every_term_file():
    assert G_TERMS.keys() == [
        "cluster_consistency",
        "info",
        "mode_seeking",
        "spectral_matching",
    ]
    for key in G_TERMS.keys():
        assert G_TERMS.get(key).__doc__  # each documented where it is defined


def test_a_new_term_file_is_found_and_trained_with(tmp_path, monkeypatch):
    # One remedy, one file: a module dropped into the package's folders registers a term that
    # model.g_terms can name, with no other file edited.
    (tmp_path / "fake_mean.py").write_text(
        "from stgan.stabilization.gterms import G_TERMS, GTerm\n\n\n"
        "@G_TERMS.register('fake_mean')\n"
        "class FakeMean(GTerm):\n"
        '    """The mean of the fake batch."""\n\n'
        "    log_name = 'fake_mean'\n\n"
        "    def __init__(self, module, weight: float = 1.0) -> None:\n"
        "        super().__init__(weight)\n\n"
        "    def loss(self, step):\n"
        "        return step.fake.mean()\n"
    )
    monkeypatch.setattr(gterms, "__path__", [*gterms.__path__, str(tmp_path)])
    monkeypatch.setattr(G_TERMS, "_entries", dict(G_TERMS._entries))
    monkeypatch.setattr(G_TERMS, "_discovered", False)
    assert "fake_mean" in G_TERMS.keys()
    module = _module({"name": "fake_mean", "weight": 2.0})
    term = module.g_terms["fake_mean"]
    step = _step(module, torch.zeros(2, 1, *WINDOW))
    assert term.weight == 2.0 and term.loss(step) == step.fake.mean()


@pytest.mark.known_answer("generator term", "mode_seeking")
def test_mode_seeking_of_a_constant_generator_is_one_over_epsilon():
    # G with every weight 0 makes the same window from every latent: mean|G(z1) − G(z2)| = 0,
    # so the term is 1 / (0 + ε), ε = 1e-5 (MSGAN's code).
    module = _module({"name": "mode_seeking"})
    with torch.no_grad():
        for p in module.generator.parameters():
            p.zero_()
    value = module.g_terms["mode_seeking"].loss(_step(module, torch.zeros(2, 1, *WINDOW)))
    assert value.item() == pytest.approx(1e5, rel=1e-6)


@pytest.mark.known_answer("generator term", "spectral_matching")
def test_spectral_matching_is_zero_for_the_data_and_log_power_ratio_squared_for_twice_it():
    module = _module({"name": "spectral_matching"})
    term = module.g_terms["spectral_matching"]
    real = torch.randn(4, 1, *WINDOW, generator=torch.Generator().manual_seed(1))
    step = _step(module, real)
    step.fake = real.clone()  # the first real batch is the running mean itself
    assert term.loss(step).item() == pytest.approx(0.0, abs=1e-10)
    step.fake = 2 * real
    # Power ×4 in every bin: (ln 4)² = 1.9218, less a little where the floor (1e-3 of the mean
    # bin power) counts; white noise has no near-empty bins.
    assert term.loss(step).item() == pytest.approx(math.log(4) ** 2, rel=2e-3)
    assert int(term.matching.seen) == 2


@pytest.mark.known_answer("generator term", "info")
def test_info_term_of_an_uninformed_classifier_is_log_k():
    # Q's last layer at 0 gives equal logits for the 4 categories: cross-entropy ln 4.
    module = _module({"name": "info", "weight": 1.0})
    term = module.g_terms["info"]
    with torch.no_grad():
        term.head[-1].weight.zero_()
        term.head[-1].bias.zero_()
    value = term.loss(_step(module, torch.zeros(4, 1, *WINDOW)))
    assert value.item() == pytest.approx(math.log(4), rel=1e-6)
    # Q's parameters are G's to train: they are in the generator's optimiser.
    opt_g, opt_d = module.configure_optimizers()
    in_g = {id(p) for group in opt_g.param_groups for p in group["params"]}
    assert {id(p) for p in term.parameters()} <= in_g


def _clustered(
    a: torch.Tensor, b: torch.Tensor, codes: int = 1, reversal: bool = False
) -> GANModule:
    """A module self-conditioned on two clusters whose centroids are windows ``a`` and ``b``,
    with ``codes`` one-hot codes per cluster and ``model.cluster_reversal`` as given."""
    torch.manual_seed(0)
    options = {**TINY["generator"]["options"], "latent_categories": 0}
    module = GANModule(
        window=WINDOW,
        generator={"options": options},
        discriminator=TINY["discriminator"],
        clusters=2,
        cluster_codes=codes,
        cluster_reversal=reversal,
        g_terms=[{"name": "cluster_consistency"}],
    )
    clusters = module.clusters
    clusters.centroids.copy_(clusters.points(torch.stack([a, b])))
    clusters.frequencies.copy_(torch.tensor([0.5, 0.5]))
    clusters.structured.fill_(True)
    return module


@pytest.mark.known_answer("generator term", "cluster_consistency")
def test_cluster_consistency_is_the_distance_gap_in_units_of_the_data_spread():
    rng = torch.Generator().manual_seed(2)
    a, b = (torch.randn(1, *WINDOW, generator=rng) for _ in range(2))
    b = b * 3.0  # another spectrum: three times the power in every bin
    module = _clustered(a, b)
    term = module.g_terms["cluster_consistency"]
    clusters = module.clusters
    # Real windows near each centroid: their mean squared distance to their own centroid is σ².
    real = torch.stack([a, b]) + 0.3 * torch.randn(2, 1, *WINDOW, generator=rng)
    own = torch.cdist(clusters.points(real), clusters.centroids).square().amin(dim=1).mean()
    gap = (clusters.points(a[None]) - clusters.points(b[None])).square().sum()
    step = _step(module, real)
    step.fake = a[None].repeat(2, 1, 1, 1, 1)  # both fakes are window a, in cluster 0
    step.fake_classes = torch.tensor([0, 1])  # ... drawn for cluster 0, and for cluster 1
    right = math.log1p(math.exp(-gap / own))  # softmax over (0, −gap / σ²) at the first
    wrong = gap / own + right  # ... and at the second
    assert term.loss(step).item() == pytest.approx((right + wrong) / 2, rel=1e-4)
    assert term.spread.item() == pytest.approx(own.item(), rel=1e-6)
    assert wrong > 5  # the windows are far apart for their spread: one in the wrong cluster pays
    # Without clusters on the fakes (data without structure) the term is 0.
    step.fake_classes = None
    assert term.loss(step).item() == 0.0


def test_cluster_consistency_names_the_cluster_whose_windows_land_elsewhere():
    rng = torch.Generator().manual_seed(4)
    a, b = torch.randn(1, *WINDOW, generator=rng), 3.0 * torch.randn(1, *WINDOW, generator=rng)
    module = _clustered(a, b)
    term = module.g_terms["cluster_consistency"]
    step = _step(module, torch.stack([a, b]))
    # G answers both codes with window a: cluster 1's windows all land in cluster 0.
    step.fake = a[None].repeat(2, 1, 1, 1, 1)
    step.z[:, :2] = torch.eye(2)[:, :, None, None, None]  # drawn for clusters 0 and 1
    step.fake_classes = module.clusters.codes(step.z)
    term.loss(step)
    first = term.signals()
    assert first["cluster_accuracy"].item() == 0.5  # one fake of two is in its own cluster
    assert first["cluster_hit_worst"].item() == pytest.approx(1 - HIT_RATE)  # from 1: one miss
    assert first["cluster_hit_worst_at"].item() == 1
    for _ in range(59):
        term.loss(step)
    last = term.signals()
    # 60 misses in a row: (1 - HIT_RATE)^60 of the starting 1 is left; cluster 0 still all hits.
    assert last["cluster_hit_worst"].item() == pytest.approx((1 - HIT_RATE) ** 60, rel=1e-5)
    assert last["cluster_hit_worst_at"].item() == 1 and module.clusters.hits[0].item() == 1.0
    # With one code per cluster the hit rates are diagnostics, not state: checkpoints do not
    # carry them.
    assert not any(key.endswith("hits") for key in module.state_dict())


def test_with_two_codes_per_cluster_sampling_uses_the_code_that_lands_in_its_cluster():
    rng = torch.Generator().manual_seed(4)
    a, b = torch.randn(1, *WINDOW, generator=rng), 3.0 * torch.randn(1, *WINDOW, generator=rng)
    module = _clustered(a, b, codes=2)
    clusters, term = module.clusters, module.g_terms["cluster_consistency"]
    # Code c + 2v is cluster c's variant v: the latent's first 4 numbers are one of 4 codes.
    z = torch.zeros(4, 12, 1, 1, 1)
    z[torch.arange(4), torch.arange(4)] = 1.0
    assert clusters.code_index(z).tolist() == [0, 1, 2, 3]
    assert clusters.codes(z).tolist() == [0, 1, 0, 1]
    # Cluster 1's first code (1) answers with window a, of cluster 0; its second (3) with b.
    step = _step(module, torch.stack([a, b, a, b]))
    step.z, step.fake_classes = z, clusters.codes(z)
    step.fake = torch.stack([a, a, a, b])
    for _ in range(30):
        term.loss(step)
    assert clusters.hits.tolist() == pytest.approx([1.0, (1 - HIT_RATE) ** 30, 1.0, 1.0])
    # Sampling uses each cluster's code of the highest hit rate: cluster 1's second.
    assert clusters.chosen().tolist() == [0, 1]
    drawn = clusters.code_index(module.sample_latent(4000, generator=rng))
    assert set(drawn.tolist()) == {0, 3}
    # Training draws every code of a cluster, evenly.
    trained = torch.bincount(
        clusters.code_index(module.sample_latent(4000, generator=rng, train=True)), minlength=4
    )
    assert bool((trained > 800).all()), trained
    # The signals report the code sampling uses: no cluster is missed.
    assert term.signals()["cluster_hit_worst"].item() == 1.0
    # The hit rates choose the samples' codes, so checkpoints carry them.
    assert torch.equal(module.state_dict()["clusters.hits"], clusters.hits)


def test_cluster_consistency_needs_self_conditioning():
    with pytest.raises(StganError, match="model.clusters: 16"):
        _module({"name": "cluster_consistency"})


def test_cluster_consistency_trains_g_towards_the_drawn_cluster():
    # The gradient reaches G: one Adam step on the term alone lowers it.
    rng = torch.Generator().manual_seed(3)
    a, b = torch.randn(1, *WINDOW, generator=rng), 3.0 * torch.randn(1, *WINDOW, generator=rng)
    module = _clustered(a, b)
    term = module.g_terms["cluster_consistency"]
    real = torch.stack([a, b]) + 0.3 * torch.randn(2, 1, *WINDOW, generator=rng)
    z = module.sample_latent(8)
    module.clusters.write_codes(z)
    optimiser = torch.optim.Adam(module.generator.parameters(), lr=1e-2)
    values = []
    for _ in range(20):
        fake = module(z)
        valid = torch.ones(8, 1, 1, *WINDOW[1:])
        step = GStep(module, fake, fake, valid, real, valid, z, module.clusters.codes(z))
        value = term.loss(step)
        optimiser.zero_grad()
        value.backward()
        optimiser.step()
        values.append(value.item())
    assert values[-1] < 0.5 * values[0]


def test_weight_zero_leaves_a_term_out():
    module = _module({"name": "mode_seeking", "weight": 0.0}, {"name": "spectral_matching"})
    assert list(module.g_terms) == ["spectral_matching"]


def test_cluster_reversal_turns_round_a_code_that_makes_its_cluster_s_wave_backwards():
    # Cluster 0 is a wave travelling in +x, cluster 1 the same wave travelling in -x: the
    # first reversed in time (a (C, T, H, W) window's time axis is dim 1).
    t, x = torch.arange(4.0)[:, None, None], torch.arange(8.0)[None, None, :]
    a = torch.sin(2 * math.pi * (x / 4 - t / 4)).expand(4, 8, 8)[None].contiguous()
    b = a.flip(1)
    module = _clustered(a, b, reversal=True)
    clusters, term = module.clusters, module.g_terms["cluster_consistency"]
    assert clusters.assign(torch.stack([a, b])).tolist() == [0, 1]
    # G answers both codes with the +x wave: code 1's windows miss, their reverses hit.
    step = _step(module, torch.stack([a, b]))
    step.z[:, :2] = torch.eye(2)[:, :, None, None, None]
    step.fake_classes = clusters.codes(step.z)
    step.fake = torch.stack([a, a])
    turned = None
    for i in range(60):
        term.loss(step)
        if turned is None and bool(clusters.reversed[1]):
            turned = i + 1
    # Turned when its hit rate fell below DEAD (1 → 0.95^n) with its reverses' above
    # REVERSED_HITS: at the 45th miss; then the two rates swap, so it does not turn back.
    assert turned == math.ceil(math.log(DEAD) / math.log(1 - HIT_RATE)) == 45
    assert clusters.reversed.tolist() == [False, True]
    q = 1 - HIT_RATE  # 15 more misses after the swap (the step's fakes are not reoriented)
    assert clusters.hits[1].item() == pytest.approx((1 - q**45) * q**15, rel=1e-4)
    assert clusters.reversed_hits[1].item() == pytest.approx(1 - (1 - q**45) * q**15, rel=1e-4)
    assert term.signals()["cluster_codes_reversed"].item() == 1
    # From then on code 1's windows are G's reversed in time, in training and sampling.
    out = clusters.orient(step.z, torch.stack([a, a]))
    assert torch.equal(out[0], a) and torch.equal(out[1], b)
    with torch.no_grad():
        raw = module.generator(step.z, module.window)
        torch.testing.assert_close(module(step.z), torch.stack([raw[0], raw[1].flip(1)]))
        torch.testing.assert_close(module.sample(step.z), module(step.z))
    # The turned codes and both rates are state: checkpoints carry them.
    state = module.state_dict()
    assert all(f"clusters.{k}" in state for k in ("reversed", "hits", "reversed_hits"))
