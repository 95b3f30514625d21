"""Property-based: random small NetCDF files and random config values either work or fail
with stgan's own clear error (exit status 2, one ``stgan: error:`` line); never a traceback.

Every example goes through :func:`stgan.cli.main`, the function the ``stgan`` command runs,
in this process (a subprocess per example would be far too slow).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import TINY_FIT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stgan.cli import main
from stgan.data.datamodule import SpaceTimeDataModule
from stgan.errors import StganError

DIM_NAMES = ["time", "t", "lat", "y", "lon", "x", "level", "member", "step"]
FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def datasets(draw) -> xr.Dataset:
    """A small dataset with random dims, sizes, dtypes, gaps and time axis (or none)."""
    dims = draw(st.lists(st.sampled_from(DIM_NAMES), min_size=1, max_size=4, unique=True))
    sizes = [draw(st.integers(1, 24 if d in ("time", "t") else 6)) for d in dims]
    kind = draw(st.sampled_from(["normal", "constant", "nan", "some_nan", "int16", "bool", "inf"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = rng.normal(size=sizes)
    if kind == "constant":
        values = np.full(sizes, 3.0)
    elif kind == "nan":
        values = np.full(sizes, np.nan)
    elif kind == "some_nan":
        values[rng.random(sizes) < 0.3] = np.nan
    elif kind == "int16":
        values = (values * 100).astype(np.int16)
    elif kind == "bool":
        values = values > 0
    elif kind == "inf":
        values[rng.random(sizes) < 0.1] = np.inf
    coords = {}
    for d, n in zip(dims, sizes):
        style = draw(st.sampled_from(["index", "reversed", "repeated", "dates", "none"]))
        if style == "none":
            continue
        c = {
            "index": np.arange(n, dtype=float),
            "reversed": np.arange(n, 0, -1, dtype=float),
            "repeated": np.zeros(n),
            "dates": np.datetime64("2000-01-01") + np.arange(n),
        }[style]
        coords[d] = c
    var = draw(st.sampled_from(["v", "temperature", "precip"]))
    ds = xr.Dataset({var: (dims, values)}, coords=coords)
    if draw(st.booleans()):
        ds["label"] = (dims[:1], np.array(["a"] * sizes[0]))  # a non-numeric variable
    return ds


def _runs_or_fails_cleanly(argv: list[str], capsys) -> int:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argument errors from argparse / jsonargparse
        code = exit_.code
    err = capsys.readouterr().err
    assert code in (0, 2), f"exit {code}: {err[-2000:]}"
    if code == 2:
        assert "error" in err.lower() and "Traceback" not in err
    return code


@FAST
@given(
    ds=datasets(),
    window=st.one_of(st.none(), st.tuples(*[st.integers(-1, 8)] * 3)),
    batch=st.integers(-1, 40),
)
def test_random_netcdf_files_inspect_and_load_or_fail_cleanly(ds, window, batch, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.nc"
        ds.to_netcdf(path, engine="netcdf4")
        argv = ["inspect", str(path), "--batch-size", str(batch)]
        if window is not None:
            argv += ["--window", *map(str, window)]
        _runs_or_fails_cleanly(argv, capsys)
        # The data module the fit uses: statistics, then one training batch.
        t, h, w = window or (4, None, None)
        try:
            dm = SpaceTimeDataModule(
                str(path),
                window_length=t,
                window_height=h,
                window_width=w,
                batch_size=batch,
                samples_per_epoch=8,
            )
            dm.setup("fit")
            real, _ = next(iter(dm.train_dataloader()))
        except StganError as err:
            assert str(err)
            return
        assert real.shape[0] == batch and np.isfinite(real.numpy()).all()


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    from stgan.data.synthetic import make_grf
    from stgan.io.netcdf import write_netcdf

    return write_netcdf(
        make_grf(time=48, height=8, width=8, seed=1), tmp_path_factory.mktemp("fuzz") / "grf.nc"
    )


OPTIONS = [
    "data.batch_size",
    "data.window_length",
    "data.window_height",
    "data.val_fraction",
    "data.samples_per_epoch",
    "data.max_missing_fraction",
    "data.variables",
    "data.transforms",
    "model.loss",
    "model.lr_g",
    "model.d_steps",
    "model.pack",
    "model.ema_decay",
    "model.regularizers",
    "model.instance_noise",
    "model.generator",
    "model.label_smoothing",
    "metrics.every_n_steps",
    "resume.every_n_train_steps",
    "trainer.max_steps",
    "data.no_such_option",
    "model.no_such_option",
    "nonsense",
]
VALUES = [
    "-1",
    "0",
    "1",
    "3",
    "2.5",
    "1e9",
    "nan",
    "abc",
    "null",
    "[1, 2]",
    "{a: 1}",
    "[{name: gp, weight: -1}]",
    "{v: [log1p]}",
    "hinge",
    "true",
    "",
]


@settings(
    max_examples=14,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    overrides=st.lists(
        st.tuples(st.sampled_from(OPTIONS), st.sampled_from(VALUES)), min_size=1, max_size=2
    )
)
def test_random_config_values_fit_or_fail_cleanly(overrides, small_file, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        argv = [
            "fit",
            "--data.path",
            str(small_file),
            "--trainer.default_root_dir",
            tmp,
            *TINY_FIT,
            "--trainer.max_steps",
            "1",
            "--metrics.every_n_steps",
            "1000",
            "--trainer.enable_progress_bar",
            "false",
        ]
        for key, value in overrides:
            argv += [f"--{key}", value]
        _runs_or_fails_cleanly(argv, capsys)
