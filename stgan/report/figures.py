"""Matplotlib figures for the evaluation report (PNG, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: figures go to files only
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from stgan.io.atomic import atomic_path  # noqa: E402


def plot_rapsd(
    freq: np.ndarray, real: np.ndarray, generated: np.ndarray, *, title: str, path: Path
) -> Path:
    """Log-log RAPSD of real vs generated fields (bins k ≥ 1; k = 0 is the domain mean)."""
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.loglog(freq[1:], real[1:], "k-", lw=2, label="real (held-out)")
    ax.loglog(freq[1:], generated[1:], "C1--", lw=2, label="generated")
    ax.set_xlabel("wavenumber (cycles per grid cell)")
    ax.set_ylabel("power")
    ax.set_title(title)
    ax.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks overlap on short axes
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
