"""A run directory records how to repeat the run; `stgan generate --seed` repeats exactly."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import xarray as xr
import yaml
from conftest import TINY_FIT

from stgan.cli import main
from stgan.training.rundir import fingerprint


@pytest.fixture(scope="module")
def run_dir(grf_file, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("repro_run")
    assert (
        main(
            [
                "fit",
                "--data.path",
                str(grf_file),
                "--trainer.default_root_dir",
                str(root),
                *TINY_FIT,
                "--trainer.max_steps",
                "2",
                "--metrics.every_n_steps",
                "1000",
                "--seed_everything",
                "123",
            ]
        )
        == 0
    )
    return root / "logs" / "version_0"


def test_run_directory_holds_config_seed_versions_and_data_fingerprint(run_dir, grf_file):
    record = json.loads((run_dir / "run.json").read_text())
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert record["seed"] == config["seed_everything"] == 123
    assert config["data"]["path"] == str(grf_file) and config["trainer"]["max_steps"] == 2
    assert record["config"] == "config.yaml" and record["resumed_from"] is None
    versions = record["versions"]
    for name in ("python", "torch", "pytorch-lightning", "numpy", "xarray", "netCDF4", "stgan"):
        assert versions[name], name
    assert versions["torch"] == __import__("torch").__version__
    (data,) = record["data"]
    assert data["path"] == str(grf_file.resolve()) and data["method"] == "sha256"
    assert data["sha256"] == hashlib.sha256(grf_file.read_bytes()).hexdigest()
    assert data["bytes"] == grf_file.stat().st_size
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert not list(run_dir.glob(".*.tmp"))  # written atomically


def test_generate_with_a_seed_is_byte_identical(run_dir, tmp_path):
    ckpt = str(run_dir / "checkpoints" / "last.ckpt")
    outs = []
    for name, seed in (("a.nc", "5"), ("b.nc", "5"), ("c.nc", "6")):
        assert (
            main(
                [
                    "generate",
                    "--checkpoint",
                    ckpt,
                    "--num-samples",
                    "6",
                    "--batch-size",
                    "4",
                    "--seed",
                    seed,
                    "--output",
                    str(tmp_path / name),
                ]
            )
            == 0
        )
        with xr.open_dataset(tmp_path / name) as ds:
            outs.append({k: v.values.tobytes() for k, v in ds.data_vars.items()})
    assert outs[0] == outs[1]
    assert all(outs[0][k] != outs[2][k] for k in outs[0])  # the seed matters


def test_large_files_are_fingerprinted_by_size_mtime_and_ends(tmp_path):
    path = tmp_path / "big.nc"
    path.write_bytes(bytes(range(256)) * 20_000)  # 5 MB, "large" below a 1 MB limit
    small = fingerprint(path, full_limit=1024**2)
    assert small["method"].startswith("sha256(size,mtime_ns")
    assert small == fingerprint(path, full_limit=1024**2)  # stable
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # the last MiB is hashed: a change at the end shows
    path.write_bytes(bytes(data))
    assert fingerprint(path, full_limit=1024**2)["sha256"] != small["sha256"]
    assert fingerprint(path)["method"] == "sha256"
    assert fingerprint(path)["sha256"] == hashlib.sha256(bytes(data)).hexdigest()
