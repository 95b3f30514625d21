"""Commands import what they need only: generate, evaluate, make-data and report run without
Lightning or the training package (importing Lightning alone takes seconds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FORMAT1 = Path(__file__).parent / "data" / "format1.ckpt"

# Runs one command in a fresh interpreter, then lists the heavy modules it imported.
SCRIPT = """
import json, sys
from stgan.cli import main
status = main(sys.argv[1:])
heavy = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("pytorch_lightning", "lightning_fabric", "lightning")
    or m.startswith("stgan.training")
)
print(json.dumps({"status": status, "heavy": heavy}))
"""

# A CSV log as Lightning's CSVLogger writes it, for `stgan report`.
METRICS_CSV = """\
d_accuracy,epoch,loss_d,loss_g,step
0.5,0,1.25,0.75,0
0.625,0,1.0,0.875,1
0.75,0,0.5,1.5,2
"""


def _command(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_make_data_generate_evaluate_and_report_do_not_import_lightning(tmp_path):
    data, generated = tmp_path / "grf.nc", tmp_path / "gen.nc"
    made = _command(
        "make-data", "grf", "--output", str(data), "--time", "32", "--height", "16", "--width", "16"
    )
    assert made == {"status": 0, "heavy": []} and data.is_file()
    # An earlier-format checkpoint (4 × 16 × 16 windows of one variable, `field`).
    gen = _command(
        "generate", "--checkpoint", str(FORMAT1), "--num-samples", "4", "--output", str(generated)
    )
    assert gen == {"status": 0, "heavy": []} and generated.is_file()
    ev = _command(
        "evaluate",
        "--real",
        str(data),
        "--generated",
        str(generated),
        "--output-dir",
        str(tmp_path / "ev"),
        "--metrics",
        "spectrum",
        "acf",
    )
    assert ev == {"status": 0, "heavy": []}
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["variables"]["field"]["rapsd_lsd_db"] > 0
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.csv").write_text(METRICS_CSV)
    rep = _command("report", str(tmp_path / "run"))
    assert (
        rep == {"status": 0, "heavy": []} and (tmp_path / "run" / "report" / "report.md").is_file()
    )
