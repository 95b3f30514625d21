"""`stgan.load` → Model: facts, `sample` equal to `stgan generate`, typed checkpoint errors,
and the runnable examples of the API's docstrings."""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from conftest import run_stgan

import stgan
from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.errors import CheckpointError, UnknownNameError
from stgan.io.netcdf import write_netcdf
from stgan.nn.registry import GENERATORS

FORMAT1 = Path(__file__).parent / "data" / "format1.ckpt"
CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def convgru_ckpt(tmp_path_factory) -> Path:
    """A tiny ConvGRU model (streamed by `stgan generate`) trained 1 step on an 8 × 8 grf."""
    root = tmp_path_factory.mktemp("convgru")
    write_netcdf(make_grf(time=32, height=8, width=8, seed=1, mask="island"), root / "g.nc")
    argv = ["fit", "--config", str(CONFIGS / "demo.yaml"), "--config"]
    argv += [str(CONFIGS / "convgru.yaml"), "--data.path", str(root / "g.nc")]
    argv += ["--trainer.default_root_dir", str(root), "--trainer.max_steps", "1"]
    argv += ["--model.generator_options", "{latent_channels: 2, hidden_channels: 4, width: 2}"]
    argv += ["--model.discriminator_options", "{width: 2, depth: 1}", "--data.window_length"]
    argv += ["4", "--data.batch_size", "2", "--data.samples_per_epoch", "2"]
    argv += ["--metrics.every_n_steps", "0", "--trainer.enable_progress_bar", "false"]
    assert main([*argv, "--trainer.enable_model_summary", "false"]) == 0
    return root / "logs" / "version_0" / "checkpoints" / "last.ckpt"


def test_model_facts_and_repr():
    model = stgan.load(FORMAT1)
    assert model.variables == ["field"] and model.units == {"field": "K"}
    assert model.window == (4, 16, 16) and model.grid == (16, 16)
    assert not model.trained_on_patches and model.generator == "conv3d" and model.steps == 2
    assert model.dims == {"time": "time", "y": "y", "x": "x"}
    assert model.calendar == "proleptic_gregorian"
    assert repr(model).splitlines() == [
        "stgan Model 'format1.ckpt': generator 'conv3d', 2 steps",
        "  variables: field [K]",
        "  window (T, H, W): (4, 16, 16)",
        "  dims: time ← 'time', y ← 'y', x ← 'x'",
        "  time step: fixed 1 day, calendar proleptic_gregorian, units days since 2000-01-01",
        "  conditions: none",
        "  trained on: grf.nc",
    ]


def test_sample_equals_the_generate_command(tmp_path):
    out = tmp_path / "gen.nc"
    args = ["--checkpoint", str(FORMAT1), "--num-samples", "5", "--seed", "7"]
    run_stgan("generate", *args, "--batch-size", "2", "--output", str(out))
    samples = stgan.load(FORMAT1).sample(5, seed=7, batch_size=2)
    with xr.open_dataset(out) as written:
        xr.testing.assert_identical(samples, written)  # values, coords and every attribute
    assert samples["field"].shape == (5, 4, 16, 16)
    # The training record ends 2000-03-04: samples continue the next day.
    assert samples["time"].values[0] == np.datetime64("2000-03-05")
    assert 270 < float(samples["field"].mean()) < 290  # physical units (mean 280 K)
    # Another seed, other samples.
    assert not np.array_equal(stgan.load(FORMAT1).sample(5, seed=8)["field"], samples["field"])


def test_a_streamed_model_samples_what_it_writes(convgru_ckpt, tmp_path):
    model = stgan.load(convgru_ckpt)
    assert model.generator == "convgru"
    # 3 samples in batches of 2, 10 steps: written frame chunk by frame chunk.
    path = model.write(tmp_path / "long.nc", 3, length=10, seed=4, batch_size=2)
    samples = model.sample(3, length=10, seed=4, batch_size=2)
    with xr.open_dataset(path) as written:
        xr.testing.assert_identical(samples, written)
    island = np.isnan(samples["field"].values).all(axis=(0, 1))
    assert island.any() and np.isfinite(samples["field"].values[..., ~island]).all()


def test_a_file_that_is_not_a_checkpoint_is_a_checkpoint_error(tmp_path, capsys):
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError) as raised:
        stgan.load(junk)
    proc = run_stgan("generate", "--checkpoint", str(junk), "--output", "x.nc", check=False)
    assert proc.returncode == 2 and proc.stderr == f"stgan: error: {raised.value}\n"
    assert str(junk) in str(raised.value)
    # A torch file without stgan's keys.
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.ckpt")
    with pytest.raises(CheckpointError) as raised:
        stgan.load(tmp_path / "other.ckpt")
    argv = ["generate", "--checkpoint", str(tmp_path / "other.ckpt"), "--output", "x.nc"]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"stgan: error: {raised.value}\n"
    assert "is not an stgan checkpoint" in str(raised.value)
    assert not (tmp_path / "x.nc").exists()


def test_an_unknown_registry_name_is_an_unknown_name_error():
    with pytest.raises(UnknownNameError, match="unknown generator 'nope'; valid generator keys"):
        GENERATORS.get("nope")


def test_the_api_docstring_examples_run(tmp_path, monkeypatch):
    shutil.copy(FORMAT1, tmp_path / "model.ckpt")  # the examples' checkpoint
    monkeypatch.chdir(tmp_path)
    import stgan.api.data
    import stgan.api.model
    import stgan.api.survey

    for module in (stgan.api.data, stgan.api.model, stgan.api.survey):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
    assert (tmp_path / "samples.nc").is_file()
