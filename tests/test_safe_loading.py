"""Crafted files cannot run code: pickle payloads in checkpoints, YAML tags in configs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import torch
from conftest import run_stgan

STGAN = Path(__file__).resolve().parents[1] / "stgan"


class Payload:
    """Unpickling this runs ``open(marker, "w")``: it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _evil_checkpoint(path: Path, marker: Path) -> Path:
    # A checkpoint-shaped dict with the payload tucked among plain values.
    torch.save(
        {
            "state_dict": {"w": torch.zeros(2)},
            "hyper_parameters": {"lr_g": 1e-3},
            "stgan": {"format": 1, "data": {"note": Payload(marker)}},
        },
        path,
    )
    return path


def test_the_payload_is_real(tmp_path):
    # Control: an unsafe load does run it, so the refusal below is what protects the user.
    marker = tmp_path / "pwned"
    ckpt = _evil_checkpoint(tmp_path / "evil.ckpt", marker)
    code = f"import torch; torch.load({str(ckpt)!r}, weights_only=False)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent)
    assert marker.exists()


def test_generate_refuses_a_checkpoint_with_a_pickle_payload(tmp_path):
    marker = tmp_path / "pwned"
    ckpt = _evil_checkpoint(tmp_path / "evil.ckpt", marker)
    proc = run_stgan(
        "generate",
        "--checkpoint",
        str(ckpt),
        "--num-samples",
        "2",
        "--output",
        str(tmp_path / "out.nc"),
        check=False,
        cwd=Path(__file__).parent,
    )
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("stgan: error: refusing to load") and "evil.ckpt" in line
    assert "only load checkpoints written by stgan" in line
    assert not marker.exists() and not (tmp_path / "out.nc").exists()


def test_fit_refuses_to_resume_from_a_checkpoint_with_a_pickle_payload(grf_file, tmp_path):
    marker = tmp_path / "pwned"
    ckpt = _evil_checkpoint(tmp_path / "evil.ckpt", marker)
    proc = run_stgan(
        "fit",
        "--data.path",
        str(grf_file),
        "--trainer.default_root_dir",
        str(tmp_path),
        "--data.window_length",
        "4",
        "--trainer.max_steps",
        "1",
        "--ckpt_path",
        str(ckpt),
        check=False,
        cwd=Path(__file__).parent,
    )
    assert proc.returncode == 2
    assert "stgan: error: refusing to load" in proc.stderr and "Traceback" not in proc.stderr
    assert not marker.exists()


def test_yaml_python_tags_are_not_executed(grf_file, tmp_path):
    marker = tmp_path / "pwned"
    config = tmp_path / "evil.yaml"
    config.write_text(f"data:\n  path: !!python/object/apply:os.system ['touch {marker}']\n")
    proc = run_stgan(
        "fit", "--config", str(config), "--data.path", str(grf_file), "--print_config", check=False
    )
    assert not marker.exists()
    config.write_text(f"seed_everything: !!python/object/apply:os.system ['touch {marker}']\n")
    proc = run_stgan(
        "fit", "--config", str(config), "--data.path", str(grf_file), "--print_config", check=False
    )
    assert proc.returncode != 0 and not marker.exists()


def test_no_eval_exec_or_unsafe_loaders_in_stgan():
    unsafe = re.compile(
        r"(?<![.\w])(eval|exec)\(|pickle\.loads?\(|yaml\.(unsafe_)?load\(|weights_only=False"
    )
    hits = [
        f"{p.relative_to(STGAN)}:{n}"
        for p in STGAN.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if unsafe.search(line)
    ]
    assert hits == []
