"""A measurement in a fresh process: its peak RSS is its own, not the parent's."""

from __future__ import annotations

import json
import subprocess
import sys


def run_child(script: str, *args: str) -> dict:
    """Run ``python script args...``; the JSON object on its last line of output."""
    proc = subprocess.run(
        [sys.executable, script, *args], check=False, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"the child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
