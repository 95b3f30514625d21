"""``stgan fit --best-of N``: N seeds trained at once, the lowest domain score kept."""

from __future__ import annotations

import json

import pytest
import torch

import stgan
from stgan.errors import StganError
from stgan.training.best_of import best_score, pop_best_of
from tests.conftest import TINY_FIT, run_stgan


def test_best_of_keeps_the_seed_with_the_lowest_domain_score(grf_file, tmp_path):
    root = tmp_path / "runs"
    args = ["fit", "--config", "demo", "--data.path", str(grf_file), *TINY_FIT]
    args += ["--trainer.max_steps", "4", "--metrics.every_n_steps", "2"]
    args += ["--trainer.default_root_dir", str(root), "--seed_everything", "5"]
    proc = run_stgan(*args, "--best-of", "2")
    record = json.loads((root / "best_of.json").read_text())
    assert sorted(record["runs"]) == ["5", "6"]  # --seed_everything 5 and the next
    # Each seed's score, read again from its own run folder: the winner is the lowest.
    scores = {seed: best_score(root / f"seed{seed}")[0] for seed in (5, 6)}
    assert all(r["score"] == pytest.approx(scores[int(s)]) for s, r in record["runs"].items())
    winner = min(scores, key=scores.get)
    assert record["best"]["seed"] == winner
    assert f"best: seed {winner}" in proc.stdout
    # best.ckpt is the winner's best checkpoint, byte for byte, and samples like any.
    best = root / "best.ckpt"
    assert best.read_bytes() == open(record["best"]["checkpoint"], "rb").read()
    assert stgan.load(best).sample(2).sizes["sample"] == 2
    # Each seed trained its own model: the two best generators differ.
    weights = [
        torch.load(record["runs"][s]["checkpoint"], weights_only=True)["state_dict"]
        for s in ("5", "6")
    ]
    key = next(k for k in weights[0] if k.startswith("generator.") and k.endswith("weight"))
    assert not torch.equal(weights[0][key], weights[1][key])


def test_best_of_refuses_bad_counts_and_a_run_without_domain_score(grf_file, tmp_path):
    assert pop_best_of(["--a", "1", "--best-of=3"]) == (["--a", "1"], 3)
    assert pop_best_of(["--a", "1"]) == (["--a", "1"], None)
    with pytest.raises(StganError, match="at least 2 seeds, got 1"):
        pop_best_of(["--best-of", "1"])
    with pytest.raises(StganError, match="takes a number of seeds, got 'x'"):
        pop_best_of(["--best-of", "x"])
    root = tmp_path / "off"
    bad = run_stgan(
        "fit", "--config", "demo", "--data.path", str(grf_file), *TINY_FIT,
        "--metrics.every_n_steps", "0", "--trainer.default_root_dir", str(root),
        "--best-of", "2", check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "--metrics.every_n_steps 0 turns that score off" in bad.stderr
    assert not root.exists()  # refused before any run started
