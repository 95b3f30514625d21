"""Matplotlib figures for the evaluation report, as :class:`~matplotlib.figure.Figure` objects.

Plotting and saving are separate: every ``plot_*`` returns a Figure (built without pyplot, so
nothing is registered globally, no backend is switched and a notebook's own plots are left
alone), :func:`variable_figures` gathers one variable's figures in a dict keyed by the name of
their PNG file, :func:`png_bytes` renders one and :func:`save_image` writes it. A new picture
for the report is one more ``plot_*`` function, one more entry in that dict and its caption in
:data:`CAPTIONS`. The pictures of the windows themselves (maps, Hovmöller diagram, animation)
are in :mod:`stgan.report.pictures`.

Every plot takes ``label``, the legend name of the real windows ("real (reference)" or
"real (held-out)"), so a figure says what the samples were compared with.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from stgan.io.atomic import atomic_path


def png_bytes(fig: Figure, *, dpi: float | None = None) -> bytes:
    """``fig`` rendered as PNG, at ``dpi`` (default: the figure's own, 100)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_image(data: bytes, path: Path) -> Path:
    """Write a rendered image (PNG, GIF) to ``path`` atomically (never a half-written one)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return path


def plot_rapsd(
    freq: np.ndarray, real: np.ndarray, generated: np.ndarray, *, title: str, label: str = "real"
) -> Figure:
    """Log-log RAPSD of real vs generated fields (bins k ≥ 1; k = 0 is the domain mean)."""
    fig = Figure(figsize=(5, 4), dpi=100)
    ax = fig.subplots()
    ax.loglog(freq[1:], real[1:], "k-", lw=2, label=label)
    ax.loglog(freq[1:], generated[1:], "C1--", lw=2, label="generated")
    ax.set_xlabel("wavenumber (cycles per grid cell)")
    ax.set_ylabel("power")
    ax.set_title(title)
    ax.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks overlap on short axes
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_tpsd(
    freq: np.ndarray, real: np.ndarray, generated: np.ndarray, *, title: str, label: str = "real"
) -> Figure:
    """Log-log Welch temporal PSD (averaged over grid points) of real vs generated series."""
    keep = freq > 0  # frequency 0 is removed with each segment's mean
    fig = Figure(figsize=(5, 4), dpi=100)
    ax = fig.subplots()
    ax.loglog(freq[keep], real[keep], "k-o", lw=2, label=label)
    ax.loglog(freq[keep], generated[keep], "C1--s", lw=2, label="generated")
    ax.set_xlabel("frequency (cycles per time step)")
    ax.set_ylabel("power spectral density")
    ax.set_title(title)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_acf(real: np.ndarray, generated: np.ndarray, *, title: str, label: str = "real") -> Figure:
    """Temporal ACF against lag, real vs generated."""
    fig = Figure(figsize=(5, 4), dpi=100)
    ax = fig.subplots()
    lags = np.arange(len(real))
    ax.plot(lags, real, "k-o", lw=2, label=label)
    ax.plot(lags, generated, "C1--s", lw=2, label="generated")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("lag (time steps)")
    ax.set_ylabel("autocorrelation")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_histogram(
    real: np.ndarray, generated: np.ndarray, *, units: str, title: str, label: str = "real"
) -> Figure:
    """Value histograms (log density, so the tails show) with the 1 % and 99.9 % quantiles."""
    r, g = real[np.isfinite(real)], generated[np.isfinite(generated)]
    bins = np.linspace(min(r.min(), g.min()), max(r.max(), g.max()), 80)
    fig = Figure(figsize=(5, 4), dpi=100)
    ax = fig.subplots()
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
    fig.tight_layout()
    return fig


def plot_frames(
    real: np.ndarray,
    generated: np.ndarray,
    *,
    units: str,
    title: str,
    n: int = 4,
    label: str = "real",
) -> Figure:
    """First frame of ``n`` real and ``n`` generated windows, one shared colour scale."""
    n = min(n, len(real), len(generated))
    both = np.concatenate([real[:n, 0].ravel(), generated[:n, 0].ravel()])
    vmin, vmax = np.nanpercentile(both, [1, 99])
    fig = Figure(figsize=(2.2 * n, 4.6), dpi=100)
    axes = fig.subplots(2, n, squeeze=False)
    for row, (name, data) in enumerate(((label, real), ("generated", generated))):
        for i in range(n):
            im = axes[row, i].imshow(
                data[i, 0], origin="lower", vmin=vmin, vmax=vmax, cmap="viridis"
            )
            axes[row, i].set_xticks([])
            axes[row, i].set_yticks([])
        axes[row, 0].set_ylabel(name)
    fig.colorbar(im, ax=axes, shrink=0.8, label=units)  # no tight_layout: it fights the colorbar
    fig.suptitle(title)
    return fig


def plot_timeseries(
    real: np.ndarray,
    generated: np.ndarray,
    *,
    units: str,
    title: str,
    n: int = 3,
    label: str = "real",
) -> Figure:
    """Time series at the window centre for ``n`` real and ``n`` generated windows."""
    _, t, h, w = real.shape
    fig = Figure(figsize=(6, 3.5), dpi=100)
    ax = fig.subplots()
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
    fig.tight_layout()
    return fig


def plot_octaves(edges: list[int], lsd: list[float], *, title: str) -> Figure:
    """Bars of the log-spectral distance in each octave of wavenumber bins, largest scale left."""
    fig = Figure(figsize=(5, 3.5), dpi=100)
    ax = fig.subplots()
    labels = [f"{a}–{b - 1}" if b - 1 > a else f"{a}" for a, b in zip(edges, edges[1:])]
    ax.bar(range(len(lsd)), lsd, color="C1")
    ax.set_xticks(range(len(lsd)), labels)
    ax.set_xlabel("wavenumber bins k (octave; large scales left)")
    ax.set_ylabel("log-spectral distance (dB)")
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_seasonal_cycle(
    real: list[float | None],
    generated: list[float | None],
    *,
    units: str,
    title: str,
    label: str = "real",
) -> Figure:
    """Domain-mean monthly means (January … December) of real vs generated; gaps for months
    absent from a set."""
    months = np.arange(1, 13)
    fig = Figure(figsize=(5, 3.5), dpi=100)
    ax = fig.subplots()
    for values, style, name in ((real, "k-o", label), (generated, "C1--s", "generated")):
        ax.plot(months, np.array(values, dtype=np.float64), style, lw=2, label=name)
    ax.set_xticks(months, [m[0] for m in "JFMAMJJASOND"])  # one letter a month
    ax.set_xlabel("calendar month")
    ax.set_ylabel(units)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


# What each of variable_figures' pictures shows, by the kind its PNG stem starts with;
# {real} is "reference" or "held-out", the real windows' kind.
CAPTIONS = {
    "rapsd": "Radially averaged power spectral density of {name} (per frame, averaged over "
    "frames) of the {real} windows (black) and the generated samples (orange): whether the "
    "spatial texture matches, scale by scale.",
    "acf": "Temporal autocorrelation of {name} against lag, averaged over grid points, of the "
    "{real} windows (black) and the generated samples (orange): whether the samples remember "
    "their past as the data do.",
    "octaves": "Log-spectral distance of {name}'s mean RAPSD, generated vs {real}, within each "
    "octave of wavenumber bins k (k / max(H, W) cycles per grid cell): the headline distance "
    "averages linear bins, where the few large-scale bins (left) weigh little.",
    "seasonal": "Seasonal cycle of {name}: the area-weighted domain mean of each calendar "
    "month's mean, in the {real} windows (black) and the generated samples (orange); a gap is "
    "a month absent from a set.",
    "tpsd": "Temporal power spectral density of {name} (Welch, averaged over grid points) of "
    "the {real} windows (black) and the generated samples (orange).",
    "hist": "Distribution of every value of {name} (log density, so the tails show) in the "
    "{real} windows (black) and the generated samples (orange), with their 1 % and 99.9 % "
    "quantiles.",
    "frames": "The first time step of up to four {real} windows (top) and four generated "
    "samples (bottom) of {name}, on one colour scale.",
    "series": "{name} at the window centre through time, in up to three {real} windows "
    "(black) and three generated samples (orange).",
}


def figure_caption(stem: str, name: str, real: str) -> str:
    """The caption of :func:`variable_figures`' figure ``stem`` (``"KIND_NAME"``); ``real`` is
    the kind of the real windows, ``"reference"`` or ``"held-out"``."""
    return CAPTIONS[stem.removesuffix(f"_{name}")].format(name=name, real=real)


def variable_figures(
    name: str, m: dict[str, Any], real: np.ndarray, gen: np.ndarray, *, label: str
) -> dict[str, Figure]:
    """The report's figures for one variable, keyed by PNG file stem (``"rapsd_NAME"``, ...):
    those of the metrics computed, then the data's, in report order.

    ``m`` is the variable's entry of metrics.json (its curves are redrawn from it); ``real``
    and ``gen`` are the (N, T, H, W) windows compared; ``label`` names the real windows.
    """
    figs: dict[str, Figure] = {}
    if "rapsd_real" in m:
        figs[f"rapsd_{name}"] = plot_rapsd(
            np.asarray(m["rapsd_freq"]),
            np.asarray(m["rapsd_real"]),
            np.asarray(m["rapsd_generated"]),
            title=f"{name}: RAPSD",
            label=label,
        )
    if "acf_real" in m:
        figs[f"acf_{name}"] = plot_acf(
            np.asarray(m["acf_real"]),
            np.asarray(m["acf_generated"]),
            title=f"{name}: temporal ACF",
            label=label,
        )
    if "rapsd_lsd_db_octaves" in m:
        figs[f"octaves_{name}"] = plot_octaves(
            m["rapsd_octave_edges"], m["rapsd_lsd_db_octaves"], title=f"{name}: LSD per octave"
        )
    if m.get("seasonal_cycle_error") is not None:  # two shared months at least
        figs[f"seasonal_{name}"] = plot_seasonal_cycle(
            m["seasonal_cycle_real"],
            m["seasonal_cycle_generated"],
            units=m["units"],
            title=f"{name}: seasonal cycle",
            label=label,
        )
    if "tpsd_real" in m:
        figs[f"tpsd_{name}"] = plot_tpsd(
            np.asarray(m["tpsd_freq"]),
            np.asarray(m["tpsd_real"]),
            np.asarray(m["tpsd_generated"]),
            title=f"{name}: temporal PSD (Welch)",
            label=label,
        )
    data = {"units": m["units"], "label": label}
    figs[f"hist_{name}"] = plot_histogram(real, gen, title=f"{name}: values", **data)
    figs[f"frames_{name}"] = plot_frames(real, gen, title=f"{name}: first frames", **data)
    figs[f"series_{name}"] = plot_timeseries(
        real, gen, title=f"{name}: time series at the centre", **data
    )
    return figs
