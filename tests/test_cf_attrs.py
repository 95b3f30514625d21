"""Attributes and encodings written as CF wants them."""

from __future__ import annotations

import netCDF4
import numpy as np
import xarray as xr

from stgan.io.netcdf import field_attrs, write_netcdf


def test_units_udunits_knows_only_in_lower_case_are_lowered():
    # "M/S" is not UDUNITS (M is no unit); "m/s" is. Valid units are left exactly as they are.
    assert field_attrs("u", {"units": "M/S", "long_name": "zonal wind"}) == {
        "units": "m/s",
        "long_name": "zonal wind",
        "original_units": "M/S",
    }
    assert field_attrs("t", {"units": "degC", "standard_name": "air_temperature"}) == {
        "units": "degC",
        "standard_name": "air_temperature",
    }
    assert (
        field_attrs("x", {"units": "furlongs per fortnight!"})["units"] == "furlongs per fortnight!"
    )


def test_a_variable_without_names_gets_its_name_as_long_name():
    assert field_attrs("sst", {"units": "K"}) == {"units": "K", "long_name": "sst"}


def test_coordinates_are_written_without_fill_values(tmp_path):
    ds = xr.Dataset(
        {"v": (("t", "lat"), np.zeros((2, 3), np.float32))},
        coords={"t": [0.0, 1.0], "lat": ("lat", [1.0, 2.0, 3.0], {"units": "degrees_north"})},
    )
    write_netcdf(ds, tmp_path / "a.nc")
    with netCDF4.Dataset(tmp_path / "a.nc") as nc:
        assert "_FillValue" not in nc["lat"].ncattrs() and "_FillValue" not in nc["t"].ncattrs()
        assert "_FillValue" in nc["v"].ncattrs()  # data keep NaN as the fill value


def test_attributes_false_of_samples_are_not_carried():
    attrs = {
        "units": "K",
        "long_name": "air",
        "actual_range": [250.0, 310.0],
        "valid_min": 0,
        "scale_factor": 0.01,
        "add_offset": 273.15,
        "_FillValue": -32767,
        "grid_mapping": "rotated_pole",
        "coordinates": "lat lon",
        "cell_methods": "time: mean",
    }
    assert field_attrs("tas", attrs) == {
        "units": "K",
        "long_name": "air",
        "cell_methods": "time: mean",
    }
