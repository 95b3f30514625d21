"""Every command's --help shows its own usage, options with defaults, and examples."""

from __future__ import annotations

import pytest

from stgan.cli import main


@pytest.mark.parametrize(
    "command",
    [
        ["generate"],
        ["evaluate"],
        ["survey"],
        ["inspect"],
        ["report"],
        ["demo"],
        ["make-data"],
        ["make-data", "grf"],
        ["make-data", "waves"],
    ],
)
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: stgan {' '.join(command)} ")
    assert "usage: usage:" not in out
    if command != ["make-data"]:
        assert "(default:" in out
    if len(command) == 1:
        assert f"examples:\n  stgan {command[0]}" in out
