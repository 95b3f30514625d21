"""``stgan.fit(best_of=N)`` and ``stgan fit --best-of N``: N seeds trained at once, the lowest
domain score kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import stgan
from stgan.errors import StganError
from stgan.training.best_of import best_score, pop_best_of
from tests.conftest import TINY_API, TINY_FIT, run_stgan


def test_best_of_keeps_the_seed_with_the_lowest_domain_score(grf_file, tmp_path, capsys):
    root = tmp_path / "runs"
    options = {**TINY_API, "data.batch_size": 4, "metrics.every_n_steps": 2}
    options |= {"metrics.num_samples": 4}
    run = stgan.fit(
        grf_file, "demo", max_steps=4, seed=5, root_dir=root, progress=False, best_of=2, **options
    )
    record = json.loads((root / "best_of.json").read_text())
    assert sorted(record["runs"]) == ["5", "6"]  # seed 5 and the next
    # Each seed's score, read again from its own run folder: the winner is the lowest.
    scores = {seed: best_score(root / f"seed{seed}")[0] for seed in (5, 6)}
    assert all(r["score"] == pytest.approx(scores[int(s)]) for s, r in record["runs"].items())
    winner = min(scores, key=scores.get)
    assert record["best"]["seed"] == winner
    assert f"best: seed {winner}" in capsys.readouterr().out
    # The Run is the winner's, read back from its folder; best.ckpt is its checkpoint's bytes.
    assert run.checkpoint == Path(record["best"]["checkpoint"])
    assert run.run_dir.is_relative_to(root / f"seed{winner}")
    assert run.config["seed_everything"] == winner and run.command[-2:] == ["--best-of", "2"]
    assert run.health is not None and run.last_checkpoint.name == "last.ckpt"
    assert (root / "best.ckpt").read_bytes() == run.checkpoint.read_bytes()
    assert stgan.load(root / "best.ckpt").sample(2).sizes["sample"] == 2
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
