"""Bad CF inputs through the CLI: one clear ``stgan: error:`` line, exit status 2, nothing written.

Files with no time axis, two time axes or a calendar that is not CF (:data:`cf_fixtures.BAD_INPUTS`),
and a ``--dims`` mapping that names a missing dimension, each through ``stgan fit`` (a real
process) and ``stgan inspect``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cf_fixtures import BAD_INPUTS
from cf_grids import write_station
from cf_runs import _error_line, fit_args, stgan, stgan_here


def _bad_input(case: str, tmp_path: Path) -> tuple[Path, dict[str, str], list[str]]:
    """The file of ``case``, the dims mapping to pass (if any), and what the message must name."""
    if case == "missing_dim":
        return write_station(tmp_path / "station.nc"), {"time": "nope"}, ["nope", "timestep"]
    path = BAD_INPUTS[case](tmp_path / f"{case}.nc")
    expected = {
        "no_time_axis": ["time", "member", "dims"],  # what is missing, what is there, the fix
        "two_time_axes": ["start_time", "'time'", "dims"],
        "bad_calendar": ["lunar", "calendar"],
    }
    return path, {}, expected[case]


BAD_CASES = [*BAD_INPUTS, "missing_dim"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_fit_fails_clearly_and_writes_nothing(tmp_path, case):
    path, dims, names = _bad_input(case, tmp_path)
    extra = (
        ["--data.dims", "{" + ", ".join(f"{k}: {v}" for k, v in dims.items()) + "}"] if dims else []
    )
    run = stgan(*fit_args(path, tmp_path / "run", *extra))
    assert run.returncode == 2, run.stderr[-2500:]
    msg = _error_line(run)
    for name in names:
        assert name in msg, f"{name!r} not in: {msg}"
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert written == [], f"files left behind: {written}"


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_inspect_fails_clearly(tmp_path, case):
    path, dims, names = _bad_input(case, tmp_path)
    extra = ["--dims", "{" + ", ".join(f"{k}: {v}" for k, v in dims.items()) + "}"] if dims else []
    run = stgan_here("inspect", str(path), *extra)
    assert run.returncode == 2, run.stderr[-2500:]
    msg = _error_line(run)
    for name in names:
        assert name in msg, f"{name!r} not in: {msg}"
    assert run.stdout == ""
