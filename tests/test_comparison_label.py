"""The report names what the samples were compared with: "reference" data, or "held-out" data
when evaluate takes the test split of the model's own training data."""

from __future__ import annotations

import json

import pytest
from conftest import TINY_FIT, run_stgan

import stgan
from stgan.data.synthetic import make_grf
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 1-step model on a (64, 16, 16) GRF with 4-step windows, and 6 of its samples."""
    root = tmp_path_factory.mktemp("label")
    data = root / "grf.nc"
    write_netcdf(make_grf(time=64, height=16, width=16, seed=3), data)
    run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(data),
        "--trainer.max_steps",
        "1",
        "--trainer.default_root_dir",
        str(root / "run"),
        *TINY_FIT,
    )
    ckpt = root / "run" / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    gen = root / "gen.nc"
    run_stgan("generate", "--checkpoint", str(ckpt), "--num-samples", "6", "--output", str(gen))
    return data, ckpt, gen


def _pages(out):
    return (
        json.loads((out / "metrics.json").read_text()),
        (out / "report.md").read_text(),
        (out / "report.html").read_text(),
    )


def test_a_real_file_is_reference_data(trained, tmp_path):
    data, _, gen = trained
    out = tmp_path / "ev"
    stgan.evaluate(data, gen).save(out)
    metrics, md, page = _pages(out)
    assert metrics["comparison"] == "reference" and metrics["split"] is None
    assert metrics["n_real_windows"] == 64 // 4  # the whole file
    assert md.startswith("# stgan evaluation report: generated vs reference data\n")
    assert f"- reference data: `{data}` — 16 windows" in md
    assert "<h1>stgan evaluation report: generated vs reference data</h1>" in page
    assert "held-out" not in md and "held-out" not in page


def test_the_test_split_of_the_training_data_is_held_out(trained, tmp_path):
    data, ckpt, gen = trained
    out = tmp_path / "ev"
    run_stgan(
        "evaluate",
        "--real",
        str(data),
        "--test-split-of",
        str(ckpt),
        "--generated",
        str(gen),
        "--output-dir",
        str(out),
    )
    metrics, md, page = _pages(out)
    assert metrics["comparison"] == "held-out" and metrics["split"] == "test"
    # time_splits(64, window 4, val 0.15, test 0.15): 56 usable steps, 8 for test after a gap
    # of 4: steps 56-63, two windows of 4.
    assert metrics["n_real_windows"] == 2
    assert md.startswith("# stgan evaluation report: generated vs held-out data\n")
    assert "- held-out data (the test split of the model's training data)" in md
    assert "## Generated vs held-out data" in md
    assert "<h1>stgan evaluation report: generated vs held-out data</h1>" in page
    assert "reference" not in md


def test_the_test_split_of_another_file_is_refused(trained, tmp_path):
    data, ckpt, gen = trained
    other = tmp_path / "other.nc"
    write_netcdf(make_grf(time=64, height=16, width=16, seed=4), other)
    with pytest.raises(StganError, match="drop --test-split-of to compare with this file"):
        stgan.evaluate(other, gen, test_split_of=ckpt).save(tmp_path / "ev")
    assert not (tmp_path / "ev" / "metrics.json").exists()
