"""The files users actually have: built in code, written as NetCDF, read back by stgan."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr

from stgan.data.datamodule import SpaceTimeDataModule
from stgan.io.netcdf import write_netcdf
from stgan.io.source import GridSource


def climate(
    n_time=40,
    *,
    lat=None,
    lon=None,
    variables=("tas",),
    calendar="standard",
    seed=0,
    start="2001-01-01",
) -> xr.Dataset:
    """A lat/lon dataset: ``lat`` north-to-south by default, ``lon`` 0–330 (global, periodic)."""
    lat = np.linspace(60, -60, 9) if lat is None else lat
    lon = np.arange(0, 360, 30.0) if lon is None else lon
    rng = np.random.default_rng(seed)
    time = xr.date_range(
        start, periods=n_time, freq="D", calendar=calendar, use_cftime=calendar != "standard"
    )
    data = {
        v: (
            ("time", "lat", "lon"),
            (rng.normal(size=(n_time, lat.size, lon.size)) + 10 * k).astype(np.float32),
            {"units": "K" if k == 0 else "m s-1"},
        )
        for k, v in enumerate(variables)
    }
    return xr.Dataset(
        data,
        coords={
            "time": time,
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
    )


def test_descending_latitude_is_kept_and_written_back(tmp_path):
    write_netcdf(climate(), tmp_path / "a.nc")
    dm = SpaceTimeDataModule(str(tmp_path / "a.nc"), window_length=4, batch_size=2)
    assert dm.info["coords"]["y"]["values"][0] == 60.0  # north first, as stored
    assert dm.source.dims == {"time": "time", "y": "lat", "x": "lon"}
    first = dm.source.read(0, 1)[0, 0, 0]
    np.testing.assert_array_equal(first, xr.open_dataset(tmp_path / "a.nc")["tas"].values[0, 0])


def test_global_longitude_is_periodic_and_windows_wrap(tmp_path):
    write_netcdf(climate(), tmp_path / "a.nc")
    dm = SpaceTimeDataModule(
        str(tmp_path / "a.nc"),
        window_length=4,
        window_width=5,
        batch_size=2,
        val_fraction=0,
        test_fraction=0,
    )
    assert dm.source.periodic_x
    raw = xr.open_dataset(tmp_path / "a.nc")["tas"].values
    wrapped = dm.source.read(3, 7, x0=10, w=5)  # lon 300, 330, 0, 30, 60
    np.testing.assert_array_equal(wrapped[0], raw[3:7][..., [10, 11, 0, 1, 2]])
    dm.setup("fit")
    assert dm.count_windows("train") == (40 - 4 + 1) * 1 * 12  # every lon start counts


def test_regional_grid_is_not_periodic(tmp_path):
    write_netcdf(climate(lon=np.arange(0, 60, 5.0)), tmp_path / "a.nc")
    assert not GridSource(str(tmp_path / "a.nc")).periodic_x


def test_upper_case_dimension_names(tmp_path):
    ds = climate().rename({"time": "TIME", "lat": "LAT", "lon": "LON"})
    for name in ("LAT", "LON"):
        ds[name].attrs = {}  # only the names tell the roles
    write_netcdf(ds, tmp_path / "a.nc")
    src = GridSource(str(tmp_path / "a.nc"))
    assert src.dims == {"time": "TIME", "y": "LAT", "x": "LON"}


def test_extra_level_dimension_is_selected_by_value(tmp_path):
    base = climate()
    levels = xr.concat([base["tas"] + 100 * k for k in range(3)], dim="level").assign_coords(
        level=[850, 500, 250]
    )
    write_netcdf(levels.to_dataset(name="ta"), tmp_path / "a.nc")
    src = GridSource(str(tmp_path / "a.nc"), select={"level": 500})
    np.testing.assert_allclose(src.read(0, 2)[0], base["tas"].values[:2] + 100, rtol=1e-6)


def test_two_variables_become_two_channels(tmp_path):
    write_netcdf(climate(variables=("tas", "uas")), tmp_path / "a.nc")
    dm = SpaceTimeDataModule(str(tmp_path / "a.nc"), window_length=4, batch_size=2)
    assert dm.variables == ["tas", "uas"] and dm.num_channels == 2
    dm.setup("fit")
    means = [t.mean for t in dm.fitted.transforms]
    assert means[0] == pytest.approx(0, abs=0.1) and means[1] == pytest.approx(10, abs=0.1)
    x, valid, *_ = dm.train_dataloader().dataset[0]
    assert x.shape == (2, 4, 9, 12)
    # Each channel is standardised with its own statistics: both near N(0, 1).
    assert abs(float(x[1].mean())) < 1


def test_static_land_mask_and_all_nan_steps(tmp_path):
    ds = climate(n_time=60, lon=np.arange(0, 60, 5.0))  # regional: full-width windows do not wrap
    ds["tas"][:, 2:4, 3:6] = np.nan  # land: missing at every step
    ds["tas"][[10, 11, 30]] = np.nan  # sensor outages: whole steps missing
    write_netcdf(ds, tmp_path / "a.nc")
    dm = SpaceTimeDataModule(
        str(tmp_path / "a.nc"), window_length=4, batch_size=2, val_fraction=0, test_fraction=0
    )
    dm.setup("fit")
    assert dm.fitted.mask.sum() == 2 * 3 and dm.fitted.mask[2:4, 3:6].all()
    assert dm.bad_steps.nonzero()[0].tolist() == [10, 11, 30]
    starts = dm.starts("train")
    assert not any(s <= bad < s + 4 for s in starts for bad in (10, 11, 30))
    assert len(starts) == 60 - 3 - (4 + 1 + 4)  # 57 starts minus those touching 10–11 and 30
    torch.manual_seed(0)
    for _ in range(10):
        x, valid, *_ = dm.train_dataloader().dataset[0]
        assert torch.isfinite(x).all()
        assert (x[:, :, 2:4, 3:6] == 0).all() and (valid[0, 0, 2:4, 3:6] == 0).all()
        assert valid.sum() == 9 * 12 - 6


def test_non_standard_calendar(tmp_path):
    write_netcdf(climate(n_time=600, calendar="noleap"), tmp_path / "a.nc")
    dm = SpaceTimeDataModule(
        str(tmp_path / "a.nc"),
        window_length=4,
        batch_size=2,
        transforms={"tas": ["monthly_anomaly"]},
    )
    dm.setup("fit")
    assert dm.fitted.transforms[0].climatology.shape == (12, 9, 12)
    assert dm.info["time_step_seconds"] == 86400.0
    assert dm.source.months[[0, 31, 59]].tolist() == [1, 2, 3]  # noleap: no Feb 29


def test_climatology_needs_every_month_in_training(tmp_path):
    from stgan.errors import StganError

    write_netcdf(climate(n_time=300), tmp_path / "a.nc")
    dm = SpaceTimeDataModule(
        str(tmp_path / "a.nc"),
        window_length=4,
        batch_size=2,
        transforms={"tas": ["monthly_anomaly"]},
    )
    with pytest.raises(StganError, match=r"no data for month\(s\) \[8, 9, 10, 11, 12\]"):
        dm.setup("fit")


def test_multi_file_glob_concatenates_along_time(tmp_path):
    whole = climate(n_time=60)
    for k, part in enumerate((slice(40, 60), slice(0, 25), slice(25, 40))):  # written out of order
        write_netcdf(whole.isel(time=part), tmp_path / f"part{k}.nc")
    src = GridSource(str(tmp_path / "part*.nc"))
    assert src.sizes["time"] == 60
    np.testing.assert_array_equal(src.time, whole["time"].values)
    # A read that spans the files' seams equals the same slab of the whole.
    np.testing.assert_array_equal(src.read(20, 45)[0], whole["tas"].values[20:45])
    listed = GridSource([str(tmp_path / "part1.nc"), str(tmp_path / "part2.nc")])
    assert listed.sizes["time"] == 40


def test_netcdf3_files_are_read(tmp_path):
    climate().to_netcdf(tmp_path / "a.nc", format="NETCDF3_64BIT", engine="netcdf4")
    assert GridSource(str(tmp_path / "a.nc")).sizes == {"time": 40, "y": 9, "x": 12}


def test_eval_windows_are_strided_deterministic_and_masked(tmp_path):
    ds = climate(n_time=100, lon=np.arange(0, 60, 5.0))
    ds["tas"][:, 0, 0] = np.nan  # static mask cell
    ds["tas"][70] = np.nan  # an outage inside the validation block
    write_netcdf(ds, tmp_path / "a.nc")
    dm = SpaceTimeDataModule(str(tmp_path / "a.nc"), window_length=4, window_width=6, batch_size=2)
    dm.setup("fit")
    val = dm.splits["val"]  # usable 92: val = test = round(13.8) = 14 → val = steps 68..81
    assert (val.start, val.stop) == (68, 82)
    windows = dm.eval_windows("val")
    # Starts 71 (first window after step 70) and 75; 78 would run past 81. Two x tiles of 6.
    assert windows.shape == (2 * 2, 1, 4, 9, 6)
    raw = ds["tas"].values
    np.testing.assert_array_equal(windows[0, 0], raw[71:75, :, 0:6])
    np.testing.assert_array_equal(windows[3, 0], raw[75:79, :, 6:12])
    assert np.isnan(windows[:, 0, :, 0, 0][[0, 2]]).all()  # the masked cell, first x tile
    np.testing.assert_array_equal(dm.eval_windows("val"), windows)
    assert dm.eval_windows("val", max_windows=3).shape[0] == 3


def test_masked_anomaly_model_generates_dated_physical_values(tmp_path):
    from stgan.cli import main

    ds = climate(n_time=800, lat=np.linspace(40, 30, 6), lon=np.arange(0, 40, 5.0))
    month = ds["time"].dt.month.values
    ds["tas"] = ds["tas"] + 280 + 10 * (month[:, None, None] >= 6)  # warm half-year
    ds["tas"][:, 1:3, 2:4] = np.nan  # land
    write_netcdf(ds, tmp_path / "a.nc")
    tiny = [
        "--model.generator_options",
        "{latent_channels: 4, width: 4, spatial_upsamples: 1}",
        "--model.discriminator_options",
        "{width: 4, depth: 2}",
        "--metrics.every_n_steps",
        "0",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.enable_model_summary",
        "false",
    ]
    assert (
        main(
            [
                "fit",
                "--data.path",
                str(tmp_path / "a.nc"),
                "--data.window_length",
                "4",
                "--data.batch_size",
                "4",
                "--data.transforms",
                "{tas: [monthly_anomaly]}",
                "--trainer.max_steps",
                "2",
                "--trainer.default_root_dir",
                str(tmp_path / "run"),
                *tiny,
            ]
        )
        == 0
    )
    ckpt = str(tmp_path / "run" / "logs" / "version_0" / "checkpoints" / "last.ckpt")
    # Without --start-time the dates continue the record (800 days from 2001-01-01: to 2003-03-11).
    for start, first, warm in (
        (None, "2003-03-12", False),
        ("2003-01-10", "2003-01-10", False),
        ("2003-07-10", "2003-07-10", True),
    ):
        out = tmp_path / f"g{start}.nc"
        assert (
            main(
                [
                    "generate",
                    "--checkpoint",
                    ckpt,
                    "--num-samples",
                    "3",
                    "--output",
                    str(out),
                    *(["--start-time", start] if start else []),
                ]
            )
            == 0
        )
        with xr.open_dataset(out) as g:
            values = g["tas"].values  # (sample, time, lat, lon)
            assert str(g["time"].values[0])[:10] == first
        assert np.isnan(values[..., 1:3, 2:4]).all()  # the mask is written back as NaN
        open_cells = values[..., 0, :]
        assert np.isfinite(open_cells).all()
        # The monthly climatology is added back: July windows are ~10 K warmer than January.
        assert abs(np.mean(open_cells) - (290 if warm else 280)) < 4
