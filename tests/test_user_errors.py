"""A user error prints one clear line and exits non-zero, without a traceback.

One error runs as a real process; the others run the same `stgan.cli.main` in this process,
which saves an interpreter start (torch and Lightning imports) per case.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import TINY_FIT, run_stgan


@pytest.fixture
def stgan(capsys):
    """``stgan(*args)`` runs the CLI in this process and returns what run_stgan would."""
    from stgan.cli import main

    def run(*args: str) -> subprocess.CompletedProcess:
        environ = dict(os.environ)  # Lightning's seeding writes PL_GLOBAL_SEED; keep it local
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # the option parser exits on a bad option, as in a process
            code = exc.code
        finally:
            os.environ.clear()
            os.environ.update(environ)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


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


def test_not_a_netcdf_file(tmp_path, stgan):
    bad = tmp_path / "bad.nc"
    bad.write_text("this is not NetCDF")
    proc = stgan("fit", "--config", "configs/demo.yaml", "--data.path", str(bad))
    _fails_cleanly(proc, "cannot read", "bad.nc")


def test_unknown_variable_lists_present_ones(grf_file, stgan):
    proc = stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--data.variables",
        "[precip]",
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
def test_unknown_registry_keys(grf_file, tmp_path, option, value, needles, stgan):
    proc = stgan(
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
    )
    _fails_cleanly(proc, *needles)


def test_window_larger_than_grid(grf_file, stgan):
    proc = stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--data.window_height",
        "40",
    )
    _fails_cleanly(proc, "window y size 40", "16")


def test_unknown_config_key(grf_file, stgan):
    proc = stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(grf_file),
        "--model.learning_rate",
        "0.1",
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "learning_rate" in proc.stderr


def test_missing_checkpoint(tmp_path, stgan):
    proc = stgan(
        "generate",
        "--checkpoint",
        str(tmp_path / "x.ckpt"),
        "--num-samples",
        "2",
        "--output",
        str(tmp_path / "g.nc"),
    )
    _fails_cleanly(proc, "x.ckpt", "does not exist")
    assert not (tmp_path / "g.nc").exists()


def test_evaluate_with_missing_variable(tmp_path, grf_file, stgan):
    proc = stgan(
        "evaluate",
        "--real",
        str(grf_file),
        "--generated",
        str(grf_file),
        "--output-dir",
        str(tmp_path / "ev"),
        "--variables",
        "tas",
    )
    _fails_cleanly(proc, "'tas'")
    assert not (tmp_path / "ev" / "metrics.json").exists()


def test_bad_make_data_argument(tmp_path, stgan):
    proc = stgan("make-data", "grf", "--output", str(tmp_path / "d.nc"), "--phi", "1.5")
    _fails_cleanly(proc, "phi")
    assert not (tmp_path / "d.nc").exists()
