"""Many NetCDF files through one glob, Zarr stores in and out, and nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys

import dask.array
import numpy as np
import pytest
import xarray as xr
from conftest import TINY_FIT, run_stgan
from test_netcdf_inputs import climate

import stgan
from stgan.data.datamodule import SpaceTimeDataModule
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf
from stgan.io.source import GridSource
from stgan.io.stores import write_zarr, write_zarr_chunks
from stgan.sampling import write_streamed


def _parts(tmp_path, whole: xr.Dataset, cuts=((40, 60), (0, 25), (25, 40)), suffix=".nc") -> str:
    """Write ``whole`` as one file per time range (out of time order); return their glob."""
    for k, (a, b) in enumerate(cuts):
        part = whole.isel(time=slice(a, b))
        if suffix == ".zarr":
            write_zarr(part, tmp_path / f"part{k}.zarr")
        else:
            write_netcdf(part, tmp_path / f"part{k}.nc")
    return str(tmp_path / f"part*{suffix}")


def test_three_files_through_a_glob_equal_the_single_file_and_stay_lazy(tmp_path):
    whole = climate(n_time=60, variables=("tas", "uas"))
    write_netcdf(whole, tmp_path / "whole.nc")
    many, one = GridSource(_parts(tmp_path, whole)), GridSource(str(tmp_path / "whole.nc"))
    assert [p.name for p in many.paths] == ["part1.nc", "part2.nc", "part0.nc"]  # time order
    assert many.sizes == one.sizes == {"time": 60, "y": 9, "x": 12}
    np.testing.assert_array_equal(many.time, one.time)
    assert many.var_attrs == one.var_attrs and many.dims == one.dims and many.periodic_x
    # Value for value: everything, a slab across both seams, a patch wrapping round 360°.
    np.testing.assert_array_equal(many.read(0, 60), one.read(0, 60))
    np.testing.assert_array_equal(many.read(0, 60)[1], whole["uas"].values)
    np.testing.assert_array_equal(
        many.read(20, 45, y0=2, h=5, x0=3, w=4), whole.to_array().values[:, 20:45, 2:7, 3:7]
    )
    wrapped = many.read(24, 27, x0=10, w=4)
    np.testing.assert_array_equal(wrapped, whole.to_array().values[:, 24:27][..., [10, 11, 0, 1]])
    # The joined dataset is dask-backed, one chunk per file along time, and nothing was read.
    tas = many.dataset["tas"]
    assert isinstance(tas.data, dask.array.Array)
    assert tas.chunks[0] == (25, 15, 20)
    assert list(many.dataset.data_vars) == ["tas", "uas"]
    np.testing.assert_array_equal(tas.values, whole["tas"].values)


def test_workers_reopen_the_files_and_draw_the_same_batches(tmp_path, monkeypatch):
    monkeypatch.setenv("PL_GLOBAL_SEED", "7")
    path = _parts(tmp_path, climate(n_time=60))
    batches = []
    for workers in (0, 1):
        dm = SpaceTimeDataModule(
            path,
            window_length=4,
            window_width=5,
            batch_size=4,
            samples_per_epoch=8,
            in_memory=False,
            num_workers=workers,
        )
        dm.setup("fit")
        batches.append(np.concatenate([x.numpy() for x, *_ in dm.train_dataloader()]))
    assert batches[0].shape == (8, 1, 4, 9, 5)
    np.testing.assert_array_equal(batches[0], batches[1])


def test_multi_file_errors_name_the_file_and_the_fix(tmp_path):
    whole = climate(n_time=40, variables=("tas", "uas"))
    write_netcdf(whole.isel(time=slice(0, 20)), tmp_path / "a1.nc")
    write_netcdf(whole.isel(time=slice(20, 40))[["tas"]], tmp_path / "a2.nc")
    with pytest.raises(
        StganError, match=r"a2.nc' lacks variable\(s\) \['uas'\] that '.*a1.nc' has"
    ):
        GridSource(str(tmp_path / "a*.nc"))
    shifted = whole.isel(time=slice(20, 40)).assign_coords(lon=whole["lon"] + 1)
    write_netcdf(whole.isel(time=slice(0, 20)), tmp_path / "b1.nc")
    write_netcdf(shifted, tmp_path / "b2.nc")
    with pytest.raises(
        StganError, match=r"b2.nc' has a different x grid .* all files must share one grid"
    ):
        GridSource(str(tmp_path / "b*.nc"))
    write_netcdf(whole.isel(time=slice(0, 20)), tmp_path / "c1.nc")
    write_netcdf(whole.isel(time=slice(20, 40)), tmp_path / "c2.nc")
    data = (tmp_path / "c2.nc").read_bytes()
    (tmp_path / "c2.nc").write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(StganError, match=r"cannot read '.*c2.nc' as NetCDF"):
        GridSource(str(tmp_path / "c*.nc"))
    with pytest.raises(StganError, match=r"'.*none.nc' does not exist"):
        GridSource([str(tmp_path / "c1.nc"), str(tmp_path / "none.nc")])
    (tmp_path / "bad.zarr").mkdir()
    (tmp_path / "bad.zarr" / ".zgroup").write_text("{not json")
    with pytest.raises(StganError, match=r"cannot read '.*bad.zarr' as a Zarr store"):
        GridSource(str(tmp_path / "bad.zarr"))
    with pytest.raises(
        StganError, match="is a directory; give the path of a NetCDF file or a Zarr store"
    ):
        GridSource(str(tmp_path))
    write_zarr(whole, tmp_path / "d2.zarr")
    write_netcdf(whole, tmp_path / "d1.nc")
    with pytest.raises(StganError, match="mixes NetCDF files and Zarr stores"):
        GridSource(str(tmp_path / "d*"))


def test_a_zarr_store_gives_the_windows_of_its_netcdf_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PL_GLOBAL_SEED", "3")
    ds = climate(n_time=100, lon=np.arange(0, 60, 5.0), calendar="noleap")
    ds["tas"][:, 0, 0] = np.nan  # a masked cell
    write_netcdf(ds, tmp_path / "a.nc")
    xr.open_dataset(tmp_path / "a.nc").to_zarr(tmp_path / "a.zarr")  # made from the file
    out = {}
    for name in ("a.nc", "a.zarr"):
        dm = SpaceTimeDataModule(
            str(tmp_path / name),
            window_length=4,
            window_width=6,
            batch_size=2,
            samples_per_epoch=6,
            in_memory=False,
        )
        dm.setup("fit")
        out[name] = (
            dm.source.time,
            dm.fitted.transforms[0].mean,
            dm.eval_windows("val"),
            np.concatenate([x.numpy() for x, *_ in dm.train_dataloader()]),
        )
    nc, zarr = out["a.nc"], out["a.zarr"]
    np.testing.assert_array_equal(zarr[0], ds["time"].values)  # noleap dates decoded alike
    assert zarr[1] == nc[1] and np.isfinite(nc[1])
    assert nc[2].shape == (6, 1, 4, 9, 6)  # 3 strided starts in 15 validation steps × 2 x tiles
    assert np.isnan(nc[2][::2, 0, :, 0, 0]).all()  # the masked cell, in the first x tile
    np.testing.assert_array_equal(zarr[2], nc[2])
    assert nc[3].shape == (6, 1, 4, 9, 6)
    np.testing.assert_array_equal(zarr[3], nc[3])


def test_a_glob_of_zarr_stores_is_joined_like_netcdf_files(tmp_path):
    whole = climate(n_time=60)
    src = GridSource(_parts(tmp_path, whole, suffix=".zarr"))
    assert [p.name for p in src.paths] == ["part1.zarr", "part2.zarr", "part0.zarr"]
    np.testing.assert_array_equal(src.read(10, 50)[0], whole["tas"].values[10:50])


def test_generate_to_zarr_equals_netcdf_and_evaluates(tmp_path):
    """Real `stgan` processes: fit, then generate .nc and .zarr at one seed, evaluate the .zarr."""
    data = tmp_path / "data.nc"
    write_netcdf(climate(n_time=64, lat=np.linspace(50, 30, 8), lon=np.arange(0, 40, 5.0)), data)
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--data.path",
        str(data),
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
        "--trainer.max_steps",
        "2",
        "--metrics.every_n_steps",
        "0",
    )
    ckpt = root / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    for out in ("gen.nc", "gen.zarr"):
        run_stgan(
            "generate",
            "--checkpoint",
            str(ckpt),
            "--num-samples",
            "5",
            "--seed",
            "4",
            "--output",
            str(tmp_path / out),
        )
    nc, zarr = xr.open_dataset(tmp_path / "gen.nc"), xr.open_zarr(tmp_path / "gen.zarr")
    assert zarr["tas"].shape == (5, 4, 8, 8)
    np.testing.assert_array_equal(zarr["tas"].values, nc["tas"].values)
    assert np.isfinite(zarr["tas"].values).all() and zarr["tas"].std() > 0
    for name in ("time", "lat", "lon"):
        np.testing.assert_array_equal(zarr[name].values, nc[name].values)
        assert zarr[name].attrs == nc[name].attrs
    assert zarr["tas"].attrs == nc["tas"].attrs and zarr.attrs == nc.attrs
    assert (
        sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    )  # no temporaries
    # evaluate reads the store (a real process); its metrics are those of the NetCDF twin.
    run_stgan(
        "evaluate",
        "--real",
        str(data),
        "--generated",
        str(tmp_path / "gen.zarr"),
        "--output-dir",
        str(tmp_path / "ev"),
        "--metrics",
        "spectrum",
        "distribution",
    )
    got = json.loads((tmp_path / "ev" / "metrics.json").read_text())["variables"]["tas"]
    want = stgan.evaluate(data, tmp_path / "gen.nc", metrics=["spectrum", "distribution"])
    want = want.to_dict()["variables"]["tas"]
    assert got["w1"] == want["w1"] > 0 and got["rapsd_lsd_db"] == want["rapsd_lsd_db"] > 0


def _pieces(values: np.ndarray, fail_after: int | None = None):
    """(samples, steps, values) pieces of (N, C, T, H, W) ``values``, as stream_array yields them."""
    n, _, t = values.shape[:3]
    k = 0
    for s in range(0, n, 2):
        for t0 in range(0, t, 3):
            if k == fail_after:
                raise RuntimeError("generator failed")
            k += 1
            yield (
                slice(s, min(s + 2, n)),
                slice(t0, min(t0 + 3, t)),
                values[s : s + 2, :, t0 : t0 + 3],
            )


def _layout(shape: tuple[int, ...]) -> xr.Dataset:
    n, _, t, h, w = shape
    dims = ("sample", "time", "y", "x")
    placeholder = np.broadcast_to(np.float32(np.nan), (n, t, h, w))
    return xr.Dataset(
        {v: (dims, placeholder, {"units": u}) for v, u in (("a", "K"), ("b", "m"))},
        coords={
            "sample": np.arange(n),
            "time": np.arange(t),
            "y": np.arange(h) * 2.0,
            "x": np.arange(w) * 3.0,
        },
    )


def test_streamed_zarr_equals_streamed_netcdf_and_a_failed_write_leaves_nothing(tmp_path):
    values = np.random.default_rng(0).normal(size=(5, 2, 7, 3, 4)).astype(np.float32)
    store = write_streamed(_pieces(values), _layout(values.shape), tmp_path / "s.zarr")
    ds = xr.open_zarr(store)
    assert ds["a"].encoding["chunks"] == (2, 3, 3, 4)  # the first piece's shape
    np.testing.assert_array_equal(ds.to_array("c").transpose("sample", "c", ...).values, values)
    nc = xr.open_dataset(write_streamed(_pieces(values), _layout(values.shape), tmp_path / "s.nc"))
    for name in ("a", "b", "sample", "time", "y", "x"):
        np.testing.assert_array_equal(ds[name].values, nc[name].values)
    assert ds["b"].attrs == nc["b"].attrs == {"units": "m"}
    nc.close()
    (tmp_path / "s.nc").unlink()
    # A generator failing mid-way leaves the old store as it was, and no temporary.
    with pytest.raises(RuntimeError, match="generator failed"):
        write_zarr_chunks(
            _pieces(-values, fail_after=3), _layout(values.shape), tmp_path / "s.zarr"
        )
    np.testing.assert_array_equal(xr.open_zarr(store)["a"].values, values[:, 0])
    with pytest.raises(RuntimeError, match="generator failed"):
        write_zarr_chunks(
            _pieces(values, fail_after=2), _layout(values.shape), tmp_path / "new.zarr"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]
    # A second complete write replaces the store.
    write_zarr(xr.Dataset({"a": ("t", np.arange(3.0))}), store)
    np.testing.assert_array_equal(xr.open_zarr(store)["a"].values, [0, 1, 2])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]


def test_a_zarr_output_never_replaces_something_else(tmp_path):
    (tmp_path / "notes.zarr").mkdir()
    (tmp_path / "notes.zarr" / "keep.txt").write_text("mine")
    with pytest.raises(
        StganError, match="exists and is not a Zarr store; remove it or choose another"
    ):
        write_zarr(xr.Dataset({"a": ("t", np.arange(3.0))}), tmp_path / "notes.zarr")
    assert (tmp_path / "notes.zarr" / "keep.txt").read_text() == "mine"


def test_stale_temporary_stores_of_dead_writers_are_removed(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = tmp_path / f".out.zarr.{dead.stdout.strip()}.abc.tmp"
    (stale / "a").mkdir(parents=True)
    (stale / "a" / "0.0").write_bytes(b"partial chunk")
    write_zarr(xr.Dataset({"a": ("t", np.arange(3.0))}), tmp_path / "out.zarr")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zarr"]


def test_make_data_writes_zarr_when_asked(tmp_path):
    from stgan.cli import main

    store = tmp_path / "grf.zarr"
    assert (
        main(
            [
                "make-data",
                "grf",
                "--output",
                str(store),
                "--time",
                "20",
                "--height",
                "8",
                "--width",
                "8",
            ]
        )
        == 0
    )
    assert (store / ".zmetadata").is_file() or (store / "zarr.json").is_file()
    with xr.open_zarr(store) as ds:
        assert ds["field"].shape == (20, 8, 8) and ds["field"].attrs["units"] == "K"
