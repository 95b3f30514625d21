"""Matplotlib figures for the evaluation report (PNG, headless).

Every plot takes ``label``, the legend name of the real windows ("real (reference)" or
"real (held-out)"), so a figure says what the samples were compared with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: figures go to files only
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from stgan.io.atomic import atomic_path  # noqa: E402


def plot_rapsd(
    freq: np.ndarray,
    real: np.ndarray,
    generated: np.ndarray,
    *,
    title: str,
    path: Path,
    label: str = "real",
) -> Path:
    """Log-log RAPSD of real vs generated fields (bins k ≥ 1; k = 0 is the domain mean)."""
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.loglog(freq[1:], real[1:], "k-", lw=2, label=label)
    ax.loglog(freq[1:], generated[1:], "C1--", lw=2, label="generated")
    ax.set_xlabel("wavenumber (cycles per grid cell)")
    ax.set_ylabel("power")
    ax.set_title(title)
    ax.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks overlap on short axes
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_tpsd(
    freq: np.ndarray,
    real: np.ndarray,
    generated: np.ndarray,
    *,
    title: str,
    path: Path,
    label: str = "real",
) -> Path:
    """Log-log Welch temporal PSD (averaged over grid points) of real vs generated series."""
    keep = freq > 0  # frequency 0 is removed with each segment's mean
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.loglog(freq[keep], real[keep], "k-o", lw=2, label=label)
    ax.loglog(freq[keep], generated[keep], "C1--s", lw=2, label="generated")
    ax.set_xlabel("frequency (cycles per time step)")
    ax.set_ylabel("power spectral density")
    ax.set_title(title)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path


def plot_acf(
    real: np.ndarray, generated: np.ndarray, *, title: str, path: Path, label: str = "real"
) -> Path:
    """Temporal ACF against lag, real vs generated."""
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    lags = np.arange(len(real))
    ax.plot(lags, real, "k-o", lw=2, label=label)
    ax.plot(lags, generated, "C1--s", lw=2, label="generated")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("lag (time steps)")
    ax.set_ylabel("autocorrelation")
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)


def plot_histogram(
    real: np.ndarray,
    generated: np.ndarray,
    *,
    units: str,
    title: str,
    path: Path,
    label: str = "real",
) -> Path:
    """Value histograms (log density, so the tails show) with the 1 % and 99.9 % quantiles."""
    r, g = real[np.isfinite(real)], generated[np.isfinite(generated)]
    bins = np.linspace(min(r.min(), g.min()), max(r.max(), g.max()), 80)
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.hist(r, bins=bins, density=True, histtype="step", color="k", lw=2, label=label)
    ax.hist(
        g, bins=bins, density=True, histtype="step", color="C1", lw=2, ls="--", label="generated"
    )
    for q, style in ((0.01, ":"), (0.999, "-.")):
        ax.axvline(np.quantile(r, q), color="k", ls=style, lw=1)
        ax.axvline(np.quantile(g, q), color="C1", ls=style, lw=1)
    ax.set_yscale("log")
    ax.set_xlabel(f"value ({units}); dotted 1 %, dash-dot 99.9 % quantiles")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)


def plot_frames(
    real: np.ndarray,
    generated: np.ndarray,
    *,
    units: str,
    title: str,
    path: Path,
    n: int = 4,
    label: str = "real",
) -> Path:
    """First frame of ``n`` real and ``n`` generated windows, one shared colour scale."""
    n = min(n, len(real), len(generated))
    both = np.concatenate([real[:n, 0].ravel(), generated[:n, 0].ravel()])
    vmin, vmax = np.nanpercentile(both, [1, 99])
    fig, axes = plt.subplots(2, n, figsize=(2.2 * n, 4.6), dpi=100, squeeze=False)
    for row, (name, data) in enumerate(((label, real), ("generated", generated))):
        for i in range(n):
            im = axes[row, i].imshow(
                data[i, 0], origin="lower", vmin=vmin, vmax=vmax, cmap="viridis"
            )
            axes[row, i].set_xticks([])
            axes[row, i].set_yticks([])
        axes[row, 0].set_ylabel(name)
    fig.colorbar(im, ax=axes, shrink=0.8, label=units)
    fig.suptitle(title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path


def plot_timeseries(
    real: np.ndarray,
    generated: np.ndarray,
    *,
    units: str,
    title: str,
    path: Path,
    n: int = 3,
    label: str = "real",
) -> Path:
    """Time series at the window centre for ``n`` real and ``n`` generated windows."""
    _, t, h, w = real.shape
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    for i in range(min(n, len(real))):
        ax.plot(real[i, :, h // 2, w // 2], "k-", alpha=0.8, label=label if i == 0 else None)
    for i in range(min(n, len(generated))):
        ax.plot(
            generated[i, :, h // 2, w // 2],
            "C1--",
            alpha=0.8,
            label="generated" if i == 0 else None,
        )
    ax.set_xlabel("time step")
    ax.set_ylabel(units)
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)


def variable_figures(
    name: str, m: dict[str, Any], real: np.ndarray, gen: np.ndarray, out: Path, *, label: str
) -> list[Path]:
    """The report's PNGs for one variable: those of the metrics computed, then the data's.

    ``m`` is the variable's entry of metrics.json (its curves are redrawn from it); ``real``
    and ``gen`` are the (N, T, H, W) windows compared; ``label`` names the real windows.
    """
    units, figs = m["units"], []
    if "rapsd_real" in m:
        figs.append(
            plot_rapsd(
                np.asarray(m["rapsd_freq"]),
                np.asarray(m["rapsd_real"]),
                np.asarray(m["rapsd_generated"]),
                title=f"{name}: RAPSD",
                path=out / f"rapsd_{name}.png",
                label=label,
            )
        )
    if "acf_real" in m:
        figs.append(
            plot_acf(
                np.asarray(m["acf_real"]),
                np.asarray(m["acf_generated"]),
                title=f"{name}: temporal ACF",
                path=out / f"acf_{name}.png",
                label=label,
            )
        )
    if "tpsd_real" in m:
        figs.append(
            plot_tpsd(
                np.asarray(m["tpsd_freq"]),
                np.asarray(m["tpsd_real"]),
                np.asarray(m["tpsd_generated"]),
                title=f"{name}: temporal PSD (Welch)",
                path=out / f"tpsd_{name}.png",
                label=label,
            )
        )
    data = {"units": units, "label": label}
    return [
        *figs,
        plot_histogram(real, gen, title=f"{name}: values", path=out / f"hist_{name}.png", **data),
        plot_frames(
            real, gen, title=f"{name}: first frames", path=out / f"frames_{name}.png", **data
        ),
        plot_timeseries(
            real,
            gen,
            title=f"{name}: time series at the centre",
            path=out / f"series_{name}.png",
            **data,
        ),
    ]
