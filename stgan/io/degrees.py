"""Latitude and longitude in degrees: which coordinates hold them, and how CF spells their units.

The one test stgan uses wherever it matters whether a grid is geographic: reading (a
coordinate gets CF's ``standard_name`` and ``units``), area weights (cos latitude) and maps
(geographic axes). The units are cf-xarray's table (``degrees_north``, ``degree_N``, ...),
compared case-insensitively since files write ``Degrees_North``. This module needs only
xarray and cf-xarray, so that :mod:`stgan.plots` can use it without importing torch.
"""

from __future__ import annotations

from typing import Any

import xarray as xr
from cf_xarray.criteria import coordinate_criteria


def degree_units(units: Any, standard_name: str) -> str | None:
    """How cf-xarray spells ``units`` if they are degrees of ``standard_name``, else None.

    Parameters
    ----------
    units : object
        A ``units`` attribute (None when absent), in any case.
    standard_name : {"latitude", "longitude"}
        Degrees north or degrees east.

    Examples
    --------
    >>> degree_units("Degrees_North", "latitude"), degree_units("m", "latitude")
    ('degrees_north', None)
    """
    lowered = str(units).lower()
    known = coordinate_criteria[standard_name]["units"]
    return next((spelling for spelling in known if spelling.lower() == lowered), None)


def is_degrees(coord: xr.DataArray | None, name: str, standard_name: str) -> bool:
    """Whether a coordinate holds true latitudes or longitudes in degrees, not a projection.

    Parameters
    ----------
    coord : xr.DataArray or None
        The coordinate (None: the dimension has none, so it holds no degrees).
    name : str
        The dimension's name: a bare ``lat``/``latitude`` (``lon``/``longitude``) without
        units counts, since such files exist and mean degrees.
    standard_name : {"latitude", "longitude"}
        Which of the two to test for; the ``standard_name`` attribute or degree units
        (:func:`degree_units`) say it too.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rlat = xr.DataArray(np.zeros(3), dims="rlat", attrs={"units": "degrees"})
    >>> is_degrees(rlat, "rlat", "latitude"), is_degrees(rlat.drop_attrs(), "lat", "latitude")
    (False, True)
    """
    if coord is None:
        return False
    attrs = coord.attrs
    if attrs.get("standard_name") == standard_name or degree_units(
        attrs.get("units"), standard_name
    ):
        return True
    return "units" not in attrs and name.lower() in {standard_name, standard_name[:3]}
