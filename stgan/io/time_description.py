"""The time axis of an input record: decoded, its step classified, and described as plain data.

A training record's time axis is summarised by :func:`describe_time` as plain data (stored in the
checkpoint): calendar, units, first and last stamps, and the kind of its step
(:func:`classify_step`: monthly, yearly, fixed or irregular, with gaps and where monthly stamps
sit in their period). :func:`time_text` says it in one line for people; :func:`check_coding` and
:func:`check_file_times` refuse units and calendars cftime cannot decode. Calendar arithmetic is
cftime's, so every CF calendar (``standard``, ``noleap``, ``360_day``, ``julian``, ...) behaves as
the data's producer meant it to. :mod:`stgan.io.timeaxis` continues a described axis with the
dates of generated windows.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import cftime
import numpy as np
import xarray as xr

from stgan.errors import StganError

# For messages only: which calendar names to suggest; cftime decides what is valid.
CF_CALENDARS = (
    "standard",
    "gregorian",
    "proleptic_gregorian",
    "noleap",
    "365_day",
    "all_leap",
    "366_day",
    "360_day",
    "julian",
)
# Stamps of a monthly axis within this distance of their period's midpoint are "mid-month"
# (files often round the midpoint to a whole day).
_MIDDLE_TOLERANCE = datetime.timedelta(days=1)


def check_coding(name: str, units: str, calendar: str | None, *, source: str = "") -> None:
    """Raise a StganError if cftime cannot decode dates with ``units`` in ``calendar``.

    ``source`` (a file name) is named in the message when given.
    """
    try:
        cftime.num2date(0, units, calendar or "standard")
    except Exception as err:  # cftime raises ValueError, TypeError, KeyError for bad strings
        where = f" in {source!r}" if source else ""
        raise StganError(
            f"time variable {name!r}{where} has units {units!r} and calendar {calendar!r}, which cftime "
            f"cannot decode ({err}); set its calendar attribute to a CF calendar "
            f"({', '.join(CF_CALENDARS)}) and its units to the form 'days since 1850-01-01', e.g. "
            f"`ncatted -a calendar,{name},o,c,standard FILE`"
        ) from None


def check_file_times(path: str | os.PathLike) -> None:
    """Raise a StganError naming a time variable of ``path`` that cftime cannot decode, if any."""
    try:
        ds = xr.open_dataset(path, engine="netcdf4", decode_times=False)
    except Exception:  # not readable at all: the caller's message says so
        return
    with ds:
        for name, var in ds.variables.items():
            units = var.attrs.get("units")
            if isinstance(units, str) and " since " in units:
                check_coding(str(name), units, var.attrs.get("calendar"), source=str(path))


def _is_dates(values: np.ndarray) -> bool:
    return np.issubdtype(values.dtype, np.datetime64) or (
        values.dtype == object and values.size > 0 and isinstance(values.flat[0], cftime.datetime)
    )


def _as_cftime(values: np.ndarray, calendar: str) -> list[cftime.datetime]:
    """Dates (datetime64 or cftime) as cftime datetimes of ``calendar``."""
    if np.issubdtype(values.dtype, np.datetime64):
        values = values.astype("datetime64[us]").astype(object)  # datetime.datetime
    return [
        cftime.datetime(
            d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond, calendar=calendar
        )
        for d in values
    ]


def _calendar_of(values: np.ndarray) -> str:
    if values.dtype == object:
        return values.flat[0].calendar or "standard"
    return "proleptic_gregorian"  # numpy datetime64 counts days that way


def _month_index(d: cftime.datetime) -> int:
    return d.year * 12 + d.month - 1


def _month_start(index: int, calendar: str) -> cftime.datetime:
    year, month = divmod(index, 12)
    return cftime.datetime(year, month + 1, 1, calendar=calendar)


def _days_in_month(index: int, calendar: str) -> int:
    return (_month_start(index + 1, calendar) - _month_start(index, calendar)).days


def _multiples(diffs: np.ndarray) -> tuple[float, np.ndarray] | None:
    """The smallest step and each step as a whole multiple of it, or None if some step is not."""
    base = float(diffs.min())
    if base <= 0:
        return None
    ratio = diffs / base
    mult = np.rint(ratio)
    return (base, mult) if np.allclose(ratio, mult, rtol=0, atol=1e-6) else None


def _fixed_or_irregular(diffs: np.ndarray, key: str) -> dict[str, Any]:
    found = _multiples(diffs)
    if found is None:
        return {"kind": "irregular", key: float(np.median(diffs)), "gaps": 0}
    base, mult = found
    return {"kind": "fixed", key: base, "gaps": int((mult > 1).sum())}


def _period_start(d: cftime.datetime, step_months: int, anchor_start: bool) -> int:
    """Month index of the start of the k-month period that holds the stamp ``d``."""
    if anchor_start:
        return _month_index(d)
    if step_months % 12 == 0:
        return _month_index(d) - (d.month - 1)  # yearly periods start in January
    return _month_index(d) - (step_months - 1) // 2  # a season is stamped in its middle month


def _seconds_of_day(d: cftime.datetime) -> float:
    return d.hour * 3600 + d.minute * 60 + d.second + d.microsecond / 1e6


def _anchor(dates: list[cftime.datetime], step_months: int) -> dict[str, Any]:
    """Where in its period each monthly stamp sits: start, a fixed day, end (last day), or middle."""
    cal = dates[0].calendar
    starts = all(d.day == 1 and _seconds_of_day(d) == 0 for d in dates)
    last = dates[-1]
    p_last = _period_start(last, step_months, starts)
    out = {
        "month_offset": _month_index(last) - p_last,
        "day": last.day,
        "seconds_of_day": _seconds_of_day(last),
    }
    if starts:
        return {**out, "anchor": "start"}
    if (
        len({(d.day, _seconds_of_day(d)) for d in dates}) == 1
    ):  # the same day and hour in each month
        return {**out, "anchor": "day"}

    def middle(d: cftime.datetime) -> cftime.datetime:
        p = _period_start(d, step_months, False)
        a, b = _month_start(p, cal), _month_start(p + step_months, cal)
        return a + (b - a) / 2

    if all(abs(d - middle(d)) <= _MIDDLE_TOLERANCE for d in dates):
        return {**out, "anchor": "middle"}
    if all(d.day == _days_in_month(_month_index(d), cal) for d in dates):
        return {**out, "anchor": "end"}
    return {**out, "anchor": "day"}  # no clear rule: the last stamp's day of the month


def _monthly(
    dates: list[cftime.datetime], months: np.ndarray, seconds: np.ndarray
) -> dict[str, Any] | None:
    """The description of a monthly (or yearly) axis, or None if the stamps do not step by months."""
    dm = np.diff(months)
    found = _multiples(dm.astype(float))
    if found is None:
        return None
    k = int(found[0])
    days = seconds / 86400
    # Each step must span about as many days as its months do, or daily data that happens to
    # change month every step (two stamps, Jan 31 and Feb 1) would count as monthly.
    if not ((days >= 26 * dm) & (days <= 33 * dm)).all():
        return None
    kind = "yearly" if k % 12 == 0 else "monthly"
    return {"kind": kind, "step_months": k, "gaps": int((found[1] > 1).sum()), **_anchor(dates, k)}


def classify_step(values: np.ndarray) -> dict[str, Any]:
    """The kind of step of a time axis of dates (datetime64 or cftime) or numbers.

    Returns a dict with ``kind``: ``"single"`` (one stamp), ``"monthly"`` or ``"yearly"`` (every
    step advances the calendar month, or year, by the same whole number ``step_months``; a gap is
    a step of a whole multiple of it), ``"fixed"`` (every step a whole multiple of the smallest,
    ``step_seconds``, or ``step`` for a numeric axis) or ``"irregular"`` (``step_seconds``/``step``
    then holds the median step). ``gaps`` counts steps that are a multiple > 1 of the step.
    Monthly and yearly axes also say where each stamp sits in its period (``anchor``: ``start``,
    ``middle``, ``end`` or ``day``, with the last stamp's ``month_offset``, ``day`` and
    ``seconds_of_day``).
    """
    values = np.asarray(values)
    if values.size < 2:
        return {"kind": "single", "gaps": 0}
    if not _is_dates(values):
        return _fixed_or_irregular(np.diff(values.astype(float)), "step")
    if np.issubdtype(values.dtype, np.datetime64):
        seconds = np.diff(values).astype("timedelta64[us]").astype(np.int64) / 1e6
        months = values.astype("datetime64[M]").astype(np.int64)
    else:
        cal = _calendar_of(values)
        seconds = np.diff(cftime.date2num(values, "seconds since 1970-01-01", cal).astype(float))
        months = np.array([_month_index(d) for d in values])
    if months[-1] - months[0] >= len(values) - 1:  # at least a month per step: worth a closer look
        monthly = _monthly(_as_cftime(values, _calendar_of(values)), months, seconds)
        if monthly:
            return monthly
    return _fixed_or_irregular(seconds, "step_seconds")


def _plain(value: Any) -> str | int | float:
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, (str, int, float)) else str(value)


def describe_time(
    values: np.ndarray, encoding: dict[str, Any], attrs: dict[str, Any]
) -> dict[str, Any]:
    """A plain (JSON-able) description of a time axis, enough to continue it later.

    Parameters
    ----------
    values : numpy.ndarray
        The decoded time coordinate: datetime64, cftime datetimes, or numbers.
    encoding : dict
        The coordinate's ``.encoding`` (``units``, ``calendar`` of the file).
    attrs : dict
        The coordinate's attributes (``long_name``, ...; for an undecoded axis also ``units``).

    Returns
    -------
    dict
        ``calendar`` (CF name, None for a numeric axis), ``units``, ``first``/``last`` (ISO
        strings in the calendar, or floats), ``attrs`` (the other attributes) and the
        classification of :func:`classify_step`.

    Raises
    ------
    StganError
        If the units or calendar are ones cftime cannot decode.
    """
    values = np.asarray(values)
    units = encoding.get("units") or attrs.get("units")
    calendar = encoding.get("calendar") or attrs.get("calendar")
    if not _is_dates(values) and isinstance(units, str) and " since " in units:
        check_coding("time", units, calendar)  # left undecoded: decode it here
        values = np.asarray(cftime.num2date(values, units, calendar or "standard"))
    extra = {
        k: _plain(v)
        for k, v in attrs.items()
        if k not in ("units", "calendar", "bounds", "_FillValue", "missing_value")
    }
    step = classify_step(values)
    if not _is_dates(values):
        return {
            "calendar": None,
            "units": None if units is None else str(units),
            "attrs": extra,
            "first": float(values[0]),
            "last": float(values[-1]),
            **step,
        }
    calendar = str(
        calendar or (values.flat[0].calendar if values.dtype == object else "standard")
    ).lower()
    dates = _as_cftime(values[[0, -1]], calendar)
    if not (isinstance(units, str) and " since " in units):
        units = f"days since {dates[0].strftime('%Y-%m-%d')}"
    check_coding("time", units, calendar)
    return {
        "calendar": calendar,
        "units": units,
        "attrs": extra,
        "first": dates[0].isoformat(),
        "last": dates[1].isoformat(),
        **step,
    }


def _duration(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds / size
            return f"{n:g} {unit}{'' if n == 1 else 's'}"
    return f"{seconds:g} s"


def time_text(desc: dict[str, Any]) -> str:
    """One line for people: ``monthly (1 month), calendar noleap, units days since 1850-01-01``."""
    kind = desc["kind"]
    numeric = desc["calendar"] is None
    if kind == "single":
        text = "single time stamp"
    elif kind in ("monthly", "yearly"):
        k = desc["step_months"]
        n, unit = (k // 12, "year") if kind == "yearly" else (k, "month")
        where = {
            "start": "at the start of each",
            "middle": "mid-period",
            "end": "on the last day",
            "day": f"on day {desc['day']}",
        }[desc["anchor"]]
        text = f"{kind} ({n} {unit}{'' if n == 1 else 's'}, stamped {where})"
    else:
        step = desc["step"] if numeric else desc["step_seconds"]
        size = f"{step:g}" if numeric else _duration(step)
        text = f"fixed {size}" if kind == "fixed" else f"irregular (median step {size})"
    if desc.get("gaps"):
        text += f", {desc['gaps']} gap{'' if desc['gaps'] == 1 else 's'}"
    if numeric:
        return text + (
            f", numeric time in {desc['units']}"
            if desc["units"]
            else ", numeric time without units"
        )
    return text + f", calendar {desc['calendar']}, units {desc['units']}"
