"""Self-conditioning on spectral clusters: k-means against scipy, clusters of the waves data,
and a GAN conditioned on them end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.cluster.vq import kmeans2
from sklearn.metrics import silhouette_score

from stgan.checkpoint import load_checkpoint
from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.data.waves import make_waves
from stgan.io.netcdf import write_netcdf
from stgan.sampler import Sampler
from stgan.stabilization.clusters import (
    STRUCTURE,
    SpectralClusters,
    kmeans,
    silhouette,
    window_spectra,
)
from stgan.stabilization.spectral import FLOOR, binned_power
from stgan.training.loading import load_module
from stgan.training.module import GANModule

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _inertia(points: torch.Tensor, centroids: torch.Tensor) -> float:
    return float(torch.cdist(points, centroids).amin(dim=1).square().sum())


def test_kmeans_finds_separated_blobs_as_scipy_does():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0]])
    points = np.concatenate([c + rng.standard_normal((50, 2)) * 0.5 for c in centres])
    got = kmeans(torch.from_numpy(points), 4, generator=torch.Generator().manual_seed(0)).numpy()
    # Each blob's mean is a centroid, to within its own sampling error.
    for c in centres:
        assert np.linalg.norm(got - c, axis=1).min() < 0.2
    ref, _ = kmeans2(points, 4, minit="++", seed=1)
    pts = torch.from_numpy(points)
    assert _inertia(pts, torch.from_numpy(got)) == pytest.approx(
        _inertia(pts, torch.from_numpy(ref)), rel=1e-9
    )


@pytest.mark.parametrize("k", [2, 3, 7])
def test_silhouette_matches_scikit_learn(k):
    rng = np.random.default_rng(k)
    points = rng.standard_normal((60, 3))
    labels = np.arange(60) % k
    labels[0] = k  # a cluster of one point: silhouette 0 for it
    got = silhouette(torch.from_numpy(points), torch.from_numpy(labels))
    assert got == pytest.approx(silhouette_score(points, labels), rel=1e-9)


def test_window_spectra_are_the_log_binned_power_of_each_window():
    x = torch.randn(5, 2, 4, 8, 8, dtype=torch.float64) + 3.0  # a mean, removed per window
    got = window_spectra(x)
    for i in range(5):
        centred = x[i : i + 1] - x[i : i + 1].mean(dim=(2, 3, 4), keepdim=True)
        power = binned_power(centred)  # (C, bins) of one window
        want = torch.log(power + FLOOR * power.mean()).reshape(-1)
        torch.testing.assert_close(got[i], want.float(), rtol=1e-5, atol=1e-5)


def _episode_windows(seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """Windows of 8 steps inside the episodes of a waves series, and each one's mode."""
    ds = make_waves(time=512, height=16, width=16, seed=seed)
    values, modes = ds["wave"].values, ds["mode"].values
    starts = [s for s in range(0, 512 - 8, 4) if len(set(modes[s : s + 8])) == 1]
    windows = np.stack([values[s : s + 8] for s in starts])[:, None]
    return torch.from_numpy(windows).float(), np.array([modes[s] for s in starts])


def test_waves_cluster_into_their_modes_and_held_out_windows_follow():
    windows, modes = _episode_windows(seed=0)
    clusters = SpectralClusters(1, (8, 16, 16), 8)
    clusters.fit(windows)
    labels = clusters.assign(windows).numpy()
    # Every cluster holds one mode and every mode one cluster: a permutation.
    table = np.zeros((8, 8), int)
    np.add.at(table, (labels, modes), 1)
    assert ((table > 0).sum(axis=0) == 1).all() and ((table > 0).sum(axis=1) == 1).all()
    mapping = table.argmax(axis=0)  # mode -> cluster
    np.testing.assert_allclose(clusters.frequencies.numpy(), table.sum(axis=1) / len(labels))
    # Windows of another series land in their mode's cluster.
    held_out, held_modes = _episode_windows(seed=1)
    np.testing.assert_array_equal(clusters.assign(held_out).numpy(), mapping[held_modes])
    assert bool(clusters.structured) and float(clusters.silhouette) > 0.7


def test_a_random_field_has_no_cluster_structure_and_trains_unconditioned():
    values = make_grf(time=256, height=16, width=16, seed=0)["field"].values
    windows = torch.from_numpy(
        np.stack([values[s : s + 8] for s in range(0, 248, 2)])[:, None]
    ).float()
    clusters = SpectralClusters(1, (8, 16, 16), 8, codes=2)
    clusters.fit(windows)
    assert float(clusters.silhouette) < STRUCTURE and not bool(clusters.structured)
    assert bool((clusters.assign(windows) == 0).all())
    np.testing.assert_array_equal(clusters.frequencies.numpy(), np.eye(8)[0])
    # G's latent stays all noise, in training and sampling: no code, not even a constant one,
    # and no number drawn from the run's random stream for one.
    for train in (True, False):
        z = torch.randn(64, 32, 1, 1, 1)
        kept = z.clone()
        torch.manual_seed(5)
        clusters.write_codes(z, train=train)
        torch.testing.assert_close(z, kept, rtol=0, atol=0)
        after = torch.rand(3)
        torch.manual_seed(5)
        torch.testing.assert_close(after, torch.rand(3), rtol=0, atol=0)


def test_clusters_leave_the_run_s_random_stream_as_it_would_be_without():
    g = {"latent_vector": 32, "latent_channels": 4, "width": 4, "spatial_upsamples": 1}
    d = {"width": 4, "depth": 2}
    made = []
    terms = [{"name": "cluster_consistency", "weight": 0.1}]
    for clusters, codes, reversal in ((0, 1, False), (4, 1, False), (4, 2, False), (4, 2, True)):
        torch.manual_seed(0)
        module = GANModule(
            channels=1,
            window=(8, 16, 16),
            generator_options=g,
            discriminator_options=d,
            clusters=clusters,
            cluster_codes=codes,
            cluster_reversal=reversal,
            g_terms=terms if clusters else None,
        )
        made.append((module, torch.randn(5)))
    (plain, after_plain), *clustered = made
    # The same G and D weights, and the same noise drawn after them: on data without cluster
    # structure (trained unconditioned) the run is the one without model.clusters, with one
    # code per cluster or two, turned round in time or not.
    for module, after in clustered:
        torch.testing.assert_close(after, after_plain, rtol=0, atol=0)
        for a, b in (
            (plain.generator, module.generator),
            (plain.discriminator, module.discriminator),
        ):
            for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
                torch.testing.assert_close(y, x, rtol=0, atol=0, msg=name)


TINY = [
    "--model.generator_options",
    "{latent_channels: 4, width: 4, spatial_upsamples: 1, latent_vector: 16}",
    "--model.discriminator_options",
    "{width: 4, depth: 2}",
]


@pytest.fixture(scope="module")
def waves_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("waves") / "waves.nc"
    write_netcdf(make_waves(time=256, height=16, width=16, seed=0), path)
    return path


def _fit(data, root, *options):
    return main(
        [
            "fit",
            "--config",
            str(CONFIGS / "demo.yaml"),
            "--config",
            str(CONFIGS / "hinge-sn-r1.yaml"),
            "--data.path",
            str(data),
            "--trainer.default_root_dir",
            str(root),
            "--trainer.max_steps",
            "3",
            "--data.window_length",
            "8",
            "--data.batch_size",
            "8",
            "--data.samples_per_epoch",
            "256",
            "--metrics.every_n_steps",
            "0",
            "--trainer.enable_progress_bar",
            "false",
            *TINY,
            *options,
        ]
    )


def test_a_self_conditioned_gan_trains_samples_in_proportion_and_keeps_its_clusters(
    waves_file, tmp_path, capsys, caplog
):
    assert (
        _fit(waves_file, tmp_path, "--model.clusters", "4", "--model.spectral_matching", "1.0") == 0
    ), capsys.readouterr().err
    assert "4 spectral clusters of 256 training windows" in caplog.text
    module = load_module(
        load_checkpoint(tmp_path / "logs" / "version_0" / "checkpoints" / "last.ckpt")
    )
    shares = module.clusters.frequencies
    assert bool(module.clusters.fitted) and shares.sum().item() == pytest.approx(1.0)
    # The spectral term kept a running mean per cluster of the real windows it was shown:
    # three batches of 8, each holding at least one cluster.
    spectral = module.g_terms["spectral_matching"].matching
    seen = spectral.class_seen
    assert int(spectral.seen) == 3 and 3 <= int(seen.sum()) <= 12 and int(seen.max()) <= 3
    assert bool((spectral.class_power[seen > 0].sum(dim=(1, 2)) > 0).all())
    # The latent's first 4 numbers are a one-hot code, drawn as often as each cluster's share.
    z = module.sample_latent(20000, generator=torch.Generator().manual_seed(0))
    code = z.flatten(1)[:, :4]
    assert bool(((code == 0) | (code == 1)).all()) and bool((code.sum(dim=1) == 1).all())
    drawn = code.mean(dim=0)
    assert torch.allclose(
        drawn, shares, atol=4 * float((shares * (1 - shares) / 20000).sqrt().max())
    )
    # D's score depends on the class it is told (the projection term).
    x = module.sample(z[:8])
    with torch.no_grad():
        a = module._d(x, torch.ones(8, 1, 1, 16, 16), torch.zeros(8, dtype=torch.long))
        b = module._d(x, torch.ones(8, 1, 1, 16, 16), torch.ones(8, dtype=torch.long))
    assert not torch.allclose(a, b)


CONSISTENCY = ["--model.g_terms", "[{name: cluster_consistency}]"]


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (["--model.clusters", "1"], "model.clusters must be an integer >= 2"),
        (
            [
                "--model.clusters",
                "4",
                "--model.generator_options",
                "{latent_channels: 4, width: 4}",
            ],
            "set model.generator.options.latent_vector",
        ),
        (["--model.clusters", "16"], "must be below the generator's latent_vector (16)"),
        (
            [*CONSISTENCY, "--model.clusters", "4", "--model.cluster_codes", "4"],
            "(4 × 4) must be below the generator's latent_vector (16)",
        ),
        (
            ["--model.clusters", "4", "--model.cluster_codes", "0"],
            "model.cluster_codes must be an integer >= 1",
        ),
        (
            ["--model.clusters", "4", "--model.cluster_codes", "2"],
            "model.cluster_codes needs to know where each code's windows land, which the "
            "cluster_consistency term records: add {name: cluster_consistency, weight: 0.1} to "
            "model.g_terms",
        ),
        (
            ["--model.clusters", "4", "--model.cluster_reversal", "true"],
            "model.cluster_reversal needs to know where each code's windows land",
        ),
        (
            [
                "--model.clusters",
                "4",
                "--model.generator_options",
                "{latent_channels: 4, width: 4, latent_vector: 16, latent_categories: 4}",
            ],
            "drop generator.options.latent_categories and the model.g_terms info entry",
        ),
        (
            ["--model.clusters", "4", "--model.info_weight", "1.0"],
            "drop generator.options.latent_categories",
        ),
        (
            ["--model.clusters", "4", "--model.discriminator", "spatiotemporal"],
            "needs discriminator conv3d",
        ),
        (["--model.clusters", "4", "--model.regularizers", "[{name: r2}]"], "use r1 or gp"),
        (
            ["--model.clusters", "4", "--model.augment", "{rot90: true, cutout: 0.25}"],
            "drop rot90 or model.clusters",
        ),
    ],
)
def test_invalid_cluster_settings_fail_with_the_fix(waves_file, tmp_path, capsys, options, needle):
    assert _fit(waves_file, tmp_path, *options) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("stgan: error: ") and needle in line


def test_a_resumed_run_keeps_its_clusters(waves_file, tmp_path, capsys, caplog):
    ckpts = tmp_path / "logs" / "version_0" / "checkpoints"
    assert _fit(waves_file, tmp_path, "--model.clusters", "4") == 0, capsys.readouterr().err
    first = torch.load(ckpts / "last.ckpt", weights_only=True)["state_dict"]
    assert (
        _fit(
            waves_file,
            tmp_path,
            "--model.clusters",
            "4",
            "--trainer.max_steps",
            "5",
            "--ckpt_path",
            str(ckpts / "last.ckpt"),
        )
        == 0
    ), capsys.readouterr().err
    resumed = torch.load(
        tmp_path / "logs" / "version_1" / "checkpoints" / "last.ckpt", weights_only=True
    )
    assert resumed["global_step"] == 5
    # Clustered once, before the first run; the resumed run trains with the same clusters.
    assert caplog.text.count("spectral clusters of") == 1
    for name in ("centroids", "frequencies", "mean", "scale"):
        torch.testing.assert_close(
            resumed["state_dict"][f"clusters.{name}"], first[f"clusters.{name}"]
        )


def test_two_codes_per_cluster_train_and_the_sampler_uses_the_recorded_best(
    waves_file, tmp_path, capsys
):
    options = ["--model.clusters", "4", "--model.cluster_codes", "2", "--trainer.max_steps", "6"]
    reversal = ["--model.cluster_reversal", "true"]
    assert _fit(waves_file, tmp_path, *options, *reversal, *CONSISTENCY) == 0, (
        capsys.readouterr().err
    )
    ckpt = load_checkpoint(tmp_path / "logs" / "version_0" / "checkpoints" / "last.ckpt")
    hits = ckpt["state_dict"]["clusters.hits"]
    # 8 codes, each a running hit rate; 6 updates of 8 fakes moved some of them off their start.
    assert hits.shape == (8,) and bool((hits <= 1).all()) and bool((hits < 1).any())
    module, sampler = load_module(ckpt), Sampler.from_checkpoint(ckpt)
    best = hits.view(2, 4).argmax(dim=0)
    assert torch.equal(sampler.clusters.chosen(), best)
    # Sampler and module draw the same latents, each cluster with its best code.
    z = sampler.sample_latent(512, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(
        z, module.sample_latent(512, generator=torch.Generator().manual_seed(1))
    )
    code = sampler.clusters.code_index(z)
    torch.testing.assert_close(code, sampler.clusters.codes(z) + 4 * best[code % 4])
    # A code turned round in time (model.cluster_reversal) is reversed by both, and only it.
    raw = sampler.sample(z[:64])
    turn = int(code[0])
    for clusters in (sampler.clusters, module.clusters):
        clusters.reversed[turn] = True
    with torch.no_grad():
        turned = sampler.sample(z[:64])
        torch.testing.assert_close(module.sample(z[:64]), turned)
    mine = code[:64] == turn
    torch.testing.assert_close(turned[mine], raw[mine].flip(2))
    torch.testing.assert_close(turned[~mine], raw[~mine])
