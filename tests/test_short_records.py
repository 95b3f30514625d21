"""Short records: the distinct-window count, the warning for few windows, and spectral clusters
fitted on duplicate windows (each counted once, at most one cluster per 8 distinct windows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_stgan

from stgan.data.datamodule import SpaceTimeDataModule
from stgan.data.short_records import BATCHES, WINDOWS_PER_CLUSTER, short_record_warning
from stgan.data.synthetic import make_grf
from stgan.data.waves import make_waves
from stgan.io.netcdf import write_netcdf
from stgan.stabilization.clusters import (
    CLUSTER_WINDOWS,
    STRUCTURE,
    SpectralClusters,
    distinct_rows,
    kmeans,
    silhouette,
    window_spectra,
)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def short_file(tmp_path_factory) -> Path:
    """A grf record of 20 steps on an 8 x 8 grid: 20 - 8 + 1 = 13 windows of 8 steps."""
    path = tmp_path_factory.mktemp("short") / "short.nc"
    write_netcdf(make_grf(time=20, height=8, width=8, seed=0), path)
    return path


def _grf_windows() -> torch.Tensor:
    """(13, 1, 8, 8, 8): every window of 8 steps of the 20-step record."""
    values = make_grf(time=20, height=8, width=8, seed=0)["field"].values
    return torch.from_numpy(np.stack([values[s : s + 8] for s in range(13)])[:, None]).float()


def test_a_20_step_record_holds_13_windows_of_8_and_fewer_crops_count_more(short_file):
    whole = SpaceTimeDataModule(
        str(short_file), window_length=8, batch_size=4, val_fraction=0.0, test_fraction=0.0
    )
    whole.setup("fit")
    assert whole.count_windows("train") == 13  # starts 0..12
    cropped = SpaceTimeDataModule(
        str(short_file),
        window_length=8,
        window_height=4,
        window_width=6,
        batch_size=4,
        val_fraction=0.0,
        test_fraction=0.0,
    )
    cropped.setup("fit")
    assert cropped.count_windows("train") == 13 * (8 - 4 + 1) * (8 - 6 + 1)


def test_the_warning_names_the_count_the_thresholds_and_the_fixes():
    message = short_record_warning(13, 8, 16)
    assert message.startswith(
        "stgan: warning: short record: the training split holds only 13 distinct"
    )
    assert f"fewer than {BATCHES} batches of 8 ({BATCHES * 8})" in message
    assert (
        f"fewer than {WINDOWS_PER_CLUSTER} per cluster of model.clusters 16 ({WINDOWS_PER_CLUSTER * 16})"
        in message
    )
    assert "memorise" in message and "data.window_length" in message and "more data" in message
    assert "model.clusters 0" in message  # 13 windows hold no two clusters of 32
    # Exactly at the thresholds nothing is said; one window fewer and only that one is named.
    assert short_record_warning(BATCHES * 8, 8) is None
    assert short_record_warning(WINDOWS_PER_CLUSTER * 16, 8, 16) is None
    below = short_record_warning(BATCHES * 8 - 1, 8)
    assert f"holds only {BATCHES * 8 - 1} distinct" in below and "model.clusters" not in below
    per_cluster = short_record_warning(WINDOWS_PER_CLUSTER * 16 - 1, 8, 16)
    assert "batches of" not in per_cluster and "(model.clusters 15 or 0)" in per_cluster


def test_duplicate_windows_count_once_and_do_not_fake_clusters():
    windows = _grf_windows()
    # 200 draws of the 13 windows, every one at least once: what fitting on a short record sees.
    draws = windows[
        np.concatenate([np.arange(13), np.random.default_rng(0).integers(13, size=187)])
    ]
    # Clustered as they come, 16 k-means clusters hold copies of one window each (3 left empty)
    # and the silhouette calls that perfect structure.
    spectra = window_spectra(draws)
    points = (spectra - spectra.mean(dim=0)) / spectra.std(dim=0).square().mean().sqrt()
    labels = torch.cdist(
        points, kmeans(points, 16, generator=torch.Generator().manual_seed(0))
    ).argmin(dim=1)
    assert (
        silhouette(points, labels) > 0.99
        and int((torch.bincount(labels, minlength=16) == 0).sum()) == 3
    )
    clusters = SpectralClusters(1, (8, 8, 8), 16)
    clusters.fit(draws)
    # 13 distinct windows hold no two clusters of 8: one, no structure, trained unconditioned.
    assert clusters.distinct == 13 and clusters.used == 13 // CLUSTER_WINDOWS == 1
    assert float(clusters.silhouette) == 0.0 and not bool(clusters.structured)
    np.testing.assert_array_equal(clusters.frequencies.numpy(), np.eye(16)[0])


def test_windows_the_spectra_cannot_tell_apart_are_one():
    windows = _grf_windows()
    alike = torch.stack(
        [
            windows[0] + 5.0,  # another mean
            torch.roll(windows[1], 3, dims=-1),  # circular shifts: the same power
            torch.roll(windows[2], (2, 1), dims=(-2, -3)),
        ]
    )
    kept = distinct_rows(window_spectra(torch.cat([windows, alike, windows[:4]])), 1e-4)
    np.testing.assert_array_equal(kept.numpy(), np.arange(13))


def test_kmeans_on_copies_of_five_points_gives_the_five_points():
    points = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0], [9.0, 9.0]])
    copies = points[torch.randint(5, (60,), generator=torch.Generator().manual_seed(1))]
    copies = torch.cat([points, copies])
    centroids = kmeans(copies, 5, generator=torch.Generator().manual_seed(0))
    labels = torch.cdist(copies, centroids).argmin(dim=1)
    assert bool((torch.bincount(labels, minlength=5) > 0).all())
    got = sorted(map(tuple, centroids.tolist()))
    assert got == sorted(map(tuple, points.tolist()))


def _mode_windows(seed: int, per_mode: int | None) -> tuple[torch.Tensor, np.ndarray]:
    """Windows of 8 steps inside single episodes of a 4-mode waves record, ``per_mode`` of each
    mode (all if None), and their modes."""
    ds = make_waves(time=1024, height=16, width=16, modes=4, seed=seed)
    values, modes = ds["wave"].values, ds["mode"].values
    starts = [s for s in range(0, 1024 - 8, 2) if len(set(modes[s : s + 8])) == 1]
    if per_mode is not None:
        starts = [s for m in range(4) for s in [s for s in starts if modes[s] == m][:per_mode]]
    windows = np.stack([values[s : s + 8] for s in starts])[:, None]
    return torch.from_numpy(windows).float(), np.array([modes[s] for s in starts])


def test_clusters_capped_by_the_distinct_windows_are_the_modes():
    windows, modes = _mode_windows(seed=0, per_mode=8)  # 32 distinct windows, 8 of each mode
    picks = np.concatenate([np.arange(32), np.random.default_rng(2).integers(32, size=468)])
    clusters = SpectralClusters(1, (8, 16, 16), 16)
    clusters.fit(windows[picks])
    assert clusters.distinct == 32 and clusters.used == 32 // CLUSTER_WINDOWS == 4
    assert bool(clusters.structured) and float(clusters.silhouette) > STRUCTURE
    labels = clusters.assign(windows).numpy()
    table = np.zeros((16, 4), int)
    np.add.at(table, (labels, modes), 1)
    # The 4 fitted clusters are the 4 modes, each non-empty; the other 12 hold nothing.
    assert ((table[:4] > 0).sum(axis=1) == 1).all() and ((table[:4] > 0).sum(axis=0) == 1).all()
    assert (table[4:] == 0).all() and (clusters.centroids[4:] == 0).all()
    # Shares count every draw: a mode drawn more often holds more of the data.
    mapping = table.argmax(axis=0)  # mode -> cluster
    drawn = np.bincount(modes[picks], minlength=4) / len(picks)
    np.testing.assert_allclose(clusters.frequencies.numpy()[mapping], drawn, rtol=1e-6)
    assert float(clusters.frequencies[4:].sum()) == 0.0
    # G never draws a left-over cluster, and windows of another record go to their mode's.
    assert int(clusters.draw(5000, torch.Generator().manual_seed(0)).max()) < 4
    # (3 of its 424 windows, in one episode of mode 3, sit nearer mode 1's centroid, fitted to
    # two episodes a mode.)
    held_out, held_modes = _mode_windows(seed=1, per_mode=None)
    given = clusters.assign(held_out).numpy()
    assert given.max() < 4 and (given == mapping[held_modes]).mean() > 0.99


def test_stgan_fit_on_a_short_record_warns_and_trains_with_capped_clusters(short_file, tmp_path):
    proc = run_stgan(
        "fit",
        "--config",
        str(CONFIGS / "demo.yaml"),
        "--config",
        str(CONFIGS / "hinge-sn-r1.yaml"),
        "--data.path",
        str(short_file),
        "--trainer.default_root_dir",
        str(tmp_path),
        "--trainer.max_steps",
        "2",
        "--data.window_length",
        "8",
        "--data.batch_size",
        "8",
        "--data.samples_per_epoch",
        "256",
        "--data.val_fraction",
        "0",
        "--data.test_fraction",
        "0",
        "--metrics.every_n_steps",
        "0",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.accelerator",
        "cpu",
        "--model.clusters",
        "16",
        "--model.generator_options",
        "{latent_channels: 4, width: 4, spatial_upsamples: 1, latent_vector: 32}",
        "--model.discriminator_options",
        "{width: 4, depth: 2}",
    )
    out = proc.stdout + proc.stderr
    assert out.count("stgan: warning: short record") == 1
    assert (
        f"the training split holds only 13 distinct windows, fewer than {BATCHES} batches of 8 "
        f"({BATCHES * 8}) and fewer than {WINDOWS_PER_CLUSTER} per cluster of model.clusters "
        f"16"
    ) in out
    # 256 draws of 13 windows hold all 13 (each is missed with probability (12/13)^256 < 1e-8).
    assert "stgan: only 13 distinct windows: using 1 cluster instead of 16" in out
    assert "training unconditioned" in out
    payload = torch.load(
        tmp_path / "logs" / "version_0" / "checkpoints" / "last.ckpt", weights_only=True
    )
    assert payload["global_step"] == 2
    state = payload["state_dict"]
    # The checkpoint keeps the 16 clusters G and D were built with.
    assert (
        state["clusters.centroids"].shape[0] == 16
        and state["class_embedding.parametrizations.weight.original"].shape[0] == 16
    )
