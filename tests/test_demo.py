"""`stgan demo`, the README's main job, end to end in a real process (shortened to 2 steps)."""

from __future__ import annotations

import json

import yaml

from tests.conftest import run_stgan


def test_demo_runs_the_whole_path(tmp_path):
    out = tmp_path / "demo"
    proc = run_stgan(
        "demo", "--output-dir", str(out), "--max-steps", "2", "--num-samples", "8", "--seed", "3"
    )
    assert "[5/5] evaluation" in proc.stdout and "log-spectral distance" in proc.stdout
    for name in ("train.nc", "heldout.nc", "generated.nc", "evaluation/report.html"):
        assert (out / name).stat().st_size > 0
    metrics = json.loads((out / "evaluation" / "metrics.json").read_text())
    field = next(iter(metrics["variables"].values()))
    # Every registry entry ran, the memorisation test too (the demo passes its training file).
    assert {
        "rapsd_lsd_db",
        "tpsd_lsd_db",
        "w1_gridpoint",
        "w1_gradient",
        "coverage",
        "memorisation_ratio",
    } <= set(field)
    health = json.loads(next((out / "run").rglob("health.json")).read_text())
    assert health["schema"] == "stgan-health/1" and health["final_step"] == 2
    # The recommended preset on the demo's sizes, at the seed asked for.
    config = yaml.safe_load(next((out / "run").rglob("config.yaml")).read_text())
    assert config["seed_everything"] == 3 and config["data"]["batch_size"] == 4
    assert config["model"]["loss"]["name"] == "hinge" and config["model"]["clusters"] == 16
    assert config["model"]["ema"]["decay"] is None  # the demo samples G itself
