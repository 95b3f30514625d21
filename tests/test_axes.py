"""Axes found by CF evidence, an explicit mapping that wins, fields chosen by structure."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest

from stgan.cli import main
from stgan.errors import StganError
from stgan.io.source import GridSource


def _write(path, dims, coords=(), *, fields=("h",), var_attrs=None, global_attrs=None, extra=None):
    """A file written with netCDF4 itself: ``dims`` [(name, size)], ``coords`` [(name, values, attrs)]."""
    rng = np.random.default_rng(0)
    with netCDF4.Dataset(path, "w") as nc:
        for name, size in dims:
            nc.createDimension(name, size)
        for name, values, attrs in coords:
            var = nc.createVariable(name, "f8", (name,))
            var.setncatts(attrs)
            var[:] = values
        grid = [(d, n) for d, n in dims if d != "bnds"]
        for name in fields:
            var = nc.createVariable(name, "f4", tuple(d for d, _ in grid))
            var.setncatts(var_attrs or {})
            var[:] = rng.normal(size=[n for _, n in grid])
        for name, (vdims, values, attrs) in (extra or {}).items():
            var = nc.createVariable(name, "f8", vdims)
            var.setncatts(attrs)
            var[:] = values
        nc.setncatts(global_attrs or {})
    return str(path)


def test_latitude_and_longitude_found_by_units_alone(tmp_path):
    # Ferret style: the names say nothing, the units say all (in any case).
    path = _write(
        tmp_path / "f.nc",
        [("TIME", 30), ("FNOCY", 8), ("FNOCX", 12)],
        [
            ("TIME", np.arange(30) * 24.0, {"units": "hours since 1800-01-01"}),
            ("FNOCY", np.linspace(-30, 30, 8), {"units": "Degrees_North"}),
            ("FNOCX", np.arange(0, 360, 30.0), {"units": "degrees_E"}),
        ],
        fields=("UWND", "VWND"),
        var_attrs={"units": "M/S"},
    )
    src = GridSource(path)
    assert src.dims == {"time": "TIME", "y": "FNOCY", "x": "FNOCX"}
    assert src.variables == ["UWND", "VWND"]
    assert src.periodic_x  # 12 × 30° cover the globe
    # Output coordinates say what they are, in CF's spelling.
    assert src.coords["y"].attrs == {
        "units": "degrees_north",
        "standard_name": "latitude",
        "axis": "Y",
    }
    assert src.coords["x"].attrs == {
        "units": "degrees_E",
        "standard_name": "longitude",
        "axis": "X",
    }


@pytest.mark.parametrize(
    "names", [("timestep", "y", "x"), ("T", "Y", "X"), ("Time", "south_north", "west_east")]
)
def test_names_alone_when_attributes_are_absent(tmp_path, names):
    t, y, x = names
    path = _write(tmp_path / "s.nc", [(t, 20), (y, 6), (x, 7)], [(t, np.arange(20) * 0.5, {})])
    src = GridSource(path)
    assert src.dims == {"time": t, "y": y, "x": x}
    # A dimension without a coordinate variable is written back as an index with its axis.
    assert src.coords["y"].attrs["axis"] == "Y" and src.coords["y"].values.tolist() == list(
        range(6)
    )


def test_explicit_mapping_wins_and_accepts_lat_lon_keys(tmp_path):
    path = _write(tmp_path / "m.nc", [("a", 20), ("b", 6), ("c", 7)])
    src = GridSource(path, dims={"time": "a", "lat": "b", "lon": "c"})
    assert src.dims == {"time": "a", "y": "b", "x": "c"}
    # It also overrules what the attributes say: here the file's axis attributes are swapped.
    path = _write(
        tmp_path / "w.nc",
        [("time", 20), ("lat", 6), ("lon", 7)],
        [("lat", np.arange(6.0), {"axis": "X"}), ("lon", np.arange(7.0), {"axis": "Y"})],
    )
    assert GridSource(path, dims={"y": "lat", "x": "lon"}).dims == {
        "time": "time",
        "y": "lat",
        "x": "lon",
    }


def test_undetectable_dimensions_name_every_dimension_and_the_fix(tmp_path, capsys):
    path = _write(
        tmp_path / "u.nc",
        [("a", 120), ("b", 6), ("c", 7)],
        [("b", np.arange(6.0), {"long_name": "row"})],
    )
    assert main(["inspect", path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    msg = err[0]
    assert "no 'time' dimension" in msg
    assert "a (120 points, no coordinate variable, no attributes)" in msg
    assert "b (6 points, long_name 'row')" in msg
    assert "--data.dims '{time: a, y: b, x: c}'" in msg
    # ... and that very mapping, given to inspect, works.
    assert main(["inspect", path, "--dims", "{time: a, y: b, x: c}"]) == 0
    assert "time ← 'a'" in capsys.readouterr().out


def test_mapping_naming_a_missing_dimension(tmp_path, capsys):
    path = _write(tmp_path / "m.nc", [("a", 20), ("b", 6), ("c", 7)])
    assert main(["inspect", path, "--dims", "{time: nope, y: b, x: c}"]) == 2
    msg = capsys.readouterr().err
    assert "data.dims maps 'time' to 'nope'" in msg and "['a', 'b', 'c']" in msg
    with pytest.raises(StganError, match="unknown key 'depth'"):
        GridSource(path, dims={"depth": "a"})
    assert main(["inspect", path, "--dims", "time"]) == 2
    assert "--dims takes a mapping" in capsys.readouterr().err


def test_two_dimensions_with_latitude_units_are_ambiguous(tmp_path):
    lat = {"units": "degrees_north"}
    path = _write(
        tmp_path / "a.nc",
        [("time", 10), ("lat1", 4), ("lat2", 4), ("lon", 5)],
        [("lat1", np.arange(4.0), lat), ("lat2", np.arange(4.0), lat)],
    )
    with pytest.raises(StganError, match=r"\['lat1', 'lat2'\] could all be 'y'") as err:
        GridSource(path)
    assert "--data.dims '{time: time, y: lat1, x: lon}'" in str(err.value)


def test_bounds_grid_mappings_and_off_grid_variables_are_skipped_with_reasons(tmp_path, capsys):
    path = _write(
        tmp_path / "c.nc",
        [("time", 120), ("lat", 6), ("lon", 8), ("bnds", 2)],
        [
            ("time", np.arange(120.0), {"units": "days since 2000-01-01", "bounds": "time_bnds"}),
            ("lat", np.linspace(-10, 10, 6), {"units": "degrees_north", "bounds": "lat_bnds"}),
            ("lon", np.linspace(0, 35, 8), {"units": "degrees_east"}),
        ],
        fields=("tos",),
        var_attrs={"grid_mapping": "crs"},
        extra={
            "time_bnds": (("time", "bnds"), np.zeros((120, 2)), {}),
            "lat_bnds": (("lat", "bnds"), np.zeros((6, 2)), {}),
            "lon_bnds": (("lon", "bnds"), np.zeros((8, 2)), {}),
            "crs": ((), 0.0, {"grid_mapping_name": "latitude_longitude"}),
            "area": (("lat", "lon"), np.ones((6, 8)), {"units": "m2"}),
        },
    )
    src = GridSource(path)
    assert src.variables == ["tos"]
    assert src.skipped == {
        "time_bnds": "cell bounds of 'time'",
        "lat_bnds": "cell bounds of 'lat'",
        "lon_bnds": "cell bounds (by its name)",
        "crs": "grid mapping of 'tos'",
        "area": "lacks the space-time axes (dims ('lat', 'lon'))",
    }
    assert main(["inspect", path, "--window", "4", "6", "8", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    assert "skipped time_bnds: cell bounds of 'time'" in out and "skipped area: lacks" in out


def test_units_from_global_attributes(tmp_path):
    coords = [("time", np.arange(20.0), {})]
    one = _write(
        tmp_path / "g.nc", [("time", 20), ("y", 4), ("x", 5)], coords, global_attrs={"units": "m"}
    )
    assert GridSource(one).var_attrs["h"]["units"] == "m"
    named = _write(
        tmp_path / "n.nc",
        [("time", 20), ("y", 4), ("x", 5)],
        coords,
        fields=("u", "v"),
        global_attrs={"u_units": "m s-1", "v_units": "m s-1", "u_long_name": "eastward wind"},
    )
    attrs = GridSource(named).var_attrs
    assert attrs["u"] == {"units": "m s-1", "long_name": "eastward wind"} and attrs["v"] == {
        "units": "m s-1"
    }
    # The variable's own attribute wins over a global one.
    own = _write(
        tmp_path / "o.nc",
        [("time", 20), ("y", 4), ("x", 5)],
        coords,
        var_attrs={"units": "K"},
        global_attrs={"units": "m"},
    )
    assert GridSource(own).var_attrs["h"]["units"] == "K"


def test_undecodable_calendar_is_named(tmp_path, capsys):
    path = _write(
        tmp_path / "cal.nc",
        [("time", 20), ("lat", 4), ("lon", 5)],
        [("time", np.arange(20.0), {"units": "days since 2000-01-01", "calendar": "martian"})],
    )
    assert main(["inspect", path]) == 2
    msg = capsys.readouterr().err
    assert "cftime cannot decode" in msg and "calendar 'martian'" in msg and "noleap" in msg


def test_fit_generate_evaluate_with_an_explicit_mapping(tmp_path):
    """A file whose dimensions say nothing trains with --data.dims; the generated file then
    names its axes, so evaluate finds them, and the real file's mapping goes to evaluate."""
    import xarray as xr
    from conftest import TINY_FIT, run_stgan

    path = _write(
        tmp_path / "u.nc", [("a", 80), ("b", 8), ("c", 8)], fields=("h",), var_attrs={"units": "m"}
    )
    mapping = "{time: a, y: b, x: c}"
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--data.path",
        path,
        "--data.dims",
        mapping,
        "--trainer.max_steps",
        "2",
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
    )
    ckpt = root / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    out = tmp_path / "gen.nc"
    run_stgan("generate", "--checkpoint", str(ckpt), "--num-samples", "4", "--output", str(out))
    with xr.open_dataset(out) as ds:
        assert ds["h"].dims == ("sample", "a", "b", "c") and ds["h"].attrs["units"] == "m"
        assert ds["b"].attrs["axis"] == "Y" and ds["c"].attrs["axis"] == "X"
    failed = run_stgan(
        "evaluate",
        "--real",
        path,
        "--generated",
        str(out),
        "--output-dir",
        str(tmp_path / "ev"),
        check=False,
    )
    assert failed.returncode == 2 and "--data.dims" in failed.stderr
    run_stgan(
        "evaluate",
        "--real",
        path,
        "--generated",
        str(out),
        "--output-dir",
        str(tmp_path / "ev"),
        "--dims",
        mapping,
    )
    assert (tmp_path / "ev" / "metrics.json").is_file()
