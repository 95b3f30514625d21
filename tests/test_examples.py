"""The README's real-style walk-through file: what inspect says of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stgan.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "global_monthly.py"


def test_global_monthly_example_is_inspected_as_the_readme_shows(tmp_path, capsys):
    path = tmp_path / "tas_monthly.nc"
    subprocess.run(
        [sys.executable, str(EXAMPLE), str(path)], check=True
    )  # 20 years, as in the README
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "skipped time_bnds: cell bounds of 'time'" in out
    assert (
        "step monthly (1 month, stamped mid-period), calendar noleap, units days since 1850-01-01"
        in out
    )
    assert "window (T, H, W): (8, 64, 64) (a patch)" in out
    assert "set --data.window_height 73 --data.window_width 144 for whole-grid windows" in out
    assert "x periodic (global longitude, windows wrap around): yes" in out
    assert (
        "trend over the training split 0.98 σ, seasonal cycle (range of monthly means) 2.34 σ"
        in out
    )
    assert "warning: tas is not stationary" in out and "[detrend, anomaly]" in out
