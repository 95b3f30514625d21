"""Small NetCDF files in the conventions real climate archives use, written with netCDF4 directly.

Each ``write_*`` function writes one file the way the tool of that convention would (not the way
xarray's encoder would), so that what stgan reads is what users have: upper-case Ferret axes
found only by their units, CMIP packed integers with bounds and model calendars, GrADS ``T/Y/X``,
a station grid whose units sit in the global attributes, mid-month stamps, a land mask, a
rotated-pole grid. The fields are smooth in space and time with some noise (a few grid points
of correlation length, AR-like persistence), so that the data look like weather, not white noise.

:data:`FIXTURES` maps a short name to each writer; :data:`BAD_INPUTS` does the same for files
stgan must refuse with a clear message. Every writer takes the output path and returns it. The
writers live in one module per family of conventions: :mod:`cf_archives` (Ferret, CMIP,
GrADS), :mod:`cf_grids` (station, land-masked, rotated pole) and :mod:`cf_time_axes` (monthly
means and the refused time axes), with their shared parts in :mod:`cf_parts`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from cf_archives import write_cmip, write_ferret, write_grads
from cf_grids import write_rotated_pole, write_sst_masked, write_station
from cf_time_axes import write_bad_calendar, write_monthly, write_no_time_axis, write_two_time_axes

FIXTURES: dict[str, Callable[[str | Path], Path]] = {
    "ferret": write_ferret,
    "cmip_360_day": partial(write_cmip, calendar="360_day"),
    "cmip_noleap": partial(write_cmip, calendar="noleap"),
    "grads": write_grads,
    "station": write_station,
    "monthly": write_monthly,
    "sst_masked": write_sst_masked,
    "rotated_pole": write_rotated_pole,
}

BAD_INPUTS: dict[str, Callable[[str | Path], Path]] = {
    "no_time_axis": write_no_time_axis,
    "two_time_axes": write_two_time_axes,
    "bad_calendar": write_bad_calendar,
}
