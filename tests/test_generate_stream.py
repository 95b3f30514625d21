"""`stgan generate` streams recurrent generators: chunked output, the same values, flat memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from stgan.checkpoint import load_checkpoint
from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.data.transforms import ChannelTransform, inverse_all
from stgan.io.netcdf import write_netcdf
from stgan.sampling import STREAM_CHUNK
from stgan.training.loading import load_module

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def convgru_ckpt(tmp_path_factory) -> Path:
    """A tiny ConvGRU model (with a generator EMA) trained 2 steps on a masked 16 × 16 grf."""
    root = tmp_path_factory.mktemp("convgru")
    data = root / "grf.nc"
    write_netcdf(make_grf(time=64, height=16, width=16, seed=5, mask="island"), data)
    assert (
        main(
            [
                "fit",
                "--config",
                str(CONFIGS / "demo.yaml"),
                "--config",
                str(CONFIGS / "convgru.yaml"),
                "--data.path",
                str(data),
                "--trainer.default_root_dir",
                str(root),
                "--model.generator_options",
                "{latent_channels: 4, hidden_channels: 8, width: 4, spatial_upsamples: 1}",
                "--model.discriminator_options",
                "{width: 4, depth: 2}",
                "--model.ema_decay",
                "0.9",
                "--data.window_length",
                "4",
                "--data.batch_size",
                "4",
                "--trainer.max_steps",
                "2",
                "--metrics.every_n_steps",
                "0",
                "--trainer.enable_progress_bar",
                "false",
                "--trainer.enable_model_summary",
                "false",
            ]
        )
        == 0
    )
    return root / "logs" / "version_0" / "checkpoints" / "last.ckpt"


def test_streamed_file_equals_forward_on_the_same_latents(convgru_ckpt, tmp_path):
    # 3 samples in batches of 2, 70 steps: two batches and two chunks (64 + 6) per batch.
    length, n, batch = STREAM_CHUNK + 6, 3, 2
    out = tmp_path / "long.nc"
    assert (
        main(
            [
                "generate",
                "--checkpoint",
                str(convgru_ckpt),
                "--num-samples",
                str(n),
                "--batch-size",
                str(batch),
                "--length",
                str(length),
                "--seed",
                "4",
                "--output",
                str(out),
            ]
        )
        == 0
    )

    # Reference: the whole sequence at once through forward() of the sampling (EMA) generator,
    # from latents drawn in the order stream() draws them: batch by batch, step by step.
    module = load_module(load_checkpoint(convgru_ckpt))
    assert module.generator_ema is not None
    c_lat, _, h_lat, w_lat = module.generator.latent_shape((length, 16, 16))
    rng = torch.Generator().manual_seed(4)
    transforms = [ChannelTransform(**t) for t in module.data_info["transforms"]]
    expected = []
    with torch.no_grad():
        for s0 in range(0, n, batch):
            b = min(batch, n - s0)
            z = torch.stack(
                [torch.randn((b, c_lat, h_lat, w_lat), generator=rng) for _ in range(length)], dim=2
            )  # (b, latent, T, h, w)
            expected.append(
                inverse_all(
                    transforms, module.sample(z, (length, 16, 16)), None, channel_dim=1
                ).numpy()
            )
    expected = np.concatenate(expected)[:, 0]  # (N, T, H, W)
    mask = np.asarray(module.data_info["mask"])
    assert mask.any() and not mask.all()
    expected[..., mask] = np.nan

    with xr.open_dataset(out) as ds:
        field = ds["field"]
        assert field.dims == ("sample", "time", "y", "x") and field.shape == (n, length, 16, 16)
        assert field.dtype == np.float32 and field.attrs["units"] == "K"
        assert ds["time"].size == length and ds["x"].size == 16
        assert ds.attrs["Conventions"] == "CF-1.8" and "--seed 4" in ds.attrs["source"]
        values = field.values
    assert np.isnan(values[..., mask]).all() and np.isfinite(values[..., ~mask]).all()
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-4)
    assert not list(tmp_path.glob(".long.nc.*"))  # no temporary file left behind


PEAK_RSS = """
import json, sys, torch
torch.set_num_threads(1)  # thousands of tiny steps: thread hand-offs would only add noise
from stgan.cli import main
assert main(sys.argv[1:]) == 0
status = open("/proc/self/status").read().splitlines()
print(json.dumps(next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) * 1024))
"""


def _peak_rss(ckpt: Path, out: Path, length: int, n: int) -> int:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            PEAK_RSS,
            "generate",
            "--checkpoint",
            str(ckpt),
            "--num-samples",
            str(n),
            "--length",
            str(length),
            "--output",
            str(out),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_long_generation_runs_in_flat_memory(convgru_ckpt, tmp_path):
    # 16 samples of 8,000 steps on a 16 × 16 grid are 131 MB of float32 output alone (and
    # forward() would hold every step's state and frame besides); streamed and written chunk by
    # chunk, the peak RSS of the whole command is within noise of a 50-step run.
    n, long = 16, 8000
    short_rss = _peak_rss(convgru_ckpt, tmp_path / "short.nc", 50, n)
    long_rss = _peak_rss(convgru_ckpt, tmp_path / "long.nc", long, n)
    output_bytes = n * long * 16 * 16 * 4
    assert long_rss - short_rss < output_bytes / 4, (short_rss, long_rss)
    with xr.open_dataset(tmp_path / "long.nc") as ds:
        last = ds["field"].isel(time=-1).values  # the last chunk was written
        assert ds["field"].shape == (n, long, 16, 16)
    assert np.isfinite(last).any()
