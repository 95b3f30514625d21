"""The conditions a user asks of samples (``--month``, ``--year``), checked against the model."""

from __future__ import annotations

import numpy as np

from stgan.conditioning.conditions import Conditions
from stgan.conditioning.place import override, time_table
from stgan.data.time_features import TimeFeatures
from stgan.errors import StganError

# Which condition kinds each request sets.
TAKES = {"month": ("calendar", "climatology"), "year": ("year",)}


def sampling_table(
    conditions: Conditions | None,
    time: TimeFeatures | None,
    length: int,
    *,
    month: int | None = None,
    year: float | None = None,
) -> np.ndarray:
    """The (T, 4) steps samples are conditioned on: the written dates', with ``month`` and
    ``year`` fixed when given (:func:`stgan.conditioning.place.override`).

    Raises
    ------
    StganError
        ``month`` outside 1..12, or a request the model has no condition for (an
        unconditional checkpoint, or one trained without ``calendar``/``year``).
    """
    names = conditions.names if conditions is not None else []
    for option, value in (("month", month), ("year", year)):
        if value is not None and not any(n in names for n in TAKES[option]):
            trained = ", ".join(names) if names else "none: an unconditional model"
            raise StganError(
                f"--{option} needs a model conditioned on {' or '.join(TAKES[option])}, and "
                f"this one was trained with conditions: {trained}; drop --{option}, or train "
                f"with --data.conditions '[{TAKES[option][0]}]'"
            )
    return override(time_table(time, length), month=month, year=year)
