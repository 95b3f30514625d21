"""Moved to :mod:`stgan.stabilization.penalties` (one file per penalty).

The old names stay importable for one merge, for code written against them in parallel; use
``PENALTIES`` and ``Penalty`` from :mod:`stgan.stabilization.penalties`.
"""

from stgan.stabilization.penalties import PENALTIES as REGULARIZERS
from stgan.stabilization.penalties import Penalty as Regularizer

__all__ = ["REGULARIZERS", "Regularizer"]
