"""``stgan.evaluate``: generated samples vs real data → an :class:`Evaluation`.

The ``stgan evaluate`` command is ``evaluate(...).save(output_dir)``; the computing lives in
:mod:`stgan.report.evaluate`, the pictures in :mod:`stgan.report.figures` (the metrics') and
:mod:`stgan.report.pictures` (the windows': maps, Hovmöller diagram, animation).
"""

from __future__ import annotations

import copy
import html
import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stgan.io.atomic import write_text
from stgan.report.evaluate import (
    compare_data,
    report_html,
    report_images,
    report_pictures,
    write_report,
)
from stgan.report.figures import png_bytes
from stgan.report.html import img_tag, metrics_table
from stgan.report.markdown import COLUMNS, comparison_text
from stgan.report.metrics_dataset import metrics_dataset

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

    from stgan.report.pictures import VariablePictures
    from stgan.report.sources import DataLike

# Notebook view: figures rendered small (the saved PNGs keep 100 dpi).
_REPR_DPI = 40


class Evaluation:
    """The result of :func:`evaluate`: metrics, figures and the report, in memory.

    Attributes
    ----------
    metrics : xr.Dataset
        One data variable per metric scalar over the ``variable`` dimension, curves over their
        own dimension, ``units`` and ``description`` in each one's attrs
        (:mod:`stgan.report.metrics_dataset`).
    figures : dict of str to matplotlib.figure.Figure
        The report's figures, keyed by the stem of their PNG file (``"rapsd_field"``, ...,
        ``"maps_field"``, ``"hovmoller_field"``).
    animations : dict of str to bytes
        The report's animations as GIF file contents, keyed by stem (``"animation_field"``).
    captions : dict of str to str
        What each figure and animation shows, keyed by stem.
    """

    def __init__(
        self,
        result: dict[str, Any],
        windows: dict[str, tuple[np.ndarray, np.ndarray]],
        grid: dict[str, xr.DataArray] | None = None,
    ) -> None:
        self._result = result
        self._windows = windows  # variable → (real, generated) windows, (N, T, H, W)
        self._grid = grid  # a window's y and x coordinates (None: tiles of a larger grid)
        self._metrics: xr.Dataset | None = None
        self._pictures: dict[str, VariablePictures] | None = None
        self._images: dict[str, dict[str, bytes]] | None = None  # the figures as PNG

    @property
    def metrics(self) -> xr.Dataset:
        """The metrics as an ``xr.Dataset`` (values equal to :meth:`to_dict`'s)."""
        if self._metrics is None:
            self._metrics = metrics_dataset(self._result)
        return self._metrics

    def to_dict(self) -> dict[str, Any]:
        """The metrics.json content (a copy): schema, units, facts and per-variable results."""
        return copy.deepcopy(self._result)

    def _picture_groups(self) -> dict[str, VariablePictures]:
        if self._pictures is None:  # drawn on first use: the metrics alone need no drawing
            self._pictures = report_pictures(self._result, self._windows, self._grid)
        return self._pictures

    def _rendered(self) -> dict[str, dict[str, bytes]]:
        if self._images is None:  # rendered once for to_html and save together
            self._images = report_images(self._picture_groups())
        return self._images

    @property
    def figures(self) -> dict[str, Figure]:
        """The figures by PNG file stem, each variable's in report order."""
        return {k: v for p in self._picture_groups().values() for k, v in p.figures.items()}

    @property
    def animations(self) -> dict[str, bytes]:
        """The animations by file stem, as GIF bytes (in memory, like :attr:`figures`):
        per variable, its first real window beside its first generated sample, one colour
        scale, at most 16 frames. ``Path("a.gif").write_bytes(...)`` saves one;
        ``IPython.display.Image(...)`` shows one in a notebook."""
        return {k: v for p in self._picture_groups().values() for k, v in p.animations.items()}

    @property
    def captions(self) -> dict[str, str]:
        """What each figure and animation shows, by stem (the report's captions)."""
        return {k: v for p in self._picture_groups().values() for k, v in p.captions.items()}

    def to_html(self, path: str | os.PathLike) -> Path:
        """Write the self-contained report.html (figures and animations inlined as data: URIs,
        with captions) to ``path``."""
        return write_text(path, report_html(self._result, self._picture_groups(), self._rendered()))

    def save(self, directory: str | os.PathLike) -> dict[str, Any]:
        """Write metrics.json, report.md, report.html, the PNGs and the GIFs into ``directory``.

        Returns the paths written: ``metrics_path``, ``report_path``, ``html_path``,
        ``figures`` (a list of the PNGs) and ``animations`` (a list of the GIFs,
        ``animation_NAME.gif``). The figures are rendered once, on the first call of this or
        :meth:`to_html`; changes made to them afterwards do not reach the files.
        """
        return write_report(self._result, self._picture_groups(), directory, self._rendered())

    def _summary(self) -> str:
        r = self._result
        t, h, w = r["window"]
        return (
            f"generated ({r['n_generated']} samples) vs {comparison_text(r)} "
            f"({r['n_real_windows']} windows); window {t} × {h} × {w}"
        )

    def __repr__(self) -> str:
        lines = [f"<stgan.Evaluation: {self._summary()}>"]
        for name, m in self._result["variables"].items():
            cells = [f"{key}={m[key]:{fmt}}" for _, key, fmt in COLUMNS if m.get(key) is not None]
            lines.append(
                textwrap.fill(
                    ", ".join(cells),
                    width=88,
                    initial_indent=f"  {name} ({m['units']}): ",
                    subsequent_indent="    ",
                )
            )
        if "cross_channel_correlation_error" in self._result:
            value = self._result["cross_channel_correlation_error"]
            lines.append(f"  cross_channel_correlation_error={value:.4f}")
        lines.append(
            "  every metric: .metrics; pictures: .figures, .animations; "
            "files: .save(dir), .to_html(path)"
        )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        tags = "".join(
            img_tag(stem, png_bytes(fig, dpi=_REPR_DPI), style="max-width:240px;margin:2px")
            for stem, fig in self.figures.items()
        )
        return (
            f"<div><p><b>stgan.Evaluation</b>: {html.escape(self._summary())}</p>"
            f"{metrics_table(self._result)}<div>{tags}</div></div>"
        )


def evaluate(
    real: DataLike,
    generated: DataLike,
    *,
    metrics: list[str] | None = None,
    variables: list[str] | None = None,
    max_lag: int = 10,
    train: DataLike | None = None,
    wavenumbers: str = "index",
    dims: dict[str, str] | None = None,
    test_split_of: str | os.PathLike | None = None,
    max_real_windows: int | None = None,
) -> Evaluation:
    """Compare generated samples with real data by the domain metrics.

    The real data are cut into non-overlapping windows of the generated (T, H, W) and both
    sets are compared in physical units, as ``stgan evaluate`` does (it is this function
    followed by :meth:`Evaluation.save`). The real file is streamed in blocks, never read
    whole, so memory stays bounded for files larger than RAM (``max_real_windows``;
    :mod:`stgan.report.real_windows`).

    Parameters
    ----------
    real : xr.Dataset or path
        Real data (time, y, x): a Dataset, a NetCDF file, a Zarr store or a glob of files.
    generated : xr.Dataset or path
        Samples (sample, time, y, x), as :meth:`stgan.Model.sample` returns and
        ``stgan generate`` writes.
    metrics : list of str, optional
        Metric registry keys (default: all); an unknown key raises :class:`StganError`
        listing the valid ones.
    variables : list of str, optional
        Variables to compare (default: every field of ``generated``).
    max_lag : int
        Largest ACF lag (capped at T − 1).
    train : xr.Dataset or path, optional
        The training data; enables the memorisation test.
    wavenumbers : str
        RAPSD ring convention, ``"index"`` or ``"physical"``.
    dims : dict, optional
        Which dimension is which, ``{time: T, y: LAT, x: LON}``, where CF evidence does not say.
    test_split_of : path, optional
        The model's checkpoint: ``real`` is then its training data and only its test split is
        compared ("held-out"); without it the real data are "reference" data.
    max_real_windows : int, optional
        Most real windows compared per variable; more complete windows than this are
        subsampled evenly through time (the first, the last and the rest at equal steps).
        Default: as many as hold 2**24 values (128 MiB in float64; 2048 windows of
        8 × 32 × 32), which keeps every window of a file up to about 64 MiB of float32 values
        and bounds the evaluation's memory whatever the file's size.

    Returns
    -------
    Evaluation
        ``.metrics`` (xr.Dataset), ``.to_dict()`` (the metrics.json content), ``.figures``
        (matplotlib), ``.animations`` (GIF bytes), ``.captions``, ``.to_html(path)`` and
        ``.save(directory)``.

    Raises
    ------
    StganError
        An unknown metric, a variable missing, generated data without a time or sample
        dimension, or real data too short for one window.

    Examples
    --------
    >>> import xarray as xr
    >>> import stgan
    >>> from stgan.data.synthetic import make_grf
    >>> real = make_grf(time=64, height=8, width=8, seed=0)
    >>> samples = xr.concat([make_grf(time=8, height=8, width=8, seed=s) for s in (1, 2, 3)],
    ...                     dim="sample")
    >>> ev = stgan.evaluate(real, samples, metrics=["spectrum", "acf"])
    >>> ev.metrics["acf_rmse"].sel(variable="field").item() < 0.2
    True
    >>> ev.metrics["acf_real"].dims
    ('variable', 'lag')
    >>> ev.save("evaluation")  # doctest: +SKIP
    """
    return Evaluation(
        *compare_data(
            real,
            generated,
            variables=variables,
            max_lag=max_lag,
            metrics=metrics,
            train=train,
            wavenumbers=wavenumbers,
            dims=dims,
            test_split_of=test_split_of,
            max_real_windows=max_real_windows,
        )
    )
