"""One test of latitude/longitude degrees (stgan.io.degrees), shared by reading, area weights
and maps, and light enough that the plots import it without torch."""

from __future__ import annotations

import doctest
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import stgan.io.degrees
from stgan.io.axes import array_axes
from stgan.io.degrees import degree_units, is_degrees
from stgan.io.source import GridSource
from stgan.plots.geo import is_lat_lon


def _coord(name: str, **attrs: str) -> xr.DataArray:
    return xr.DataArray(np.linspace(-60.0, 60.0, 4), dims=name, attrs=attrs)


# (dimension name, attributes, latitude?) — CF conventions §4.1: degrees_north in any of
# cf-xarray's six spellings, or standard_name; a rotated pole's "degrees" is not a latitude.
LATITUDES = [
    ("lat", {}, True),  # a bare name without units means degrees
    ("latitude", {}, True),
    ("lat", {"units": "m"}, False),  # the name alone does not outvote metres
    ("FNOCY", {"units": "Degrees_North"}, True),  # units in another case
    ("y", {"units": "degreeN"}, True),
    ("y", {"units": "DEGREES_N"}, True),
    ("y", {"standard_name": "latitude"}, True),
    ("rlat", {"units": "degrees"}, False),
    ("y", {"units": "degrees_east"}, False),  # a longitude is not a latitude
    ("y", {}, False),
]


@pytest.mark.parametrize(("name", "attrs", "expected"), LATITUDES)
def test_latitudes_are_told_by_standard_name_units_in_any_case_or_a_bare_name(
    name, attrs, expected
):
    coord = _coord(name, **attrs)
    assert is_degrees(coord, name, "latitude") is expected


def test_degree_units_are_spelled_as_cf_xarray_spells_them():
    assert degree_units("Degrees_North", "latitude") == "degrees_north"
    assert degree_units("DEGREE_E", "longitude") == "degree_E"
    assert degree_units("degrees_north", "longitude") is None
    assert degree_units(None, "latitude") is None
    assert is_degrees(None, "lat", "latitude") is False  # no coordinate: no degrees


def test_reading_plotting_and_weighting_agree_on_a_grid_in_odd_case():
    ds = xr.Dataset(
        {"tas": (("time", "Y", "X"), np.zeros((3, 4, 5), dtype=np.float32))},
        coords={
            "Y": ("Y", np.linspace(-60.0, 60.0, 4), {"units": "Degrees_North"}),
            "X": ("X", np.arange(5.0) * 72, {"units": "DEGREES_E"}),
        },
    )
    assert is_lat_lon(ds["tas"], "Y", "X")
    assert array_axes(ds["tas"]) == {"time": "time", "y": "Y", "x": "X"}
    # The reader writes CF's spelling, which every test above then reads as degrees too.
    source = GridSource(ds)
    lat, lon = source.coords["y"], source.coords["x"]
    assert (lat.attrs["standard_name"], lat.attrs["units"]) == ("latitude", "degrees_north")
    assert (lon.attrs["standard_name"], lon.attrs["units"]) == ("longitude", "degrees_east")


def test_the_docstring_examples_run():
    failed, attempted = doctest.testmod(stgan.io.degrees, verbose=False)
    assert attempted >= 2 and failed == 0


def test_the_plots_import_without_torch():
    script = (
        "import sys, stgan.plots, stgan.plots.geo, stgan.io.degrees; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
