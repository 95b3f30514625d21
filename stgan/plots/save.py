"""Saving a picture: a figure written atomically, in a format named by the file's extension."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from stgan.errors import StganError
from stgan.io.atomic import atomic_path

FORMATS = (".png", ".pdf", ".svg")


def check_figure_path(path: str | os.PathLike) -> str:
    """The image format of ``path`` by its extension (``png``, ``pdf`` or ``svg``).

    Raises
    ------
    StganError
        Any other extension.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise StganError(
            f"cannot write a figure to {str(path)!r}: give a path ending {', '.join(FORMATS)}"
        )
    return suffix[1:]


def save_figure(fig: Any, path: str | os.PathLike) -> Path:
    """Write a matplotlib figure to ``path``: the whole file or none, never half.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (for example from :func:`stgan.plots.maps`).
    path : str or PathLike
        ``.png``, ``.pdf`` or ``.svg``.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "empty.png"
    >>> save_figure(Figure(figsize=(1, 1)), out).stat().st_size > 0
    True
    """
    kind = check_figure_path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=kind)
    return Path(path)
