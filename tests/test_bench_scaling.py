"""The scaling benchmark's exponent fit and tables, and how all.py gathers ratios, on made-up numbers."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

# The repository root, so that `benchmarks` imports as a package (as `python -m benchmarks.all`).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.all import Benchmark, Outcome, arguments, ratio_rows, report  # noqa: E402
from benchmarks.bench_scaling import exponents, fit_exponent, markdown  # noqa: E402


def test_fit_exponent_recovers_a_power_law():
    # cost = 3e-4 · cells^1.5 exactly: the log-log slope is 1.5 to round-off.
    cells = [16**2, 32**2, 64**2, 128**2]
    assert fit_exponent(cells, [3e-4 * c**1.5 for c in cells]) == pytest.approx(1.5, abs=1e-12)


def test_fit_exponent_is_least_squares_on_logs():
    # log cost = (0, 1, 3) at log cells = (0, 1, 2): not on one line, so the slope is the
    # least-squares one, Σ dx·dy / Σ dx² with dx = (-1, 0, 1), dy = (-4/3, -1/3, 5/3):
    # (4/3 + 0 + 5/3) / 2 = 1.5.
    cells = [1.0, math.e, math.e**2]
    costs = [1.0, math.e, math.e**3]
    assert fit_exponent(cells, costs) == pytest.approx(1.5, abs=1e-12)


def test_fit_exponent_needs_two_grids_and_positive_numbers():
    with pytest.raises(ValueError, match="two or more distinct grid sizes"):
        fit_exponent([256, 256], [1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        fit_exponent([256, 1024], [1.0, 0.0])
    with pytest.raises(ValueError, match="2 cells but 1 costs"):
        fit_exponent([256, 1024], [1.0])


def _cells() -> list[dict]:
    """conv3d at window 8: time ∝ cells^1, memory ∝ cells^0.5; ConvGRU at window 16: time ∝
    cells^2 on two grids, the third skipped; ConvGRU at window 32: one grid only."""
    cells = []
    for n in (16, 32, 64):
        c = n * n
        cells.append(
            {
                "model": "conv3d",
                "grid": n,
                "window": 8,
                "step_s": 1e-3 * c,
                "step_mib": 0.5 * c**0.5,
            }
        )
    for n in (16, 32):
        c = n * n
        cells.append(
            {"model": "convgru", "grid": n, "window": 16, "step_s": 1e-6 * c**2, "step_mib": 4.0}
        )
    cells.append({"model": "convgru", "grid": 64, "window": 16, "skipped": "too big"})
    cells.append({"model": "convgru", "grid": 16, "window": 32, "step_s": 0.2, "step_mib": 9.0})
    for cell in cells:
        if "skipped" not in cell:
            cell["peak_mib"] = 400.0 + cell["step_mib"]  # the interpreter's share is constant
    return cells


def test_exponents_per_model_and_window():
    fits = {(f["model"], f["window"]): f for f in exponents(_cells())}
    assert set(fits) == {("conv3d", 8), ("convgru", 16), ("convgru", 32)}
    assert fits["conv3d", 8]["time_exponent"] == pytest.approx(1.0, abs=1e-12)
    assert fits["conv3d", 8]["memory_exponent"] == pytest.approx(0.5, abs=1e-12)
    assert fits["convgru", 16]["grids"] == [16, 32]  # the skipped 64² is left out
    assert fits["convgru", 16]["time_exponent"] == pytest.approx(2.0, abs=1e-12)
    assert fits["convgru", 16]["memory_exponent"] == pytest.approx(0.0, abs=1e-12)
    assert fits["convgru", 32]["time_exponent"] is None  # one grid: nothing to fit


def test_markdown_lists_cells_skips_and_exponents():
    cells = _cells()
    settings = {"batch": 4, "steps": 5, "warmup": 2, "max_mib": 1e4, "max_cell_s": 300.0}
    text = markdown({"settings": settings, "cells": cells, "exponents": exponents(cells)})
    assert "| convgru | 64² | 16 | skipped: too big | | |" in text
    assert "| conv3d | 16² | 8 | 0.256 | 408 | 8 |" in text  # 1e-3 s × 256 cells; 0.5 × 16 MiB
    assert "| conv3d | 8 | 16², 32², 64² | 1.00 | 0.50 |" in text
    assert "| convgru | 32 | 16² | — | — |" in text


def test_all_passes_json_only_where_offered_and_tabulates_rows(tmp_path):
    bench = Benchmark("x", "bench_x.py", ("--steps", "1"))
    out = tmp_path / "x.json"
    assert arguments(bench, 'add_argument("--json")', False, out) == [
        "--steps",
        "1",
        "--json",
        str(out),
    ]
    assert arguments(bench, 'add_argument("--quick")', False, out) == ["--quick"]
    assert arguments(bench, "", True, out) == []
    row = {"what": "a ÷ b", "measured": 3.0, "reference": 2.0, "unit": "it/s", "ratio": 1.5}
    table = ratio_rows(
        [
            Outcome(bench, 0, "", 1.0, {"rows": [row]}),
            Outcome(bench, 0, "plain text\n", 1.0, None),
            Outcome(bench, 2, "stgan: error: broken\n", 1.0, None),
            Outcome(bench, None, "", 1.0, None),
            Outcome(bench, 0, "", 1.0, {"rows": [{"metric": "rapsd", "stgan": 0.1}]}),
        ]
    )
    assert table == [
        ("bench_x.py", "a ÷ b", "3 it/s", "2 it/s", "1.5"),
        ("bench_x.py", "no --json rows: see its output", "", "", ""),
        ("bench_x.py", "failed (exit 2): stgan: error: broken", "", "", ""),
        ("bench_x.py", "timed out: no figures", "", "", ""),
        (
            "bench_x.py",
            "a row without what, measured, reference, unit, ratio: "
            "{'metric': 'rapsd', 'stgan': 0.1}",
            "",
            "",
            "",
        ),
    ]


def test_report_escapes_bars_and_says_when_the_machine_was_busy():
    row = {"what": "MFU a × b | fp32", "measured": 50.0, "reference": 100.0}
    row |= {"unit": "GFLOP/s", "ratio": 0.5}
    outcome = Outcome(Benchmark("x", "bench_x.py", ()), 0, "its own table\n", 12.0, {"rows": [row]})
    header = {"command": "python -m benchmarks.all --quick", "machine": "m", "commit": "c"}
    header |= {"date": "d", "load_start": "1/1/1", "load_end": "1/1/1"}
    load = 1000.0  # above any machine's core count
    text = report([outcome], header | {"load_start_1min": load, "load_end_1min": 0.0}, details=True)
    assert "| bench_x.py | MFU a × b \\| fp32 | 50 GFLOP/s | 100 GFLOP/s | 0.5 |" in text
    assert "The machine was busy" in text
    assert "Wall time: bench_x.py 12 s." in text
    assert "```\nits own table\n```" in text
    quiet = report(
        [outcome], header | {"load_start_1min": 0.0, "load_end_1min": 0.0}, details=False
    )
    assert "busy" not in quiet and "its own table" not in quiet


def test_training_rows_take_ratios_against_the_plain_fp32_loop():
    from benchmarks.bench_training_rows import json_rows

    pair = "conv3d × conv3d (default)"
    mfu = [
        (f"{pair} | stgan fit, fp32 (plain × 0.9 from (a))", 10**9, 1.8),
        (f"{pair} | fp32", 10**9, 2.0),
        (f"{pair} | bf16 autocast", 10**9, 5.0),
    ]
    rows = json_rows([(0.9, 1.0), (1.1, 1.0)], (2.0, 1.0), mfu, peak=10e9, default=pair)
    by_what = {r["what"]: r for r in rows}
    assert by_what["stgan fit ÷ plain loop, fp32, run 1"]["measured"] == 16 * 0.9  # samples/s
    # bf16 fit at 2× its plain loop, fp32 fit at the median 1× of its runs: 2× in all.
    bf16 = by_what["stgan fit bf16-mixed ÷ fp32 (each ÷ the plain fp32 loop beside it)"]
    assert bf16["ratio"] == pytest.approx(2.0)
    assert by_what["plain loop, default pair: bf16 autocast ÷ fp32"]["ratio"] == 2.5
    assert by_what[f"MFU {pair} | bf16 autocast"]["ratio"] == pytest.approx(0.5)  # 5 GFLOP/s of 10
    assert len(rows) == 2 + 1 + 1 + 3  # runs, bf16, one variant, every MFU row
    # Without native bf16 the bf16 runs are skipped: no bf16 rows, the others unchanged.
    fp32_only = json_rows([(0.9, 1.0), (1.1, 1.0)], None, mfu[:2], peak=10e9, default=pair)
    assert not any("bf16" in r["what"] for r in fp32_only)
    assert len(fp32_only) == 2 + 2  # runs, every MFU row
