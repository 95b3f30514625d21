"""Sampling from the light Sampler is bit-identical to sampling from the whole GANModule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

import stgan
from stgan.checkpoint import load_checkpoint
from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.data.waves import make_waves
from stgan.io.netcdf import write_netcdf
from stgan.sampler import Sampler, load_sampler
from stgan.sampling import generate_array
from stgan.tiling import full_grid_array
from stgan.training.loading import load_module

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
FORMAT1 = Path(__file__).parent / "data" / "format1.ckpt"


def _fit(data: Path, root: Path, *options: str) -> Path:
    """Train a tiny model 3 steps in this process; its last.ckpt."""
    argv = [
        "fit",
        "--config",
        str(CONFIGS / "demo.yaml"),
        "--data.path",
        str(data),
        "--trainer.default_root_dir",
        str(root),
        "--trainer.max_steps",
        "3",
        "--data.batch_size",
        "8",
        "--data.samples_per_epoch",
        "64",
        "--metrics.every_n_steps",
        "0",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.enable_model_summary",
        "false",
        "--model.discriminator.options",
        "{width: 4, depth: 2}",
        *options,
    ]
    assert main(argv) == 0
    return root / "logs" / "version_0" / "checkpoints" / "last.ckpt"


@pytest.fixture(scope="module")
def plain_ckpt(tmp_path_factory) -> Path:
    """No EMA; a spectrally normalised generator (its power-iteration vectors are weights too)."""
    root = tmp_path_factory.mktemp("plain")
    data = root / "grf.nc"
    write_netcdf(make_grf(time=64, height=16, width=16, seed=5, mask="island"), data)
    return _fit(
        data,
        root,
        "--data.window_length",
        "4",
        "--model.generator.options",
        "{latent_channels: 4, width: 4, spatial_upsamples: 1, temporal_upsamples: 1, "
        "spectral_norm: true}",
    )


@pytest.fixture(scope="module")
def clusters_ckpt(tmp_path_factory) -> Path:
    """Self-conditioned on 4 spectral clusters of travelling waves, with a generator EMA."""
    root = tmp_path_factory.mktemp("clusters")
    data = root / "waves.nc"
    write_netcdf(make_waves(time=256, height=16, width=16, seed=0), data)
    return _fit(
        data,
        root,
        "--config",
        str(CONFIGS / "hinge-sn-r1.yaml"),
        "--model.discriminator.options",
        "{width: 4, depth: 2}",
        "--data.window_length",
        "8",
        "--data.samples_per_epoch",
        "256",
        "--model.generator.options",
        "{latent_channels: 4, width: 4, spatial_upsamples: 1, latent_vector: 16}",
        "--model.clusters",
        "4",
    )


def _same_samples(ckpt_path: Path, *, ema: bool) -> Sampler:
    """Check the Sampler against the GANModule of ``ckpt_path``; return the Sampler."""
    ckpt = load_checkpoint(ckpt_path)
    module, sampler = load_module(ckpt), Sampler.from_checkpoint(ckpt)
    assert sampler.window == module.window and sampler.data_info == module.data_info
    assert not sampler.training and not any(p.requires_grad for p in sampler.parameters())
    # The sampler's network has the weights of the module's sampling network: the EMA copy
    # when there is one, which after 3 steps differs from the generator.
    assert (module.generator_ema is not None) == ema
    mine = sampler.generator.state_dict()
    theirs = module.sampling_generator.state_dict()
    assert mine.keys() == theirs.keys()
    assert all(torch.equal(mine[k], theirs[k]) for k in mine)
    if ema:
        trained = module.generator.state_dict()
        assert any(not torch.equal(mine[k], trained[k]) for k in mine)
    # The same latents, and the same samples bit for bit: 5 windows in batches of 2.
    for seed in (0, 3):
        z_module = module.sample_latent(5, generator=torch.Generator().manual_seed(seed))
        z_sampler = sampler.sample_latent(5, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(z_module, z_sampler)
        a = generate_array(module, 5, seed=seed, batch_size=2)
        b = generate_array(sampler, 5, seed=seed, batch_size=2)
        assert a.shape == (5, len(sampler.data_info["variables"]), *sampler.window)
        assert np.isfinite(b).any()
        np.testing.assert_array_equal(a, b)  # NaN (the mask) in the same places
    # The full-grid path (a model trained on the whole grid: one tile).
    np.testing.assert_array_equal(
        full_grid_array(module, 3, seed=1, batch_size=2),
        full_grid_array(sampler, 3, seed=1, batch_size=2),
    )
    return sampler


def test_sampler_without_ema_samples_as_the_module(plain_ckpt, tmp_path):
    sampler = _same_samples(plain_ckpt, ema=False)
    assert any("parametrizations" in k for k in sampler.generator.state_dict())
    assert sampler.hparams["generator"]["options"]["spectral_norm"] is True
    # stgan generate (through the Sampler) writes what the module makes.
    written = stgan.load(plain_ckpt).write(tmp_path / "g.nc", 5, seed=3, batch_size=2)
    expected = generate_array(load_module(load_checkpoint(plain_ckpt)), 5, seed=3, batch_size=2)
    with xr.open_dataset(written) as ds:
        np.testing.assert_array_equal(ds["field"].values, expected[:, 0])


def test_sampler_with_ema_and_clusters_samples_as_the_module(clusters_ckpt):
    sampler = _same_samples(clusters_ckpt, ema=True)
    # The clusters were fitted and found structure, so every latent starts with a one-hot code.
    assert sampler.clusters is not None and bool(sampler.clusters.structured)
    code = sampler.sample_latent(64, generator=torch.Generator().manual_seed(0)).flatten(1)[:, :4]
    assert bool((code.sum(dim=1) == 1).all()) and bool(((code == 0) | (code == 1)).all())


def test_sampler_of_an_earlier_checkpoint_samples_as_the_module():
    # Format 1: flat hyper-parameters (generator: conv3d, generator_options, ema_decay, ...).
    sampler = _same_samples(FORMAT1, ema=True)
    assert sampler.hparams["generator"]["options"]["latent_categories"] == 4
    assert load_sampler(FORMAT1).window == (4, 16, 16)


def test_importing_sampling_does_not_import_lightning_or_training():
    code = (
        "import sys, stgan.sampling, stgan.sampler, stgan.checkpoint, stgan.tiling\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pytorch_lightning', 'lightning_fabric', 'lightning') or m.startswith('stgan.training'))\n"
        "print(heavy)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.strip() == "[]"
