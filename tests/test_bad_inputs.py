"""Every bad input ends in one clear `stgan: error:` line and exit status 2, never a traceback.

The checks run the real CLI entry point (`stgan.cli.main`) in-process on `stgan inspect`,
which builds the same data module `stgan fit` does.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from test_netcdf_inputs import climate

from stgan.cli import main
from stgan.io.netcdf import write_netcdf


def _error(capsys, *argv: str) -> str:
    code = main(["inspect", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("stgan: error: "), err
    return err[0]


def _write(tmp_path, ds: xr.Dataset, name: str = "a.nc") -> str:
    write_netcdf(ds, tmp_path / name)
    return str(tmp_path / name)


def test_missing_file(tmp_path, capsys):
    assert "does not exist" in _error(capsys, str(tmp_path / "none.nc"))


def test_not_netcdf(tmp_path, capsys):
    (tmp_path / "a.nc").write_bytes(b"GRIB" + bytes(200))
    assert "cannot read" in _error(capsys, str(tmp_path / "a.nc"))


def test_truncated_file(tmp_path, capsys):
    path = _write(tmp_path, climate(n_time=400))
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    msg = _error(capsys, path)
    assert "cannot read" in msg and ("truncated" in msg or "NetCDF" in msg)


def test_variable_missing_lists_present(tmp_path, capsys):
    msg = _error(capsys, _write(tmp_path, climate(variables=("tas", "uas"))), "--variables", "pr")
    assert "'pr'" in msg and "present: tas, uas" in msg


def test_no_time_dimension(tmp_path, capsys):
    ds = climate().isel(time=0, drop=True).expand_dims(member=3)
    msg = _error(capsys, _write(tmp_path, ds), "--variables", "tas")
    assert "no 'time' dimension" in msg and "axis='T'" in msg


def test_ambiguous_dimensions(tmp_path, capsys):
    ds = climate()
    ds["tas2"] = ds["tas"].rename(lat="y").expand_dims(lat=ds.lat.values, axis=2)
    msg = _error(capsys, _write(tmp_path, ds[["tas2"]]))
    assert "could all be 'y'" in msg and "'axis' attribute" in msg


def test_extra_dimension_needs_select(tmp_path, capsys):
    ds = climate()["tas"].expand_dims(level=[850, 500]).to_dataset()
    msg = _error(capsys, _write(tmp_path, ds))
    assert "extra dimensions ['level']" in msg


def test_window_larger_than_data(tmp_path, capsys):
    msg = _error(capsys, _write(tmp_path, climate()), "--window", "4", "20", "12")
    assert "window y size 20" in msg and "(4, 20, 12)" in msg and "(40, 9, 12)" in msg


def test_fewer_windows_than_one_batch(tmp_path, capsys):
    ds = climate(n_time=12, lon=np.arange(0, 60, 5.0))
    msg = _error(capsys, _write(tmp_path, ds), "--window", "8", "9", "12", "--batch-size", "16")
    assert "12 time steps are too few for windows of 8" in msg
    # 120 steps: 72 training steps → 65 full-grid windows of 8 steps. inspect warns ...
    path = _write(tmp_path, climate(n_time=120, lon=np.arange(0, 60, 5.0)), "b.nc")
    assert main(["inspect", path, "--window", "8", "9", "12", "--batch-size", "66"]) == 0
    assert (
        "warning: the training split has fewer windows than one batch (66)"
        in capsys.readouterr().out
    )
    # ... and fit refuses.
    code = main(
        [
            "fit",
            "--data.path",
            path,
            "--data.batch_size",
            "66",
            "--trainer.default_root_dir",
            str(tmp_path),
            "--trainer.max_steps",
            "1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "only 65 distinct windows, fewer than one batch of 66" in err


def test_all_nan_variable(tmp_path, capsys):
    ds = climate(n_time=100, variables=("tas", "uas"))
    ds["uas"][:] = np.nan
    msg = _error(capsys, _write(tmp_path, ds))
    assert "'uas'" in msg and "entirely missing" in msg


def test_non_numeric_variable(tmp_path, capsys):
    ds = climate()
    ds["station"] = ("time", np.array(["a"] * 40, dtype=object))
    msg = _error(capsys, _write(tmp_path, ds), "--variables", "station")
    assert "'station'" in msg and "not a number" in msg


def test_time_not_monotonic(tmp_path, capsys):
    ds = climate()
    ds = ds.isel(time=[*range(20), 25, *range(21, 25), *range(26, 40)])
    msg = _error(capsys, _write(tmp_path, ds))
    assert "not strictly increasing" in msg and "sort the data" in msg


def test_overlapping_files(tmp_path, capsys):
    whole = climate(n_time=40)
    _write(tmp_path, whole.isel(time=slice(0, 25)), "p1.nc")
    _write(tmp_path, whole.isel(time=slice(20, 40)), "p2.nc")
    assert "not strictly increasing" in _error(capsys, str(tmp_path / "p*.nc"))


def test_glob_matching_nothing(tmp_path, capsys):
    assert "no file matches" in _error(capsys, str(tmp_path / "*.nc"))


def test_select_value_not_in_file(tmp_path, capsys):
    ds = climate()["tas"].expand_dims(level=[850, 500]).to_dataset()
    msg = _error(capsys, _write(tmp_path, ds), "--select", "level=700")
    assert "level=700.0 is not in the file" in msg and "850" in msg
