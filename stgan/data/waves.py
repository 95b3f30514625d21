"""Synthetic travelling waves in K distinct directions: a space-time test of mode collapse.

:func:`make_waves` is the space-time analogue of the ring of Gaussians used to study mode
collapse: the data hold ``K`` well-separated *modes* (plane waves travelling in ``K``
directions), each window of a training set comes from one of them, and
:func:`~stgan.data.wave_labels.label_windows` / :func:`~stgan.data.wave_labels.mode_coverage`
(:mod:`stgan.data.wave_labels`) tell which modes a generator's samples cover and how many of
its samples are clean waves at all.

Construction
------------
Mode ``m = 0 .. K-1`` travels in direction ``theta_m = 2 pi m / K`` (counter-clockwise from
``+x`` towards ``+y``)::

    value(t, y, x) = A * cos(k (x cos theta_m + y sin theta_m) - omega t + phi) + noise * N(0, 1)
    k = 2 pi / wavelength  (radians per cell = per km),   omega = 2 pi / period  (per step)

with ``t`` the global step index and ``y, x`` the cell-centre coordinates in km (1 km cells).
The time axis is a sequence of episodes of ``episode`` steps (the last one possibly
shorter). Each episode keeps one mode, one phase ``phi ~ U(0, 2 pi)`` and one amplitude
``A ~ U(0.9, 1.1)`` for all its steps. Modes are drawn in shuffled blocks: every run of ``K``
consecutive episodes (episodes ``0..K-1``, ``K..2K-1``, ...) is a uniformly random
permutation of the ``K`` modes, so each episode's mode is uniform on ``0..K-1`` and every
mode has the same number of episodes (to within one block): no mode is absent from a series
of at least ``K`` episodes. The random stream is drawn episode by episode, so a shorter series
is an exact prefix of a longer one with the same seed and grid.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from stgan.data.synthetic import _check_float, _check_int, grid_coords
from stgan.errors import StganError

__all__ = ["make_waves", "mode_angles"]

_AMPLITUDE_JITTER = 0.1  # A ~ U(1 - jitter, 1 + jitter)


def _check_length(name: str, value: object) -> float:
    value = _check_float(name, value)
    if value <= 2.0:
        raise StganError(
            f"{name} must be > 2 (the Nyquist limit: a wave of {name} 2 has no direction of travel), "
            f"got {value}; pass e.g. {name}=8"
        )
    return value


def mode_angles(modes: int) -> np.ndarray:
    """Directions of travel ``theta_m = 2 pi m / modes`` in radians, ``m = 0 .. modes-1``."""
    modes = _check_int("modes", modes, 2)
    return 2.0 * np.pi * np.arange(modes) / modes


def make_waves(
    *,
    time: int = 1024,
    height: int = 32,
    width: int = 32,
    modes: int = 8,
    episode: int = 32,
    wavelength: float = 8.0,
    period: float = 8.0,
    noise: float = 0.1,
    seed: int = 0,
    variable: str = "wave",
) -> xr.Dataset:
    """Make ``K`` travelling plane-wave modes, one per episode, plus Gaussian noise.

    Parameters
    ----------
    time : int
        Number of daily time steps (>= 2), starting 2000-01-01.
    height, width : int
        Grid rows ``y`` and columns ``x`` (>= 4 each), 1 km apart.
    modes : int
        Number of modes ``K`` (>= 2); mode ``m`` travels at angle ``2 pi m / K`` from ``+x``.
    episode : int
        Steps per episode (>= 1); each episode keeps one mode, phase and amplitude.
    wavelength : float
        Wavelength in cells (km), > 2.
    period : float
        Period in time steps, > 2.
    noise : float
        Standard deviation of the added white Gaussian noise in m (>= 0).
    seed : int
        Seed for :func:`numpy.random.default_rng` (>= 0); same seed, same data.
    variable : str
        Name of the data variable.

    Returns
    -------
    xarray.Dataset
        CF-1.8 dataset with one float32 variable on ``("time", "y", "x")`` in m and an int32
        coordinate ``mode`` on ``time`` holding each step's true mode.

    Raises
    ------
    StganError
        If an argument is out of range.
    """
    time = _check_int("time", time, 2)
    height = _check_int("height", height, 4)
    width = _check_int("width", width, 4)
    modes = _check_int("modes", modes, 2)
    episode = _check_int("episode", episode, 1)
    seed = _check_int("seed", seed, 0)
    wavelength = _check_length("wavelength", wavelength)
    period = _check_length("period", period)
    noise = _check_float("noise", noise)
    if noise < 0:
        raise StganError(f"noise must be >= 0, got {noise}; pass a standard deviation such as 0.1")
    if not isinstance(variable, str) or not variable or variable in ("time", "y", "x", "mode"):
        raise StganError(
            f"variable must be a non-empty name other than 'time', 'y', 'x' or 'mode', got {variable!r}"
        )

    angles = mode_angles(modes)
    k = 2.0 * math.pi / wavelength
    omega = 2.0 * math.pi / period
    cells_y = np.arange(height, dtype=np.float64) + 0.5
    cells_x = np.arange(width, dtype=np.float64) + 0.5
    rng = np.random.default_rng(seed)
    out = np.empty((time, height, width), dtype=np.float32)
    labels = np.empty(time, dtype=np.int32)
    order = np.empty(0, dtype=np.int64)
    for number, start in enumerate(range(0, time, episode)):
        if number % modes == 0:
            order = rng.permutation(modes)
        mode = int(order[number % modes])
        phase = rng.uniform(0.0, 2.0 * math.pi)
        amplitude = rng.uniform(1.0 - _AMPLITUDE_JITTER, 1.0 + _AMPLITUDE_JITTER)
        white = rng.standard_normal((episode, height, width))  # full episode: prefix-stable
        stop = min(start + episode, time)
        t = np.arange(start, stop, dtype=np.float64)
        space = k * (
            cells_x[None, :] * math.cos(angles[mode]) + cells_y[:, None] * math.sin(angles[mode])
        )
        psi = space[None, :, :] - omega * t[:, None, None] + phase
        out[start:stop] = amplitude * np.cos(psi) + noise * white[: stop - start]
        labels[start:stop] = mode

    times = np.datetime64("2000-01-01", "ns") + np.arange(time) * np.timedelta64(1, "D")
    degrees = np.round(np.degrees(angles), 6)
    params = dict(
        time=time,
        height=height,
        width=width,
        modes=modes,
        episode=episode,
        wavelength=wavelength,
        period=period,
        noise=noise,
        seed=seed,
        variable=variable,
    )
    call = "make_waves(" + ", ".join(f"{key}={value!r}" for key, value in params.items()) + ")"

    ds = xr.Dataset(
        {
            variable: (
                ("time", "y", "x"),
                out,
                {
                    "units": "m",
                    "long_name": "sea-surface height anomaly (synthetic travelling plane waves)",
                    "modes": modes,
                    "episode": episode,
                    "wavelength": wavelength,
                    "period": period,
                    "noise": noise,
                    "seed": seed,
                    "mode_angles_deg": degrees,
                    "amplitude_range": np.array([1.0 - _AMPLITUDE_JITTER, 1.0 + _AMPLITUDE_JITTER]),
                    "comment": (
                        "A*cos(k*(x*cos(theta_m)+y*sin(theta_m)) - omega*t + phi) + noise*N(0,1), "
                        "k = 2*pi/wavelength per km, omega = 2*pi/period per step, "
                        "theta_m = 2*pi*m/modes; one mode, phase and amplitude per episode"
                    ),
                },
            )
        },
        coords={
            **grid_coords(times, cells_y, cells_x),
            "mode": (
                "time",
                labels,
                {
                    "long_name": "travelling-wave mode of each time step",
                    "flag_values": np.arange(modes, dtype=np.int32),
                    "flag_meanings": " ".join(f"mode_{m}" for m in range(modes)),
                    "comment": "mode m travels at angle 360*m/modes degrees from +x towards +y",
                },
            ),
        },
        attrs={
            "Conventions": "CF-1.8",
            "title": "Synthetic travelling plane waves in distinct directions (mode-collapse test)",
            "source": "stgan make-data waves",
            "mode_angles_deg": degrees,
            # Deterministic (no timestamp) so the same arguments give byte-identical files.
            "history": f"stgan.data.waves.{call}",
        },
    )
    ds["time"].encoding.update(
        units="days since 2000-01-01 00:00:00", calendar="proleptic_gregorian", dtype="int32"
    )
    for name in ("time", "y", "x", "mode", variable):
        ds[name].encoding["_FillValue"] = None  # no missing values by construction
    return ds
