"""The conditional tasks as :class:`stgan.Model` methods (see :mod:`stgan.tasks`)."""

from __future__ import annotations

import os

import pandas as pd
import xarray as xr


class TaskMethods:
    """``downscale``, ``nowcast``, ``fill_gaps`` and ``score`` of a conditioned model."""

    def downscale(
        self, input: str | os.PathLike, *, n: int = 1, seed: int = 0, batch_size: int = 8
    ) -> xr.Dataset:
        """Fine-grid samples of a coarse input: :func:`stgan.tasks.downscale.downscale`.

        Examples
        --------
        >>> fine = stgan.load("downscaling.ckpt").downscale("coarse.nc", n=4)  # doctest: +SKIP
        """
        from stgan.tasks.downscale import downscale

        return downscale(self, input, n=n, seed=seed, batch_size=batch_size)

    def nowcast(
        self,
        input: str | os.PathLike,
        length: int,
        *,
        n: int = 1,
        seed: int = 0,
        batch_size: int = 8,
    ) -> xr.Dataset:
        """``length`` steps continuing an input's last frames: :func:`stgan.tasks.nowcast.nowcast`.

        Examples
        --------
        >>> ens = stgan.load("nowcasting.ckpt").nowcast("past.nc", 24, n=8)  # doctest: +SKIP
        """
        from stgan.tasks.nowcast import nowcast

        return nowcast(self, input, length, n=n, seed=seed, batch_size=batch_size)

    def fill_gaps(
        self, input: str | os.PathLike, *, n: int = 1, seed: int = 0, batch_size: int = 8
    ) -> xr.Dataset:
        """An input with its NaN cells filled: :func:`stgan.tasks.gaps.fill_gaps`.

        Examples
        --------
        >>> filled = stgan.load("gap-filling.ckpt").fill_gaps("gappy.nc")  # doctest: +SKIP
        """
        from stgan.tasks.gaps import fill_gaps

        return fill_gaps(self, input, n=n, seed=seed, batch_size=batch_size)

    def score(
        self,
        task: str,
        output: xr.Dataset,
        input: str | os.PathLike,
        truth: str | os.PathLike,
    ) -> dict[str, pd.DataFrame]:
        """A task's metric table per variable: :func:`stgan.tasks.tables.score`.

        Examples
        --------
        >>> tables = model.score("fill-gaps", filled, "gappy.nc", "truth.nc")  # doctest: +SKIP
        """
        from stgan.tasks.tables import score

        return score(task, self, output, input, truth)
