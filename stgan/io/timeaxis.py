"""The dates that continue a described time axis: the time coordinate of generated windows.

:func:`output_times` turns the summary of a training record's time axis
(:func:`stgan.io.time_description.describe_time`, stored in the checkpoint) back into the time
coordinate of generated windows: absolute dates in the record's calendar and units that continue
one step after its last stamp (or start at a given date), with month bounds for monthly and
yearly data. Calendar arithmetic is cftime's, so every CF calendar (``standard``, ``noleap``,
``360_day``, ``julian``, ...) behaves as the data's producer meant it to.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import cftime
import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.time_description import (
    _days_in_month,
    _duration,
    _month_index,
    _month_start,
    _period_start,
)


@dataclass
class OutputTime:
    """The time coordinate of generated windows, ready to put in a dataset.

    ``values`` are decoded as ``xr.open_dataset`` would decode the written file; ``encoding``
    writes them in the record's units and calendar; ``bounds`` is (length, 2) or None;
    ``months`` (1–12 per step, None for a numeric axis) serve monthly-anomaly models; ``note``
    says what was assumed, if anything.
    """

    values: np.ndarray
    attrs: dict[str, Any]
    encoding: dict[str, Any]
    bounds: np.ndarray | None = None
    months: np.ndarray | None = None
    note: str | None = None


def _parse_iso(iso: str, calendar: str) -> cftime.datetime:
    return cftime.num2date(0, f"days since {iso}", calendar)


def _parse_start(start_time: str, desc: dict[str, Any]) -> cftime.datetime:
    try:  # cftime parses and validates the date in the calendar (2030-02-30 is a 360_day date)
        return _parse_iso(start_time, desc["calendar"])
    except Exception:
        raise StganError(
            f"--start-time {start_time!r} is not a date of the {desc['calendar']} calendar; "
            "give one like 2001-07-01 or 2001-07-01T06:00"
        ) from None


def _monthly_dates(
    desc: dict[str, Any], length: int, start: cftime.datetime | None
) -> tuple[list[cftime.datetime], list[list[cftime.datetime]]]:
    """Stamps and bounds of ``length`` periods after the record's last one (or holding ``start``)."""
    cal, k = desc["calendar"], desc["step_months"]
    last = _parse_iso(desc["last"], cal)
    p_last = _period_start(last, k, desc["anchor"] == "start")
    if start is None:
        p0 = p_last + k
    else:  # the period holding start, in step with the record's periods (seasons, water years)
        p0 = _month_index(start) - (_month_index(start) - p_last) % k
    stamps, bounds = [], []
    for i in range(length):
        p = p0 + i * k
        a, b = _month_start(p, cal), _month_start(p + k, cal)
        if desc["anchor"] == "start":
            stamp = a
        elif desc["anchor"] == "middle":
            stamp = a + (b - a) / 2
        else:
            m = p + desc["month_offset"]
            last_day = _days_in_month(m, cal)
            day = last_day if desc["anchor"] == "end" else min(desc["day"], last_day)
            stamp = _month_start(m, cal).replace(day=day) + datetime.timedelta(
                seconds=desc["seconds_of_day"]
            )
        stamps.append(stamp)
        bounds.append([a, b])
    return stamps, bounds


def _decode(numbers: np.ndarray, dims: tuple[str, ...], units: str, calendar: str) -> np.ndarray:
    """Numbers in ``units`` → dates exactly as xarray decodes them from a file."""
    coder = xr.coders.CFDatetimeCoder()
    return coder.decode(xr.Variable(dims, numbers, {"units": units, "calendar": calendar})).values


def output_times(
    desc: dict[str, Any],
    length: int,
    start_time: str | None = None,
    *,
    bounds_name: str = "time_bnds",
) -> OutputTime:
    """The time coordinate of ``length`` generated steps, continuing the described record.

    Dates continue one step after the record's last stamp, or start at ``start_time`` (parsed in
    the record's calendar: ``2030-02-30`` is valid in ``360_day``), in the record's calendar and
    units. Monthly and yearly records step by calendar months, stamped where the record's stamps
    sit (start, middle, last day, or a fixed day of the month), with ``bounds`` (the periods'
    month starts); with ``start_time`` they begin with the period that holds it. Irregular records
    step by their median step (``note`` says so). A numeric axis continues numerically after its
    last value.

    Raises
    ------
    StganError
        If ``start_time`` is given for a numeric axis or is not a date of the calendar.
    """
    kind, cal, units = desc["kind"], desc["calendar"], desc["units"]
    attrs = dict(desc.get("attrs", {}))
    note = None
    if kind == "irregular":
        step = desc["step"] if cal is None else _duration(desc["step_seconds"])
        note = f"the training time axis is irregular; generated steps are its median step, {step}"
    if cal is None:
        if start_time is not None:
            raise StganError(
                "--start-time needs a training time axis of dates, but this model's time "
                "axis is numeric (no 'units: <unit> since <date>'); leave --start-time out"
            )
        if kind == "single":
            values = np.arange(length, dtype=float)
            note = (
                "the training record has a single time stamp; generated steps are numbered from 0"
            )
        else:
            values = desc["last"] + desc["step"] * np.arange(1, length + 1)
        if units:  # CF asks a time axis for units: without them the name has to tell
            attrs.update(units=units, axis="T")
        return OutputTime(values, attrs, {"dtype": "float64", "_FillValue": None}, note=note)
    start = None if start_time is None else _parse_start(start_time, desc)
    bounds = None
    if kind in ("monthly", "yearly"):
        dates, bounds = _monthly_dates(desc, length, start)
    else:
        if kind == "single":
            step = datetime.timedelta(days=1)
            note = "the training record has a single time stamp; generated steps are one day apart"
        else:
            step = datetime.timedelta(seconds=desc["step_seconds"])
        first = start if start is not None else _parse_iso(desc["last"], cal) + step
        dates = [first + i * step for i in range(length)]
    numbers = cftime.date2num(dates, units, cal)
    values = _decode(np.asarray(numbers, dtype=float), ("time",), units, cal)
    attrs.update(standard_name="time", axis="T")
    if bounds is not None:
        attrs["bounds"] = bounds_name
        bounds = _decode(
            np.asarray(cftime.date2num(bounds, units, cal), dtype=float),
            ("time", "bnds"),
            units,
            cal,
        )
    encoding = {"units": units, "calendar": cal, "dtype": "float64", "_FillValue": None}
    months = np.array([d.month for d in dates], dtype=np.int64)
    return OutputTime(values, attrs, encoding, bounds, months, note)
