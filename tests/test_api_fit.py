"""stgan.fit: in-process training through `stgan fit`'s code path, and the Run it returns."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

import stgan
from stgan.checkpoint import load_checkpoint
from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.io.netcdf import write_netcdf
from stgan.training.cli import resolve_presets, run_fit
from tests.conftest import TINY_API

STEPS = 4
# Tiny networks on an 8x8 grid, domain metrics (and so a best checkpoint) every 2 steps.
TINY = {
    **TINY_API,
    "data.batch_size": 2,
    "trainer.log_every_n_steps": 1,
    "metrics.every_n_steps": 2,
    "metrics.num_samples": 4,
}


@pytest.fixture(scope="module")
def grf():
    return make_grf(time=48, height=8, width=8, seed=2)


@pytest.fixture(scope="module")
def grf_nc(tmp_path_factory, grf) -> Path:
    return write_netcdf(grf, tmp_path_factory.mktemp("data") / "grf.nc")


@pytest.fixture(scope="module")
def file_run(tmp_path_factory, grf_nc) -> stgan.Run:
    """A fit on a NetCDF file, with the loss chosen by a dotted override."""
    root = tmp_path_factory.mktemp("file_run")
    return stgan.fit(
        grf_nc, "demo", max_steps=STEPS, root_dir=root, progress=False,
        **TINY, **{"model.loss.name": "hinge"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def dataset_run(tmp_path_factory, grf) -> stgan.Run:
    """A fit on an in-memory Dataset; config a preset plus a dict, a section as a nested dict."""
    root = tmp_path_factory.mktemp("dataset_run")
    overrides = {**TINY, "model": {"optimizer": {"lr_d": 0.0005}}}
    overrides["data"] = {"samples_per_epoch": 6}  # the keyword data= is a section, not the data
    del overrides["data.batch_size"]
    overrides["data"]["batch_size"] = 2
    config = ["demo", {"model": {"loss": {"name": "lsgan"}}}]
    return stgan.fit(grf, config, max_steps=STEPS, root_dir=root, **overrides)


def _csv_steps(run: stgan.Run) -> set[int]:
    with open(run.run_dir / "metrics.csv", newline="") as f:
        return {int(row["step"]) for row in csv.DictReader(f)}


def test_fit_on_a_file_returns_the_run(file_run, grf_nc):
    run = file_run
    assert run.run_dir.name == "version_0" and (run.run_dir / "config.yaml").is_file()
    # Domain metrics ran at steps 2 and 4: the best checkpoint is chosen by their score.
    assert run.checkpoint.name.startswith("best-") and run.checkpoint.is_file()
    assert run.last_checkpoint == run.run_dir / "checkpoints" / "last.ckpt"
    ckpt = load_checkpoint(run.checkpoint)
    assert ckpt["global_step"] in (2, 4)
    assert load_checkpoint(run.last_checkpoint)["global_step"] == STEPS
    # Health: the monitor's health.json, typed.
    assert run.health.final_step == STEPS
    assert run.health.state in ("healthy", "recovered", "alarms")
    assert run.health.path == run.run_dir / "checkpoints" / "health.json"
    assert run.health.best_step == int(ckpt["global_step"])
    assert repr(run.health).startswith(f"stgan health: {run.health.state} at step {STEPS}")
    # Metrics: one row per logged step of metrics.csv, the losses and the domain score.
    assert set(run.metrics.index) == _csv_steps(run)
    assert {"loss_d", "loss_g", "val_domain_score", "val_w1_field"} <= set(run.metrics.columns)
    assert run.metrics["val_domain_score"].dropna().index.tolist() == [2, 4]
    assert run.metrics["val_domain_score"].min() == pytest.approx(run.health.best_domain_score)
    assert run.metrics["loss_d"].notna().sum() == STEPS
    # The resolved config, and the equivalent command recorded in run.json.
    assert run.config["trainer"]["max_steps"] == STEPS
    assert run.config["trainer"]["enable_progress_bar"] is False
    assert run.config["data"]["path"] == str(grf_nc)
    record = json.loads((run.run_dir / "run.json").read_text())
    assert record["command"] == run.command and run.command[:4] == [
        "stgan",
        "fit",
        "--config",
        "demo",
    ]


def test_overrides_reach_the_model(file_run):
    hparams = torch.load(file_run.checkpoint, weights_only=True)["hyper_parameters"]
    assert hparams["loss"]["name"] == "hinge"
    assert hparams["generator"]["options"]["width"] == 4
    assert hparams["discriminator"]["options"] == {"width": 4, "depth": 2}
    assert tuple(hparams["optimizer"]["betas_g"]) == (0.5, 0.999)  # the rest is the demo preset's


def test_fit_on_a_dataset_writes_it_once(dataset_run, grf):
    run = dataset_run
    written = Path(run.config["data"]["path"])
    assert written.parent == run.run_dir.parents[1] / "data" and written.suffix == ".nc"
    with xr.open_dataset(written) as back:
        np.testing.assert_array_equal(back["field"].values, grf["field"].values)
    record = json.loads((run.run_dir / "run.json").read_text())
    assert [Path(d["path"]) for d in record["data"]] == [written.resolve()]
    # A second fit of the same Dataset reads the same file, not rewritten.
    mtime = written.stat().st_mtime_ns
    again = stgan.api.run.fit_args(grf, "demo", None, None, 0, run.run_dir.parents[1], True, {})
    assert again[again.index("--data.path") + 1] == str(written)
    assert written.stat().st_mtime_ns == mtime
    hparams = load_checkpoint(run.checkpoint)["hyper_parameters"]
    assert hparams["loss"]["name"] == "lsgan"  # from the dict config
    assert hparams["optimizer"]["lr_d"] == 0.0005 and hparams["optimizer"]["lr_g"] == 0.0002
    assert run.config["trainer"]["enable_progress_bar"] is True
    assert run.config["data"]["samples_per_epoch"] == 6 and run.config["data"]["batch_size"] == 2


def test_run_repr(dataset_run):
    text = repr(dataset_run)
    assert text.splitlines()[0] == f"Run({dataset_run.run_dir})"
    assert f"checkpoint: {dataset_run.checkpoint}" in text
    assert f"metrics: {len(dataset_run.metrics)} logged steps" in text
    page = dataset_run._repr_html_()
    assert "<table>" in page and dataset_run.checkpoint.name in page


def test_unknown_key_fails_as_the_cli_does(grf_nc, tmp_path, capsys, monkeypatch):
    with pytest.raises(stgan.StganError) as err:
        stgan.fit(grf_nc, "demo", root_dir=tmp_path, **{"model.nonsense": 1})
    assert str(err.value) == "unrecognized arguments: --model.nonsense 1"
    assert not (tmp_path / "logs").exists()
    # The command, through the console script's entry point in this process (its imports are
    # paid already; the same parser runs as in a process).
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", "demo", "--data.path", str(grf_nc), "--model.nonsense", "1"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"error: {err.value}"
    assert not (tmp_path / "logs").exists()


def test_bad_config_lists_the_presets(grf_nc, tmp_path):
    with pytest.raises(stgan.StganError, match="neither a file nor a packaged preset") as err:
        stgan.fit(grf_nc, "recomended", root_dir=tmp_path)
    assert "recommended, self-conditioned" in str(err.value)


def test_a_preset_name_means_demo_and_its_overlay(capsys, grf_nc):
    configs = resources.files("stgan") / "configs"
    demo, rec = str(configs / "demo.yaml"), str(configs / "recommended.yaml")
    assert resolve_presets(["--config", "recommended", "--data.path", "x"]) == [
        "--config", demo, "--config", rec, "--data.path", "x",
    ]  # fmt: skip
    assert resolve_presets(["--config=demo", "-c", "unrolled"]) == [
        "--config", demo, "-c", str(configs / "unrolled.yaml"),
    ]  # fmt: skip
    printed = []
    for config in (["--config", "recommended"], ["--config", demo, "--config", rec]):
        with pytest.raises(SystemExit):
            run_fit([*config, "--data.path", str(grf_nc), "--print_config"])
        printed.append(capsys.readouterr().out)
    assert "spectral_matching" in printed[0] and printed[0] == printed[1]


def test_max_time_and_progress_arguments(grf_nc):
    args = stgan.api.run.fit_args(grf_nc, "demo", 7, 3725.2, 5, "r", False, {"a.b": None})
    assert args == [
        "--config", "demo", "--data.path", str(grf_nc), "--seed_everything", "5",
        "--trainer.default_root_dir", "r", "--trainer.max_steps", "7",
        "--trainer.max_time", "00:01:02:06", "--trainer.enable_progress_bar", "false",
        "--a.b", "null",
    ]  # fmt: skip


def test_docstring_example_runs():
    import doctest

    import stgan.api.run

    result = doctest.testmod(stgan.api.run, verbose=False)
    assert result.attempted == 6 and result.failed == 0
