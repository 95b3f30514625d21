"""`stgan survey` (was `stgan inspect`, still an alias): one summary for notebook and CLI."""

from __future__ import annotations

import pytest
from conftest import run_stgan

from stgan.api.survey import survey
from stgan.cli import main


def test_survey_prints_what_the_function_returns(grf_file, capsys):
    text = survey(grf_file, window=(4, 16, 16), batch_size=4)
    assert text.splitlines()[0] == f"files: 1 ({grf_file})"
    # time_splits(64, window 4, 0.15, 0.15): train 0-39; 40 − 4 + 1 window starts.
    assert "  train: steps 0–39 (40), 37 starts, 37 windows" in text
    assert "window (T, H, W): (4, 16, 16)" in text
    proc = run_stgan("survey", str(grf_file), "--window", "4", "16", "16", "--batch-size", "4")
    assert proc.stdout == text + "\n"
    # The earlier name is an alias with the same options and output.
    assert main(["inspect", str(grf_file), "--window", "4", "16", "16", "--batch-size", "4"]) == 0
    assert capsys.readouterr().out == text + "\n"


def test_survey_help_shows_its_own_usage(capsys):
    with pytest.raises(SystemExit) as done:
        main(["survey", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: stgan survey ") and "examples:\n  stgan survey" in out
