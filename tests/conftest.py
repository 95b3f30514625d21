"""Shared fixtures: small synthetic NetCDF files built in code, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import cli_processes
import pytest

from stgan.data.synthetic import make_grf
from stgan.io.netcdf import write_netcdf

# Tiny models so a real training run takes seconds on a CPU.
TINY_FIT = [
    "--model.generator_options",
    "{latent_channels: 4, width: 4, spatial_upsamples: 1, temporal_upsamples: 1}",
    "--model.discriminator_options",
    "{width: 4, depth: 2}",
    "--data.window_length",
    "4",
    "--data.batch_size",
    "4",
    "--data.samples_per_epoch",
    "16",
    "--trainer.accelerator",
    "cpu",
    "--trainer.enable_model_summary",
    "false",
    "--trainer.log_every_n_steps",
    "1",
    "--metrics.every_n_steps",
    "1",
    "--metrics.num_samples",
    "4",
]
# Tiny generator and discriminator options: a forward pass takes milliseconds.
TINY_G = {
    "conv3d": dict(latent_channels=4, width=4),
    "convgru": dict(latent_channels=4, hidden_channels=8, width=4),
}
TINY_D = dict(width=4, depth=2)
# TINY_FIT's networks and window as keyword overrides of ``stgan.fit`` (batch size your own).
TINY_API = {
    "model.generator.options": {
        "latent_channels": 4,
        "width": 4,
        "spatial_upsamples": 1,
        "temporal_upsamples": 1,
    },
    "model.discriminator.options": {"width": 4, "depth": 2},
    "data.window_length": 4,
    "trainer.accelerator": "cpu",
    "trainer.enable_model_summary": False,
}


@pytest.fixture(scope="session")
def grf_file(tmp_path_factory) -> Path:
    """A (64, 16, 16) grf field on disk."""
    path = tmp_path_factory.mktemp("data") / "grf.nc"
    write_netcdf(make_grf(time=64, height=16, width=16, seed=3), path)
    return path


def run_stgan(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run ``stgan ARGS`` as a real process (forked warm: :mod:`cli_processes`)."""
    proc = cli_processes.run(list(args), cwd=cwd, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if check and proc.returncode != 0:
        raise AssertionError(
            f"stgan {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    return proc
