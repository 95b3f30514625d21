"""`stgan demo`, the README's main job, end to end in a real process (shortened to 2 steps)."""

from __future__ import annotations

import json

from tests.conftest import run_stgan


def test_demo_runs_the_whole_path(tmp_path):
    out = tmp_path / "demo"
    proc = run_stgan("demo", "--output-dir", str(out), "--max-steps", "2", "--num-samples", "8")
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
