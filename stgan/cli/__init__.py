"""The `stgan` command: fit | generate | evaluate | make-data | survey | report | plot | demo |
downscale | nowcast | fill-gaps.

``fit`` is Lightning's own CLI (YAML configs, dotted overrides, ``--print_config``); the
others are small argparse commands (:mod:`stgan.cli.parser`), each a thin wrapper over a public
function (:mod:`stgan.cli.commands`). A user error prints one line, ``stgan: error: ...``, and
exits with status 2.
"""

from __future__ import annotations

import sys

from stgan.cli.commands import run
from stgan.cli.parser import USAGE
from stgan.errors import StganError


def main(argv: list[str] | None = None) -> int:
    """Run the `stgan` command with ``argv`` (default: this process's arguments).

    Returns the exit status: 0 done, 2 a user error (printed as ``stgan: error: ...``), 130
    interrupted.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 2
    try:
        result = run(argv)
    except StganError as err:
        print(f"stgan: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stgan: interrupted", file=sys.stderr)
        return 130
    if argv[0] in ("generate", "make-data", "plot"):
        print(f"wrote {result}")
    elif argv[0] in ("survey", "inspect"):
        print(result)
    elif argv[0] == "report":
        print(f"wrote {result['report_path']} and {len(result['figures'])} figure(s)")
    elif argv[0] in ("downscale", "nowcast", "fill-gaps"):
        print(f"wrote {result['output']}")
        if result["tables"]:
            print(result["tables"])
    elif argv[0] == "evaluate":
        print(f"wrote {result['metrics_path']}, {result['report_path']} and {result['html_path']}")
    return 0
