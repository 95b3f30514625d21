"""Condition channels against known answers, and the errors a user can run into."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import xarray as xr
from cf_runs import stgan_here
from conditioning_data import position_month_field, write_static

from stgan.conditioning.conditions import Conditions
from stgan.conditioning.place import Place, override, time_table
from stgan.conditioning.request import sampling_table
from stgan.data.datamodule import SpaceTimeDataModule
from stgan.data.time_features import TimeFeatures
from stgan.errors import DataError, StganError, UnknownNameError


@pytest.fixture(scope="module")
def field_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cond") / "field.nc"
    position_month_field(years=4).to_netcdf(path)
    return path


def _data(path, **options):
    opts = dict(window_length=3, window_height=4, window_width=6, batch_size=2)
    return SpaceTimeDataModule(str(path), **{**opts, **options})


def _filled(dm):
    dm.setup()
    conditions = Conditions(dm.condition_spec)
    conditions.fill(dm)
    return conditions


def test_coords_are_sines_and_cosines_of_the_window_cells_wrapping_in_longitude(field_file):
    dm = _data(field_file, conditions=["coords"])
    c = _filled(dm)
    lat, lon = np.radians(np.linspace(-35, 35, 8)), np.radians(np.arange(16) * 22.5)
    # A window at row 2, column 13 of 16: its columns are 13, 14, 15, 0, 1, 2.
    place = Place(torch.tensor([[2, 13]]), torch.zeros(1, 3, 4))
    out = c(place, dm.window)[0].numpy()  # (4, T, 4, 6)
    cols = [13, 14, 15, 0, 1, 2]
    np.testing.assert_allclose(out[0, 1, :, 0], np.sin(lat[2:6]), atol=1e-6)
    np.testing.assert_allclose(out[1, 2, :, 5], np.cos(lat[2:6]), atol=1e-6)
    np.testing.assert_allclose(out[2, 0, 3], np.sin(lon[cols]), atol=1e-6)
    np.testing.assert_allclose(out[3, 0, 0], np.cos(lon[cols]), atol=1e-6)


def test_calendar_places_a_360_day_july_at_mid_year():
    times = xr.date_range("2001-07-01", periods=2, freq="MS", calendar="360_day", use_cftime=True)
    table = time_table(TimeFeatures.from_times(times.values), 2)
    assert table[:, 0].tolist() == pytest.approx([0.5, 0.5 + 30 / 360])  # day 181, 211 of 360
    assert table[:, 3].tolist() == [7, 8] and table[0, 2] == 2001
    spec = {"channels": 1, "grid": [2, 3], "items": [{"name": "calendar", "hours": False}]}
    out = Conditions(spec)(Place.same(1, table), (2, 2, 3))[0]  # (2, T, H, W)
    assert out[0, 0].unique().tolist() == pytest.approx([0.0], abs=1e-6)  # sin(π)
    assert out[1, 0].unique().tolist() == pytest.approx([-1.0])  # cos(π)
    assert out[0, 1].unique().item() == pytest.approx(math.sin(2 * math.pi * 7 / 12), abs=1e-6)


def test_year_is_standardised_over_the_training_steps(field_file):
    dm = _data(field_file, conditions=["year"])
    c = _filled(dm)
    tf = dm.time_features[dm.splits["train"]]
    decimal = tf.year + tf.year_fraction
    assert decimal[0] == 2000 and decimal[12] == 2001  # monthly steps from January 2000
    mean, std = decimal.mean(), decimal.std()
    table = override(time_table(tf[:3], 3), year=2030.0)
    out = c(Place.same(1, table), dm.window)[0, 0]  # (T, H, W)
    expected = (2030.0 + tf.year_fraction[:3] - mean) / std
    np.testing.assert_allclose(out[:, 0, 0].numpy(), expected, rtol=1e-5)


def test_climatology_is_the_monthly_mean_and_std_of_the_standardised_training_split(field_file):
    dm = _data(field_file, conditions=["climatology"])
    c = _filled(dm)
    train = dm.splits["train"]
    z = dm.standardised(train.start, train.stop)[0]  # (T, H, W)
    july = z[dm.time_features.month[train] == 7]
    table = override(time_table(None, 3), month=7)
    out = c(Place.same(1, table, corner=(1, 2)), dm.window)[0]  # (2, T, 4, 6)
    np.testing.assert_allclose(out[0, 2].numpy(), july.mean(0)[1:5, 2:8], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[1, 0].numpy(), july.std(0)[1:5, 2:8], rtol=1e-3, atol=1e-5)


def test_static_fields_are_read_standardised_and_checked_against_the_grid(field_file, tmp_path):
    ds = xr.open_dataset(field_file)
    lat, lon = ds.lat.values, ds.lon.values
    values = np.add.outer(lat, lon / 10)
    good = write_static(tmp_path / "topo.nc", lat, lon, values)
    dm = _data(field_file, static=[f"{good}:z"])
    assert [i["name"] for i in dm.condition_spec["items"]] == ["static"]
    c = _filled(dm)
    out = c(Place.same(1, time_table(None, 3), corner=(0, 0)), dm.window)[0, 0, 1]
    expected = (values - values.mean()) / values.std()
    np.testing.assert_allclose(out.numpy(), expected[:4, :6], rtol=1e-5)

    coarse = write_static(tmp_path / "coarse.nc", lat[::2], lon[::2], values[::2, ::2])
    with pytest.raises(StganError, match="on a 4×8 grid.*data's is 8×16.*regrid"):
        _data(field_file, static=[f"{coarse}:z"])
    shifted = write_static(tmp_path / "shifted.nc", lat + 1, lon, values)
    with pytest.raises(StganError, match="coordinates are not the data's"):
        _data(field_file, static=[f"{shifted}:z"])
    with pytest.raises(DataError, match="has no variable 'orog'; it has z"):
        _data(field_file, static=[f"{good}:orog"])
    with pytest.raises(StganError, match="not 'path.nc:variable'"):
        _data(field_file, static=[str(good)])


def test_conditions_that_cannot_be_served_are_refused(field_file, tmp_path):
    with pytest.raises(UnknownNameError, match="unknown condition 'latitude'.*calendar"):
        _data(field_file, conditions=["latitude"])
    with pytest.raises(StganError, match="names 'coords' twice"):
        _data(field_file, conditions=["coords", "coords"])
    with pytest.raises(StganError, match="data.static gives no field"):
        _data(field_file, conditions=["static"])
    numeric = xr.open_dataset(field_file).assign_coords(time=np.arange(48.0))
    numeric.to_netcdf(tmp_path / "numeric.nc")
    with pytest.raises(StganError, match="calendar needs a time axis of dates"):
        _data(tmp_path / "numeric.nc", conditions=["calendar"])


def test_sampling_requests_are_checked_against_the_model():
    spec = {"channels": 1, "grid": [2, 2], "items": [{"name": "coords"}]}
    with pytest.raises(StganError, match="--month must be a calendar month from 1 to 12, got 13"):
        sampling_table(Conditions({**spec, "items": [{"name": "climatology"}]}), None, 2, month=13)
    with pytest.raises(StganError, match="--month needs a model conditioned on calendar or "):
        sampling_table(Conditions(spec), None, 2, month=7)
    with pytest.raises(StganError, match="--year needs .*none: an unconditional model"):
        sampling_table(None, None, 2, year=2080)
    table = sampling_table(None, None, 3)
    assert table.shape == (3, 4) and np.isnan(table).all()


def test_training_batches_carry_where_and_when_their_windows_lie(field_file):
    dm = _data(field_file, conditions=["calendar"])
    dm.setup()
    real, valid, corner, steps = next(iter(dm.train_dataloader()))
    assert corner.shape == (2, 2) and steps.shape == (2, 3, 4)
    for b in range(2):
        y0, x0 = corner[b].tolist()
        t0 = int(
            np.flatnonzero(
                np.isclose(
                    dm.time_table[:, 2] + dm.time_table[:, 0],
                    float(steps[b, 0, 2] + steps[b, 0, 0]),
                )
            )[0]
        )
        expected = dm.standardised(t0, t0 + 3)[:, :, y0 : y0 + 4]
        cols = np.arange(x0, x0 + 6) % 16
        np.testing.assert_allclose(real[b].numpy(), expected[..., cols], rtol=1e-5, atol=1e-6)


def test_stgan_fit_refuses_a_static_field_on_another_grid_before_writing_anything(
    field_file, tmp_path
):
    ds = xr.open_dataset(field_file)
    coarse = write_static(
        tmp_path / "coarse.nc", ds.lat.values[::2], ds.lon.values[::2], np.zeros((4, 8))
    )
    root = tmp_path / "run"
    done = stgan_here(
        "fit",
        "--config",
        "demo",
        "--data.path",
        str(field_file),
        "--data.window_length",
        "3",
        "--data.static",
        f"{coarse}:z",
        "--trainer.max_steps",
        "1",
        "--trainer.default_root_dir",
        str(root),
    )
    assert done.returncode == 2
    assert "stgan: error: static covariate" in done.stderr and "regrid it" in done.stderr
    assert not root.exists()
