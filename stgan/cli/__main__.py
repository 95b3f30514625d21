"""``python -m stgan.cli``: the `stgan` command."""

import sys

from stgan.cli import main

sys.exit(main())
