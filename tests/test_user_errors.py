"""A user error prints one clear line and exits non-zero, without a traceback."""

from __future__ import annotations

import pytest
from conftest import TINY_FIT, run_stgan


def _fails_cleanly(proc, *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert len(error_lines) == 1, proc.stderr  # one clear line, not a cascade
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_missing_data_file(tmp_path):
    proc = run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(tmp_path / "nope.nc"),
        check=False,
    )
    _fails_cleanly(proc, "does not exist", "nope.nc")
    assert proc.stderr.splitlines()[-1].startswith("stgan: error: data file")


def test_not_a_netcdf_file(tmp_path):
    bad = tmp_path / "bad.nc"
    bad.write_text("this is not NetCDF")
    proc = run_stgan("fit", "--config", "configs/demo.yaml", "--data.path", str(bad), check=False)
    _fails_cleanly(proc, "cannot read", "bad.nc")


def test_unknown_variable_lists_present_ones(grf_file):
    proc = run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--data.variables",
        "[precip]",
        check=False,
    )
    _fails_cleanly(proc, "'precip'", "present: field")


@pytest.mark.parametrize(
    ("option", "value", "needles"),
    [
        ("--model.generator", "transformer", ("unknown generator 'transformer'", "conv3d")),
        ("--model.discriminator", "mlp", ("unknown discriminator 'mlp'", "conv3d")),
        ("--model.loss", "focal", ("unknown loss 'focal'", "hinge", "nonsaturating")),
        ("--model.generator_options", "{depth: 3}", ("no option 'depth'", "width")),
    ],
)
def test_unknown_registry_keys(grf_file, tmp_path, option, value, needles):
    proc = run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--trainer.default_root_dir",
        str(tmp_path),
        *TINY_FIT,
        option,
        value,
        check=False,
    )
    _fails_cleanly(proc, *needles)


def test_window_larger_than_grid(grf_file):
    proc = run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--data.window_height",
        "40",
        check=False,
    )
    _fails_cleanly(proc, "window y size 40", "16")


def test_unknown_config_key(grf_file):
    proc = run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--model.learning_rate",
        "0.1",
        check=False,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "learning_rate" in proc.stderr


def test_missing_checkpoint(tmp_path):
    proc = run_stgan(
        "generate",
        "--checkpoint",
        str(tmp_path / "x.ckpt"),
        "--num-samples",
        "2",
        "--output",
        str(tmp_path / "g.nc"),
        check=False,
    )
    _fails_cleanly(proc, "x.ckpt", "does not exist")
    assert not (tmp_path / "g.nc").exists()


def test_evaluate_with_missing_variable(tmp_path, grf_file):
    proc = run_stgan(
        "evaluate",
        "--real",
        str(grf_file),
        "--generated",
        str(grf_file),
        "--output-dir",
        str(tmp_path / "ev"),
        "--variables",
        "tas",
        check=False,
    )
    _fails_cleanly(proc, "'tas'")
    assert not (tmp_path / "ev" / "metrics.json").exists()


def test_bad_make_data_argument(tmp_path):
    proc = run_stgan(
        "make-data", "grf", "--output", str(tmp_path / "d.nc"), "--phi", "1.5", check=False
    )
    _fails_cleanly(proc, "phi")
    assert not (tmp_path / "d.nc").exists()
