"""`stgan.open_dataset` and `stgan.survey` on real NetCDF files and in-memory Datasets."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import stgan
from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.errors import DataError
from stgan.io.netcdf import write_netcdf

# 64 steps, windows of 4, val/test 0.15: time_splits gives train 0–39, val 44–51, test 56–63.
TRAIN_STOP = 40


def _raw() -> xr.Dataset:
    """A 64 × 8 × 8 grf with one cell missing over the training split only, a step with half
    its cells missing, a 2-D field that is not a space-time field, and a field on levels."""
    ds = make_grf(time=64, height=8, width=8, seed=4)
    field = ds["field"].values
    field[:TRAIN_STOP, 2, 3] = np.nan  # → the static mask: NaN at every step once opened
    field[50, :4] = np.nan  # 32 of 64 cells: > 5% missing, so a dropped step
    ds["orography"] = (("y", "x"), np.ones((8, 8), np.float32))
    levels = np.stack([ds["field"].values, ds["field"].values + 10.0], axis=1)
    ds["ta"] = (("time", "level", "y", "x"), levels, {"units": "K"})
    return ds.assign_coords(level=("level", [500.0, 850.0]))


@pytest.fixture(scope="module")
def raw_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("api_data") / "raw.nc"
    write_netcdf(_raw(), path)
    return path


def test_open_dataset_applies_the_training_mask_and_says_what_it_chose(raw_file):
    ds = stgan.open_dataset(raw_file, window_length=4)
    assert list(ds.data_vars) == ["field"] and ds["field"].dims == ("time", "y", "x")
    assert ds["field"].dtype == np.float32 and ds["field"].chunks is not None  # lazy
    values = ds["field"].values
    # The cell missing over the training split is NaN at every step, also after it.
    assert np.isnan(values[:, 2, 3]).all()
    raw = _raw()["field"].values
    keep = np.ones((8, 8), bool)
    keep[2, 3] = False
    np.testing.assert_array_equal(values[:, keep], raw[:, keep])  # nothing else changed
    assert ds["field"].attrs["units"] == "K"
    assert ds.attrs["stgan_variables"] == "field"
    assert ds.attrs["stgan_skipped"] == (
        "orography: lacks the space-time axes (dims ('y', 'x')), "
        "ta: lacks the space-time axes (dims ('time', 'level', 'y', 'x'))"
    )
    assert ds.attrs["stgan_dims"] == "time: time, y: y, x: x"
    assert ds.attrs["stgan_train_steps"] == "0-39"
    assert ds.attrs["stgan_masked_cells"] == 1 and ds.attrs["stgan_dropped_steps"] == 1
    assert ds.attrs["stgan_files"] == str(raw_file)
    assert ds.attrs["title"].startswith("Synthetic Gaussian random field")  # the file's own


def test_open_dataset_of_an_in_memory_dataset_equals_the_file(raw_file, tmp_path):
    from_file = stgan.open_dataset(raw_file, window_length=4, select={"level": 850})
    in_memory = stgan.open_dataset(_raw(), window_length=4, select={"level": 850})
    assert list(in_memory.data_vars) == ["field", "ta"]
    assert in_memory["ta"].chunks is None  # NumPy in, NumPy out
    xr.testing.assert_identical(
        in_memory.drop_attrs(deep=False), from_file.load().drop_attrs(deep=False)
    )
    assert float(in_memory["ta"]["level"]) == 850.0  # the selection stays as a coordinate
    assert in_memory.attrs["stgan_select"] == "level: 850"
    assert in_memory.attrs["stgan_files"] == "in-memory dataset"
    assert not list(tmp_path.iterdir())  # nothing written


def test_open_dataset_of_a_file_list_joins_them_in_time(raw_file, tmp_path):
    raw = _raw()
    write_netcdf(raw.isel(time=slice(32, None)), tmp_path / "b.nc")
    write_netcdf(raw.isel(time=slice(0, 32)), tmp_path / "a.nc")
    joined = stgan.open_dataset(str(tmp_path / "*.nc"), window_length=4)
    whole = stgan.open_dataset(raw_file, window_length=4)
    np.testing.assert_array_equal(joined["field"].values, whole["field"].values)
    assert joined.attrs["stgan_files"] == f"{tmp_path / 'a.nc'}, {tmp_path / 'b.nc'}"


def test_a_dataset_without_time_is_a_data_error_with_the_cli_message(tmp_path, capsys):
    flat = xr.Dataset({"tas": (("lat", "lon"), np.zeros((4, 5)))})
    with pytest.raises(DataError) as raised:
        stgan.open_dataset(flat)
    write_netcdf(flat, tmp_path / "flat.nc")
    assert main(["survey", str(tmp_path / "flat.nc")]) == 2
    assert capsys.readouterr().err == f"stgan: error: {raised.value}\n"
    assert str(raised.value).startswith("no data variable with time, y and x dimensions")
    with pytest.raises(DataError, match="does not exist"):
        stgan.open_dataset(tmp_path / "nope.nc")


def test_survey_is_the_cli_text_with_its_facts(raw_file, capsys):
    s = stgan.survey(raw_file, window=(4, 8, 8), batch_size=4)
    assert main(["survey", str(raw_file), "--window", "4", "8", "8", "--batch-size", "4"]) == 0
    assert capsys.readouterr().out == f"{s}\n" == f"{s!r}\n"
    assert s.files == [str(raw_file)] and s.variables == ["field"] and s.units == {"field": "K"}
    assert s.transforms == {"field": ["standardize"]}
    assert s.dims == {"time": "time", "y": "y", "x": "x"}
    assert s.sizes == {"time": 64, "y": 8, "x": 8} and s.window == (4, 8, 8)
    assert s.splits == {"train": (0, 40), "val": (44, 52), "test": (56, 64)}
    # 40 training steps, windows of 4 → 37 starts, one position on the 8 × 8 grid each.
    assert s.windows["train"] == 37 and s.masked_cells == 1 and s.dropped_steps == 1
    assert set(s.skipped) == {"orography", "ta"} and s.periodic_x is False
    assert len(s.warnings) == 1 and s.warnings[0].startswith("field is not stationary")
    assert f"warning: {s.warnings[0]}" in s.splitlines() and s.stationarity["field"].trend > 0.5
    # The same facts from the dataset in memory; the file line differs, and the time units
    # (a dataset never written has no encoding: xarray's default units are shown).
    again = stgan.survey(_raw(), window=(4, 8, 8), batch_size=4)
    same = [i for i, line in enumerate(s.splitlines()) if not line.startswith(("files", "  time"))]
    assert [again.splitlines()[i] for i in same] == [s.splitlines()[i] for i in same]
    assert again.files == ["in-memory dataset"]
