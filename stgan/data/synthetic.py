"""Synthetic space-time data with known statistics: a Gaussian random field (GRF).

:func:`make_grf` returns a ``(time, y, x)`` field whose true statistics are known in closed
form, so a generator's output can be checked against exact answers rather than against
another sample.

Construction
------------
*Space.* Every innovation frame ``e_t`` is white noise ``w`` (i.i.d. N(0, 1) on the
``H x W`` grid) filtered in Fourier space::

    e_t = irfft2( A(k) * rfft2(w) ),    A(k) = c * k^(-slope/2),  A(0) = 0,
    k   = sqrt((ky * L/H)^2 + (kx * L/W)^2),   L = max(H, W),

with ``ky, kx`` the integer FFT indices. ``k`` is the radius in cycles per the longer side
(``L``), so physical wavenumbers are isotropic on non-square grids. The constant
``c = sqrt(H*W / sum(k^-slope))`` (sum over the full frequency grid, ``k > 0``) is fixed
analytically from the filter's energy, so every grid point has variance exactly 1 in
expectation (the process is stationary, frames are never rescaled one by one). The
field is periodic in both directions.

*Time.* AR(1) in time, independently per Fourier mode::

    x_0 = e_0,    x_t = phi * x_{t-1} + sqrt(1 - phi^2) * e_t,

then ``value = mean + std * x`` (stored as float32).

Known answers
-------------
* Power spectrum: the radially averaged power spectral density (rings of integer radius
  ``k`` as above) falls as ``k^-slope``; a log-log fit has slope ``-slope``.
* Autocorrelation: at every grid point, ``corr(x_t, x_{t+k}) = phi^|k|``; the integral
  time scale ``sum_{k=-inf..inf} phi^|k| = (1 + phi) / (1 - phi)`` time steps.
* Marginal: every value is N(mean, std^2). The ``k = 0`` mode is removed, so the spatial
  mean of *every* frame equals ``mean`` exactly (the domain-mean series is constant).

Masked variant
--------------
``mask="island"`` sets a static blob of cells to NaN at every step (land under an ocean
field): the ``round(0.2 * H * W)`` cells with the smallest normalised elliptical distance::

    d = ((y - 0.4 H) / (0.2 H))^2 + ((x - 0.6 W) / (0.32 W))^2      (cell centres y, x)

(an ellipse of area ~0.2 H W; ties broken in row-major order), so exactly 20% of the grid,
rounded, on any grid shape. ``missing_steps=n`` sets ``n`` whole frames to NaN (a sensor
outage): the interior steps ``1 .. time-2`` are cut into ``n`` equal strata and one step is
drawn uniformly from each, from a random stream separate from the field's. Masking only
replaces values with NaN: every finite value equals the unmasked field's. Missing values are
written to NetCDF as ``_FillValue = -9999.0`` (float32), which readers decode back to NaN.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import xarray as xr

from stgan.errors import StganError

__all__ = ["FILL_VALUE", "MASKS", "island_mask", "make_grf", "missing_step_indices"]

# Frames are generated in blocks of this many (vectorised FFTs, bounded memory). It is a
# constant, so the random stream does not depend on ``time``: a shorter series is an exact
# prefix of a longer one with the same seed.
_BLOCK = 256

MASKS = ("none", "island")
"""Valid values of ``make_grf(mask=...)``."""

FILL_VALUE = np.float32(-9999.0)
"""``_FillValue`` written to NetCDF for missing values (decoded back to NaN by readers)."""

_ISLAND_FRACTION = 0.2
_ISLAND_CENTRE = (0.4, 0.6)  # (y, x) as fractions of (H, W)
_ISLAND_SEMI_AXES = (0.2, 0.32)  # (y, x) as fractions of (H, W): area pi*0.2*0.32 = 0.201 H W


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise StganError(
            f"{name} must be an integer, got {value!r}; pass a whole number >= {minimum}"
        )
    if value < minimum:
        raise StganError(f"{name} must be >= {minimum}, got {value}; pass a larger {name}")
    return int(value)


def _check_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise StganError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise StganError(f"{name} must be finite, got {value}; pass a finite number")
    return value


def _wavenumber(height: int, width: int, *, rfft: bool) -> np.ndarray:
    """Isotropic radius ``k`` in cycles per ``max(height, width)``, shape (H, W) or (H, W//2+1)."""
    length = max(height, width)
    ky = np.fft.fftfreq(height) * height * (length / height)
    kx = (np.fft.rfftfreq(width) if rfft else np.fft.fftfreq(width)) * width * (length / width)
    return np.hypot(ky[:, None], kx[None, :])


def _spectral_filter(height: int, width: int, slope: float) -> np.ndarray:
    """Amplitude filter on the rfft2 grid, scaled so the filtered white noise has unit variance."""
    k_full = _wavenumber(height, width, rfft=False)
    positive = k_full > 0
    # Var(irfft2(A * rfft2(w))) = sum_full A^2 / (H*W) for unit white noise w.
    energy = np.sum(k_full[positive] ** (-slope)) / (height * width)
    k = _wavenumber(height, width, rfft=True)
    amplitude = np.zeros_like(k)
    nonzero = k > 0
    amplitude[nonzero] = k[nonzero] ** (-slope / 2.0) / math.sqrt(energy)
    return amplitude


def island_mask(height: int, width: int) -> np.ndarray:
    """The static land mask of ``make_grf(mask="island")``: True on ``round(0.2*H*W)`` cells.

    Parameters
    ----------
    height, width : int
        Grid rows and columns.

    Returns
    -------
    numpy.ndarray
        Boolean ``(height, width)`` array, True on the elliptical island centred at
        ``(0.4 H, 0.6 W)`` with semi-axes ``(0.2 H, 0.32 W)`` (cell centres).
    """
    height = _check_int("height", height, 1)
    width = _check_int("width", width, 1)
    y = (np.arange(height) + 0.5 - _ISLAND_CENTRE[0] * height) / (_ISLAND_SEMI_AXES[0] * height)
    x = (np.arange(width) + 0.5 - _ISLAND_CENTRE[1] * width) / (_ISLAND_SEMI_AXES[1] * width)
    distance = (y[:, None] ** 2 + x[None, :] ** 2).ravel()
    count = int(round(_ISLAND_FRACTION * height * width))
    mask = np.zeros(height * width, dtype=bool)
    mask[np.argsort(distance, kind="stable")[:count]] = True
    return mask.reshape(height, width)


def missing_step_indices(time: int, missing_steps: int, seed: int) -> np.ndarray:
    """The steps ``make_grf(missing_steps=...)`` blanks out: one per stratum of ``1 .. time-2``.

    Parameters
    ----------
    time : int
        Length of the series (>= 2).
    missing_steps : int
        How many steps, ``0 <= missing_steps <= time - 2``.
    seed : int
        The field's seed; the steps come from a separate stream ``default_rng([seed, 1])``.

    Returns
    -------
    numpy.ndarray
        Sorted, distinct int64 step indices, never the first or the last step.
    """
    time = _check_int("time", time, 2)
    seed = _check_int("seed", seed, 0)
    missing_steps = _check_int("missing_steps", missing_steps, 0)
    if missing_steps > time - 2:
        raise StganError(
            f"missing_steps must be <= time - 2 = {time - 2} (never the first or last step), "
            f"got {missing_steps}; pass fewer missing steps or a longer time"
        )
    rng = np.random.default_rng([seed, 1])
    edges = 1 + (np.arange(missing_steps + 1) * (time - 2)) // max(missing_steps, 1)
    return np.array([rng.integers(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])], dtype=np.int64)


def grid_coords(times: np.ndarray, cells_y: np.ndarray, cells_x: np.ndarray) -> dict:
    """The (time, y, x) coordinates of a synthetic dataset, with their CF attributes.

    ``cells_y`` and ``cells_x`` are cell centres in km on a projection plane.
    """
    return {
        "time": ("time", times, {"standard_name": "time", "axis": "T", "long_name": "time"}),
        "y": (
            "y",
            cells_y,
            {
                "units": "km",
                "axis": "Y",
                "standard_name": "projection_y_coordinate",
                "long_name": "y coordinate of cell centre",
            },
        ),
        "x": (
            "x",
            cells_x,
            {
                "units": "km",
                "axis": "X",
                "standard_name": "projection_x_coordinate",
                "long_name": "x coordinate of cell centre",
            },
        ),
    }


def make_grf(
    *,
    time: int = 512,
    height: int = 32,
    width: int = 32,
    slope: float = 3.0,
    phi: float = 0.8,
    mean: float = 280.0,
    std: float = 5.0,
    seed: int = 0,
    variable: str = "field",
    mask: str = "none",
    missing_steps: int = 0,
) -> xr.Dataset:
    """Make a periodic Gaussian random field with a power-law spectrum and AR(1) time steps.

    Parameters
    ----------
    time : int
        Number of daily time steps (>= 2), starting 2000-01-01.
    height, width : int
        Grid rows ``y`` and columns ``x`` (>= 4 each), 1 km apart.
    slope : float
        Spectral slope; the radially averaged power spectrum falls as ``k^-slope`` (>= 0).
    phi : float
        Lag-1 autocorrelation of the AR(1) process, ``0 <= phi < 1``; the ACF is ``phi^k``.
    mean, std : float
        Mean and standard deviation of the field in K (``std > 0``).
    seed : int
        Seed for :func:`numpy.random.default_rng` (>= 0); same seed, same data.
    variable : str
        Name of the data variable.
    mask : {"none", "island"}
        ``"island"``: a static elliptical blob of ``round(0.2*H*W)`` cells centred at
        ``(0.4 H, 0.6 W)`` is NaN at every step (see :func:`island_mask`).
    missing_steps : int
        Number of whole time steps set to NaN (``0 <= missing_steps <= time - 2``), one drawn
        from each of ``missing_steps`` equal strata of the steps ``1 .. time-2`` (see
        :func:`missing_step_indices`); never the first or last step.

    Returns
    -------
    xarray.Dataset
        CF-1.8 dataset with one float32 variable on ``("time", "y", "x")``; missing values are
        NaN in memory and ``_FillValue = -9999.0`` on disk. The finite values do not depend
        on ``mask`` or ``missing_steps``.

    Raises
    ------
    StganError
        If an argument is out of range.
    """
    time = _check_int("time", time, 2)
    height = _check_int("height", height, 4)
    width = _check_int("width", width, 4)
    seed = _check_int("seed", seed, 0)
    slope = _check_float("slope", slope)
    phi = _check_float("phi", phi)
    mean = _check_float("mean", mean)
    std = _check_float("std", std)
    if slope < 0:
        raise StganError(f"slope must be >= 0, got {slope}; pass e.g. slope=3 for a smooth field")
    if not 0.0 <= phi < 1.0:
        raise StganError(f"phi must satisfy 0 <= phi < 1, got {phi}; pass e.g. phi=0.8")
    if std <= 0:
        raise StganError(f"std must be > 0, got {std}; pass a positive standard deviation")
    if not isinstance(variable, str) or not variable or variable in ("time", "y", "x"):
        raise StganError(
            f"variable must be a non-empty name other than 'time', 'y' or 'x', got {variable!r}"
        )
    if not isinstance(mask, str) or mask not in MASKS:
        raise StganError(f"mask must be one of {', '.join(map(repr, MASKS))}, got {mask!r}")
    missing = missing_step_indices(time, missing_steps, seed)
    land = island_mask(height, width) if mask == "island" else np.zeros((height, width), dtype=bool)

    amplitude = _spectral_filter(height, width, slope)
    rng = np.random.default_rng(seed)
    innovation_scale = math.sqrt(1.0 - phi * phi)
    out = np.empty((time, height, width), dtype=np.float32)
    state = None
    for start in range(0, time, _BLOCK):
        noise = rng.standard_normal((_BLOCK, height, width))
        frames = np.fft.irfft2(np.fft.rfft2(noise) * amplitude, s=(height, width))
        for i in range(min(_BLOCK, time - start)):
            state = frames[i] if state is None else phi * state + innovation_scale * frames[i]
            out[start + i] = mean + std * state
    out[:, land] = np.nan
    out[missing] = np.nan

    times = np.datetime64("2000-01-01", "ns") + np.arange(time) * np.timedelta64(1, "D")
    cells_y = np.arange(height, dtype=np.float64) + 0.5
    cells_x = np.arange(width, dtype=np.float64) + 0.5
    params = dict(
        time=time,
        height=height,
        width=width,
        slope=slope,
        phi=phi,
        mean=mean,
        std=std,
        seed=seed,
        variable=variable,
        mask=mask,
        missing_steps=int(missing_steps),
    )
    call = "make_grf(" + ", ".join(f"{key}={value!r}" for key, value in params.items()) + ")"

    ds = xr.Dataset(
        {
            variable: (
                ("time", "y", "x"),
                out,
                {
                    "units": "K",
                    "long_name": "Gaussian random field with power-law spectrum",
                    "slope": slope,
                    "phi": phi,
                    "mean": mean,
                    "std": std,
                    "seed": seed,
                    "mask": mask,
                    "missing_steps": int(missing_steps),
                    **({"missing_step_indices": missing.astype(np.int32)} if missing.size else {}),
                    "masked_fraction": float(land.mean()),
                },
            )
        },
        coords=grid_coords(times, cells_y, cells_x),
        attrs={
            "Conventions": "CF-1.8",
            "title": "Synthetic Gaussian random field with power-law spectrum and AR(1) time steps",
            "source": "stgan make-data grf",
            # Deterministic (no timestamp) so the same arguments give byte-identical files.
            "history": f"stgan.data.synthetic.{call}",
        },
    )
    ds["time"].encoding.update(
        units="days since 2000-01-01 00:00:00", calendar="proleptic_gregorian", dtype="int32"
    )
    for name in ("time", "y", "x"):
        ds[name].encoding["_FillValue"] = None  # CF: coordinates carry no fill value
    ds[variable].encoding["_FillValue"] = FILL_VALUE  # NaN in memory <-> -9999.0 on disk
    return ds
