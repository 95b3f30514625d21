"""Which dimension of a variable is time, y (latitude, rows) and x (longitude, columns).

The evidence is CF's, read by cf-xarray (``ds.cf.axes`` and ``ds.cf.coordinates``): the
``axis`` attribute, ``standard_name``, ``units`` (``degrees_north``, ``degree_E``, ``... since
...``; compared case-insensitively) and ``_CoordinateAxisType``, then cf-xarray's guesses from
names (``TIME``, ``timestep``, ``T``, ``Y``, ``lat``, ...). A time coordinate xarray decoded
into dates counts as time. An explicit mapping (``--data.dims '{time: timestep, y: FNOCY}'``)
always wins. Evidence from attributes outranks evidence from names; two dimensions with
evidence of the same rank for one role, or a role no dimension has evidence for, is a
:class:`~stgan.errors.StganError` that lists every dimension with its attributes and prints the
mapping that would fix it, on one line.
"""

from __future__ import annotations

from collections.abc import Mapping

import cf_xarray  # noqa: F401  (registers the .cf accessor)
import numpy as np
import xarray as xr

from stgan.errors import StganError
from stgan.io.degrees import degree_units

ROLES = ("time", "y", "x")
AXIS = {"time": "T", "y": "Y", "x": "X"}
# Keys a user may write in a dims mapping, for each role.
ALIASES = {
    "time": "time",
    "t": "time",
    "y": "y",
    "lat": "y",
    "latitude": "y",
    "rlat": "y",
    "x": "x",
    "lon": "x",
    "longitude": "x",
    "rlon": "x",
}
_WHAT = {"time": "time", "y": "latitude or grid rows", "x": "longitude or grid columns"}
# cf-xarray's coordinate keys that also tell a role.
_COORDINATE_ROLE = {"time": "time", "latitude": "y", "longitude": "x"}
# Names cf-xarray's patterns miss: WRF's staggered-grid dimensions.
_MORE_NAMES = {"y": {"south_north"}, "x": {"west_east"}}
_ATTRS = ("axis", "standard_name", "units", "_CoordinateAxisType", "positive", "long_name")


def normalise_mapping(dims: Mapping[str, str] | None) -> dict[str, str]:
    """``{role or alias: dimension}`` → ``{role: dimension}``, with unknown keys refused."""
    out: dict[str, str] = {}
    for key, dim in (dims or {}).items():
        role = ALIASES.get(str(key).lower())
        if role is None:
            raise StganError(
                f"data.dims: unknown key {key!r}; use time, y (or lat) and x (or lon), "
                f"e.g. --data.dims '{{time: TIME, y: LAT, x: LON}}'"
            )
        if role in out and out[role] != dim:
            raise StganError(
                f"data.dims names two dimensions for {role!r}: {out[role]!r} and {dim!r}"
            )
        out[role] = str(dim)
    return out


def _canonical_units(units: str) -> str:
    """Units written in another case (``Degrees_North``) as cf-xarray's tables spell them."""
    return degree_units(units, "latitude") or degree_units(units, "longitude") or units


def _probe(ds: xr.Dataset, sizes: Mapping[str, int], dims: tuple[str, ...]) -> xr.Dataset:
    """A dataset of just the dimensions' coordinates, attributes as CF evidence.

    A dimension without a coordinate variable gets an index coordinate (its name is then the
    only evidence); decoded times get their ``units`` back from the encoding.
    """
    coords = {}
    for dim in dims:
        if dim in ds.variables and ds[dim].dims == (dim,):
            var = ds[dim]
            attrs = {k: str(v) for k, v in var.attrs.items() if k in _ATTRS}
            units = var.encoding.get("units")
            if units and "units" not in attrs:
                attrs["units"] = str(units)
            if "units" in attrs:
                attrs["units"] = _canonical_units(attrs["units"])
            coords[dim] = xr.Variable(dim, np.arange(sizes[dim]), attrs)
        else:
            coords[dim] = xr.Variable(dim, np.arange(sizes[dim]))
    return xr.Dataset(coords=coords)


def _is_dates(ds: xr.Dataset, dim: str) -> bool:
    if dim not in ds.variables:
        return False
    var = ds[dim]
    return np.issubdtype(var.dtype, np.datetime64) or (
        var.dtype == object and var.size > 0 and hasattr(var.values.flat[0], "calendar")
    )


def _evidence(probe: xr.Dataset) -> dict[str, set[str]]:
    """Role → dimensions that the CF attributes (and decoded dates) point to."""
    found: dict[str, set[str]] = {role: set() for role in ROLES}
    for role in ROLES:
        found[role] |= set(probe.cf.axes.get(AXIS[role], []))
    for key, role in _COORDINATE_ROLE.items():
        found[role] |= set(probe.cf.coordinates.get(key, []))
    return found


def _guesses(probe: xr.Dataset) -> dict[str, set[str]]:
    """Role → dimensions that cf-xarray's name patterns point to."""
    bare = xr.Dataset(coords={d: xr.Variable(d, probe[d].values) for d in probe.dims})
    guessed = bare.cf.guess_coord_axis()
    found: dict[str, set[str]] = {role: set() for role in ROLES}
    for role in ROLES:
        found[role] |= set(guessed.cf.axes.get(AXIS[role], []))
    for key, role in _COORDINATE_ROLE.items():
        found[role] |= set(guessed.cf.coordinates.get(key, []))
    for role, names in _MORE_NAMES.items():
        found[role] |= {d for d in probe.dims if str(d).lower() in names}
    return found


def describe_dims(ds: xr.Dataset, sizes: Mapping[str, int], dims: tuple[str, ...]) -> str:
    """Each dimension with its size and the attributes that could tell its role, on one line."""
    lines = []
    for dim in dims:
        attrs = {}
        if dim in ds.variables:
            attrs = {k: v for k, v in ds[dim].attrs.items() if k in _ATTRS}
            if "units" not in attrs and ds[dim].encoding.get("units"):
                attrs["units"] = ds[dim].encoding["units"]
        shown = ", ".join(f"{k} {v!r}" for k, v in attrs.items()) if attrs else "no attributes"
        coord = "" if dim in ds.variables else ", no coordinate variable"
        lines.append(f"{dim} ({sizes[dim]} points{coord}, {shown})")
    return "dimensions: " + "; ".join(lines)


def _fix(assigned: dict[str, str], dims: tuple[str, ...], hints: dict[str, set[str]]) -> str:
    """The mapping flag that would settle the roles: what is known, then each role's likeliest
    dimension by the evidence (``hints``), then the rest in the usual (…, time, y, x) order."""
    guess = dict(assigned)
    for role in ROLES:
        options = [d for d in sorted(hints.get(role, ())) if d not in guess.values()]
        if role not in guess and options:
            guess[role] = options[0]
    free = [d for d in dims if d not in guess.values()]
    for role in reversed(ROLES):
        if role not in guess and free:
            guess[role] = free.pop()
    body = ", ".join(f"{role}: {guess[role]}" for role in ROLES if role in guess)
    return f"--data.dims '{{{body}}}'"


def _ambiguous(
    ds: xr.Dataset,
    da: xr.DataArray,
    role: str,
    candidates: list[str],
    assigned: dict[str, str],
    hints: dict[str, set[str]],
) -> None:
    names = tuple(str(d) for d in da.dims)
    known = {r: d for r, d in assigned.items() if d not in candidates}
    raise StganError(
        f"variable {da.name!r}: dimensions {candidates} could all be {role!r} ({_WHAT[role]}); "
        f"{describe_dims(ds, da.sizes, names)}; say which one with {_fix(known, names, hints)} "
        f"(YAML: data: {{dims: ...}}), or give the coordinate an 'axis' attribute ({AXIS[role]})"
    )


def find_axes(
    ds: xr.Dataset,
    da: xr.DataArray,
    dims: Mapping[str, str] | None = None,
    *,
    extra_ok: bool = False,
) -> dict[str, str]:
    """Map the roles ``time``, ``y``, ``x`` to dimension names of ``da``.

    Parameters
    ----------
    ds : xr.Dataset
        The dataset ``da`` belongs to (its coordinates carry the evidence).
    da : xr.DataArray
        The variable whose dimensions are sorted out.
    dims : mapping | None
        Explicit ``{role: dimension}`` (aliases ``lat``, ``lon``, ``t`` accepted); always wins.
    extra_ok : bool
        Accept dimensions beyond the three roles (else they are an error).

    Raises
    ------
    StganError
        A role without a dimension, two dimensions for one role, a mapping naming a dimension
        the variable lacks, or (unless ``extra_ok``) extra dimensions.
    """
    names = tuple(str(d) for d in da.dims)
    explicit = normalise_mapping(dims)
    for role, dim in explicit.items():
        if dim not in names:
            raise StganError(
                f"data.dims maps {role!r} to {dim!r}, but variable {da.name!r} has dimensions "
                f"{list(names)}; use one of those"
            )
    assigned = dict(explicit)
    rest = tuple(d for d in names if d not in assigned.values())
    probe = _probe(ds, da.sizes, rest)
    strong = _evidence(probe)
    for dim in rest:
        if _is_dates(ds, dim):
            strong["time"].add(dim)
    weak = _guesses(probe)
    hints = {role: strong[role] | weak[role] for role in ROLES}
    for rank in (strong, weak):  # attributes first, for every role; then names
        for role in ROLES:
            candidates = sorted(d for d in rank[role] if d not in assigned.values())
            if role in assigned or not candidates:
                continue
            if len(candidates) > 1:
                _ambiguous(ds, da, role, candidates, assigned, hints)
            assigned[role] = candidates[0]
    for role in ROLES:  # a dimension left over whose name says it is a role already taken
        rivals = sorted(d for d in weak[role] if d not in assigned.values())
        if rivals and role in assigned and role not in explicit:
            _ambiguous(ds, da, role, sorted([assigned[role], *rivals]), assigned, hints)
    missing = [role for role in ROLES if role not in assigned]
    if missing:
        role = missing[0]
        raise StganError(
            f"variable {da.name!r} with dimensions {list(names)} has no {role!r} dimension "
            f"({_WHAT[role]}) that stgan can recognise; {describe_dims(ds, da.sizes, names)}; "
            f"say which dimension is which with {_fix(assigned, names, hints)} (YAML: data: {{dims: ...}}; "
            f"stgan inspect: --dims), or set the CF attribute axis={AXIS[role]!r} on its coordinate"
        )
    extra = [d for d in names if d not in assigned.values()]
    if extra and not extra_ok:
        raise StganError(
            f"variable {da.name!r} has extra dimensions {extra} beyond (time, y, x); select a "
            f"single value of each before training, e.g. --data.select '{{{extra[0]}: VALUE}}'"
        )
    return {role: assigned[role] for role in ROLES}


def array_axes(da: xr.DataArray, dims: Mapping[str, str] | None = None) -> dict[str, str]:
    """:func:`find_axes` for a lone DataArray: its own coordinates are the evidence, and
    dimensions beyond time, y and x are allowed (batch dimensions such as ``sample``)."""
    if not isinstance(da, xr.DataArray):
        raise StganError(f"expected an xarray.DataArray, got {type(da).__name__}")
    ds = xr.Dataset(coords={k: v for k, v in da.coords.items() if v.dims == (k,)})
    return find_axes(ds, da, dims, extra_ok=True)


def role_candidates(da: xr.DataArray) -> dict[str, list[str]]:
    """Role → the dimensions of ``da`` that could hold it, without requiring every role.

    The evidence of :func:`find_axes` read from ``da``'s own coordinates: the dimensions with
    CF attribute evidence (or decoded dates, for time) when there are any, else those whose
    names cf-xarray recognises; a dimension with attribute evidence for one role is no name
    guess for another. A role nothing points to gets an empty list. For callers (the metrics
    on named dimensions) that need one role and must not fail on the absence of another.
    """
    names = tuple(str(d) for d in da.dims)
    ds = xr.Dataset(coords={k: v for k, v in da.coords.items() if v.dims == (k,)})
    probe = _probe(ds, da.sizes, names)
    strong = _evidence(probe)
    strong["time"] |= {d for d in names if _is_dates(ds, d)}
    weak = _guesses(probe)
    claimed = set().union(*strong.values())
    return {role: sorted(strong[role]) or sorted(weak[role] - claimed) for role in ROLES}
