"""An animation of a real and a generated window side by side, on one colour scale.

GIFs are written with Pillow (no external program), to a file (:func:`animate`) or as bytes
(:func:`gif_bytes`, which the evaluation report inlines); MP4 through matplotlib's ffmpeg
writer when the ``ffmpeg`` program is on the PATH.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from stgan.errors import StganError
from stgan.io.atomic import atomic_path
from stgan.plots.fields import (
    Data,
    colour_map,
    label_of,
    mask_legend,
    shared_limits,
    time_labels,
    window_pair,
)

FORMATS = (".gif", ".mp4")


def check_movie_path(path: str | os.PathLike) -> str:
    """The format of an animation file by its extension (``.gif`` or ``.mp4``).

    Raises
    ------
    StganError
        Another extension, or ``.mp4`` where the ``ffmpeg`` program cannot be found.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise StganError(
            f"cannot write an animation to {str(path)!r}: give a path ending {' or '.join(FORMATS)}"
        )
    if suffix == ".mp4":
        from matplotlib.animation import writers

        if not writers.is_available("ffmpeg"):
            raise StganError(
                f"writing {str(path)!r}: MP4 needs the ffmpeg program, which is not on the PATH; "
                "install it (apt-get install ffmpeg, or conda install ffmpeg) or write a .gif"
            )
    return suffix


def animate(
    real: Data,
    generated: Data,
    path: str | os.PathLike,
    *,
    variable: str | None = None,
    sample: int = 0,
    start: int = 0,
    fps: float = 4,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    dims: Mapping[str, str] | None = None,
    dpi: int = 80,
) -> Path:
    """Write an animation of a real and a generated window side by side.

    Both panels share one colour scale (and one colour bar); masked (NaN) cells are drawn
    grey, with a legend entry. Each frame is titled with its date.

    Parameters
    ----------
    real, generated : xr.DataArray, xr.Dataset or path
        Real and generated data on (time, y, x), generated with a ``sample`` dimension as
        ``stgan generate`` writes it (see :func:`stgan.plots.fields.window_pair`).
    path : str or PathLike
        Output file: ``.gif`` (Pillow) or ``.mp4`` (needs ``ffmpeg``). Written atomically.
    variable : str, optional
        The field to draw, when the datasets hold several.
    sample : int
        Which generated sample (and real sample, when the real data has samples).
    start : int
        First step of the real window in a real record.
    fps : float
        Frames per second.
    vmin, vmax : float, optional
        Colour scale limits (default: the finite range of both windows).
    cmap : str
        Matplotlib colormap name.
    dims : mapping, optional
        Explicit ``{role: dimension}`` (e.g. ``{"time": "T"}``); always wins.
    dpi : int
        Resolution; the frame is 6 × 3 inches.

    Returns
    -------
    Path
        ``path``; the animation has one frame per time step of the (shorter) window.

    Raises
    ------
    StganError
        A bad extension, MP4 without ffmpeg, an unknown variable, an out-of-range sample.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from stgan.data.synthetic import make_grf
    >>> from stgan.plots import animate
    >>> real = make_grf(time=6, height=8, width=8, seed=0)
    >>> fake = make_grf(time=6, height=8, width=8, seed=1)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "anim.gif"
    >>> animate(real, fake, out).name
    'anim.gif'
    """
    suffix = check_movie_path(path)
    if not fps > 0:
        raise StganError(f"fps must be positive, got {fps}")
    fig, draw, frames = _movie(
        real,
        generated,
        variable=variable,
        sample=sample,
        start=start,
        vmin=vmin,
        vmax=vmax,
        cmap=cmap,
        dims=dims,
        dpi=dpi,
    )
    with atomic_path(path) as tmp:
        if suffix == ".gif":
            _write_gif(fig, draw, frames, tmp, fps)
        else:
            _write_mp4(fig, draw, frames, tmp, fps)
    return Path(path)


def gif_bytes(
    real: Data,
    generated: Data,
    *,
    variable: str | None = None,
    sample: int = 0,
    start: int = 0,
    fps: float = 4,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    dims: Mapping[str, str] | None = None,
    dpi: int = 80,
) -> bytes:
    """The GIF :func:`animate` would write, as bytes (for a page that inlines it).

    The parameters are :func:`animate`'s, without ``path``.

    Examples
    --------
    >>> from stgan.data.synthetic import make_grf
    >>> from stgan.plots.animation import gif_bytes
    >>> real = make_grf(time=6, height=8, width=8, seed=0)
    >>> fake = make_grf(time=6, height=8, width=8, seed=1)
    >>> gif_bytes(real, fake, dpi=40)[:6]
    b'GIF89a'
    """
    if not fps > 0:
        raise StganError(f"fps must be positive, got {fps}")
    fig, draw, frames = _movie(
        real,
        generated,
        variable=variable,
        sample=sample,
        start=start,
        vmin=vmin,
        vmax=vmax,
        cmap=cmap,
        dims=dims,
        dpi=dpi,
    )
    buffer = io.BytesIO()
    _write_gif(fig, draw, frames, buffer, fps)
    return buffer.getvalue()


def _movie(
    real: Data,
    generated: Data,
    *,
    variable: str | None,
    sample: int,
    start: int,
    vmin: float | None,
    vmax: float | None,
    cmap: str,
    dims: Mapping[str, str] | None,
    dpi: int,
) -> tuple[Any, Callable[[int], None], int]:
    """The animation's figure, the function that draws step ``i`` on it, and the frame count."""
    obs, gen, roles = window_pair(
        real, generated, variable=variable, sample=sample, start=start, dims=dims
    )
    obs_v = np.asarray(obs.values, dtype=np.float64)  # (T, H, W)
    gen_v = np.asarray(gen.values, dtype=np.float64)
    lo, hi = shared_limits(obs_v, gen_v, vmin=vmin, vmax=vmax)

    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3), dpi=dpi)
    axes = fig.subplots(1, 2)
    colours = colour_map(cmap)
    panels = []
    for ax, values in zip(axes, (obs_v, gen_v)):
        panels.append(
            ax.imshow(values[0], origin="lower", cmap=colours, vmin=lo, vmax=hi, aspect="equal")
        )
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(panels[0], ax=list(axes), shrink=0.8, label=label_of(obs))
    mask_legend(fig, obs_v, gen_v)
    dates = (time_labels(obs, roles["time"]), time_labels(gen, gen.dims[0]))

    def draw(step: int) -> None:
        for ax, image, values, name, when in zip(
            axes, panels, (obs_v, gen_v), ("real", "generated"), dates
        ):
            image.set_data(values[step])
            # Without dates the label is the step number already: say it once.
            stamp = f"step {step}" if when[step] == str(step) else f"{when[step]} (step {step})"
            ax.set_title(f"{name}\n{stamp}", fontsize="small")

    return fig, draw, len(obs_v)


def _write_gif(fig, draw, frames: int, path: Path | BinaryIO, fps: float) -> None:
    """Render each frame with Agg and hand the pictures to Pillow (no external program)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    images = []
    for step in range(frames):
        draw(step)
        canvas.draw()
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB"))
    images[0].save(
        path,
        format="GIF",  # neither a temporary's name nor a buffer has a .gif extension to go by
        save_all=True,
        append_images=images[1:],
        duration=round(1000 / fps),
        loop=0,
    )


def _write_mp4(fig, draw, frames: int, path: Path, fps: float) -> None:
    """Pipe the frames to ffmpeg; ``-f mp4`` because the temporary's name has no extension."""
    from matplotlib.animation import FFMpegWriter

    writer = FFMpegWriter(
        fps=fps, extra_args=["-vcodec", "h264", "-pix_fmt", "yuv420p", "-f", "mp4"]
    )
    with writer.saving(fig, str(path), dpi=fig.dpi):
        for step in range(frames):
            draw(step)
            writer.grab_frame()
