"""Time features of a run of steps: calendar month, position in the year, numeric time.

Date-dependent transforms (:mod:`stgan.data.transforms`) read these instead of dates, so the
same code serves training (the record's decoded time axis) and generation (the generated
file's dates), whatever the calendar: ``datetime64`` values and cftime objects of any CF
calendar alike. A numeric time axis (no dates) has only its values.
"""

from __future__ import annotations

from dataclasses import dataclass

import cftime
import numpy as np
import xarray as xr

from stgan.errors import StganError

# CF calendar names that mean the same calendar.
_SAME_CALENDAR = {"gregorian": "standard", "365_day": "noleap", "366_day": "all_leap"}


def _canonical(calendar: str) -> str:
    return _SAME_CALENDAR.get(calendar.lower(), calendar.lower())


@dataclass(frozen=True)
class TimeFeatures:
    """What date-dependent transforms need to know about each of T steps.

    Attributes
    ----------
    values : np.ndarray
        (T,) the decoded time values: ``datetime64``, cftime objects, or numbers.
    month : np.ndarray | None
        (T,) calendar month 1–12; None for a numeric time axis.
    year_fraction : np.ndarray | None
        (T,) position in the year in [0, 1): (day of year − 1 + time of day) / days in that
        year of the values' own calendar (360, 365 or 366); None for a numeric time axis.
    year : np.ndarray | None
        (T,) calendar year as a number (float64); None for a numeric time axis.
    day_fraction : np.ndarray | None
        (T,) time of day in [0, 1); None for a numeric time axis.
    """

    values: np.ndarray
    month: np.ndarray | None
    year_fraction: np.ndarray | None
    year: np.ndarray | None = None
    day_fraction: np.ndarray | None = None

    @classmethod
    def from_times(cls, values: np.ndarray) -> TimeFeatures:
        """Features of decoded time values (dates of any calendar, or plain numbers)."""
        values = np.asarray(values)
        try:
            dt = xr.DataArray(values, dims="t").dt
            month = dt.month.values.astype(np.int64)
        except (TypeError, AttributeError):  # numbers: no calendar
            return cls(values=values, month=None, year_fraction=None)
        seconds = dt.hour.values * 3600.0 + dt.minute.values * 60.0 + dt.second.values
        day = dt.dayofyear.values - 1 + seconds / 86400.0
        return cls(
            values=values,
            month=month,
            year_fraction=day / dt.days_in_year.values,
            year=dt.year.values.astype(np.float64),
            day_fraction=seconds / 86400.0,
        )

    @property
    def dated(self) -> bool:
        """True when the values are dates (they have calendar months)."""
        return self.month is not None

    @property
    def calendar(self) -> str | None:
        """The values' CF calendar (``proleptic_gregorian`` for datetime64), None if numeric."""
        if not self.dated or len(self) == 0:
            return None
        first = self.values[0]
        return getattr(first, "calendar", None) or "proleptic_gregorian"

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: slice) -> TimeFeatures:
        parts = (self.month, self.year_fraction, self.year, self.day_fraction)
        return TimeFeatures(self.values[index], *(None if p is None else p[index] for p in parts))

    def units_from(self, index: int) -> str:
        """``"days since <the date at index>"``: units whose zero is that step."""
        dt = xr.DataArray(self.values[index : index + 1], dims="t").dt
        y, m, d, hh, mm, ss = (
            int(getattr(dt, k).values[0])
            for k in ("year", "month", "day", "hour", "minute", "second")
        )
        return f"days since {y:04d}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}"

    def numeric(self, units: str | None, calendar: str | None) -> np.ndarray:
        """The steps as float64 numbers: ``units`` in ``calendar``, or the values themselves.

        ``units=None`` means a numeric time axis: the values are returned as they are. Dates
        in another calendar than ``calendar`` are read by their fields (year, month, day, …)
        as dates of ``calendar``, so a generated file in the training calendar gives the
        training's numbers.
        """
        if units is None:
            if self.dated:
                raise StganError(
                    "this model's time axis was numeric, but the steps given are dates; "
                    "give numeric times like the training data's"
                )
            return self.values.astype(np.float64)
        if not self.dated:
            raise StganError(
                f"this model measures time in {units!r} ({calendar} calendar), but the "
                "steps given have no dates; give dates (stgan generate --start-time)"
            )
        dates = self.values
        own = getattr(dates[0], "calendar", None)  # None for datetime64
        if own is None or _canonical(own) != _canonical(calendar):
            dates = self._in_calendar(calendar)
        return np.asarray(cftime.date2num(dates, units, calendar), dtype=np.float64)

    def _in_calendar(self, calendar: str) -> np.ndarray:
        dt = xr.DataArray(self.values, dims="t").dt
        fields = [
            getattr(dt, k).values for k in ("year", "month", "day", "hour", "minute", "second")
        ]
        out = np.empty(len(self), dtype=object)
        for i, f in enumerate(zip(*fields)):
            try:
                out[i] = cftime.datetime(*(int(v) for v in f), calendar=calendar)
            except ValueError:
                raise StganError(
                    f"the date {self.values[i]} does not exist in the {calendar} calendar "
                    "this model was trained in; give dates of that calendar"
                ) from None
        return out
