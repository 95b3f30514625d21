"""The real-field benchmark's table logic on made-up metrics: figures, median, worst, targets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from real_fields_table import dataset_table, run_figures, summarise, verdict  # noqa: E402


def _metrics(lsd: float, mean_err: float, acf: float, octaves: list[float] | None) -> dict:
    """An evaluation's dict with two variables; ``v`` is always the better one."""
    u = {"rapsd_lsd_db": lsd, "mean_map_error": mean_err, "std_map_error": 0.1}
    u |= {"acf_rmse": acf, "q01": -0.5, "q99": 0.25, "q99.9": 2.0}
    v = {"rapsd_lsd_db": lsd / 2, "mean_map_error": 0.0, "std_map_error": 0.0, "acf_rmse": 0.0}
    if octaves is not None:
        # The octaves metric: its worst octave, its curve and the edges (bin indices, no dB).
        u["rapsd_lsd_db_worst_octave"] = max(octaves)
        u["rapsd_lsd_db_octaves"] = octaves
        u["rapsd_octave_edges"] = [1, 2, 4, 8]
        v["rapsd_lsd_db_worst_octave"] = 0.0
    return {"variables": {"u": u, "v": v}, "cross_channel_correlation_error": 0.3}


def test_run_figures_take_the_worst_variable_and_octave():
    f = run_figures(_metrics(1.0, 0.15, 0.02, octaves=[0.4, 2.5, 1.0]))
    assert f["rapsd_lsd_db"] == 1.0 and f["mean_map_error"] == 0.15
    assert f["lsd_octave_db"] == 2.5  # the worst octave, not the mean
    assert f["quantile_error_q01"] == 0.5  # absolute
    assert f["cross_channel_correlation_error"] == 0.3
    assert f["seasonal_cycle_error"] is None  # not reported: printed as "—"


def test_median_worst_and_targets():
    runs = [
        run_figures(_metrics(lsd, err, acf, octaves=None))
        for lsd, err, acf in [(1.0, 0.1, 0.01), (3.0, 0.5, 0.04), (2.0, 0.3, 0.2)]
    ]
    s = summarise(runs)
    assert s["rapsd_lsd_db"] == (2.0, 3.0)
    assert s["mean_map_error"] == (0.3, 0.5)
    assert s["lsd_octave_db"] is None
    assert verdict(s["acf_rmse"], 0.05) == "met"  # median 0.04 though one seed is 0.2
    assert verdict(s["mean_map_error"], 0.2) == "not met (+0.1)"
    assert verdict(s["lsd_octave_db"], 1.5) == "—"

    text = dataset_table(
        "hadisst",
        {
            "recommended": [{"figures": r, "steps": n} for r, n in zip(runs, [90, 80, 100])],
            "conditional": [{"skipped": "missing preset, skipped"}],
        },
    )
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines()}
    assert rows["mean-map error (local std)"].endswith("| 0.3 (0.5) | not met (+0.1) |")
    assert rows["ACF RMSE"].endswith("| 0.04 (0.2) | met |")
    assert "| — | — |" in rows["per-octave LSD, worst octave (dB)"]
    assert "90 (80)" in rows["generator updates, median (fewest)"]
    assert "conditional: missing preset, skipped" in text
    assert "conditional |" not in text  # no column for a skipped preset


@pytest.mark.parametrize("value", [float("nan"), None, True])
def test_non_numbers_are_not_figures(value):
    assert run_figures({"variables": {"u": {"acf_rmse": value}}})["acf_rmse"] is None
