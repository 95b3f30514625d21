"""Tests for the travelling-waves dataset and its mode labeller: labels and qualities must match
the known construction."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from stgan.data.wave_labels import HIGH_QUALITY, label_windows, mode_coverage
from stgan.data.waves import make_waves, mode_angles
from stgan.errors import StganError


def _plane_wave(
    theta: float, *, shape=(8, 32, 32), wavelength=8.0, period=8.0, phase=0.3, amplitude=1.0
) -> np.ndarray:
    """One (T, H, W) window of amplitude*cos(k(x cos theta + y sin theta) - omega t + phase)."""
    t, h, w = shape
    steps = np.arange(t)[:, None, None]
    y = np.arange(h)[None, :, None] + 0.5
    x = np.arange(w)[None, None, :] + 0.5
    k, omega = 2 * math.pi / wavelength, 2 * math.pi / period
    return amplitude * np.cos(
        k * (x * math.cos(theta) + y * math.sin(theta)) - omega * steps + phase
    )


def _windows_inside_episodes(ds: xr.Dataset, length: int, height: int, width: int, stride: int = 1):
    """Every window of `length` steps (top-left `height` x `width` cells) within one episode."""
    values, modes = ds["wave"].values, ds["mode"].values
    starts = [
        s
        for s in range(0, values.shape[0] - length + 1, stride)
        if (modes[s : s + length] == modes[s]).all()
    ]
    windows = np.stack([values[s : s + length, :height, :width] for s in starts])
    return windows, modes[starts]


@pytest.mark.parametrize("window", [(8, 32, 32), (16, 32, 32), (12, 24, 40), (8, 16, 16)])
def test_labels_recover_the_true_mode(window):
    # Non-square grid 24 x 40 with T=12: neither whole periods in time nor a square window.
    length, height, width = window
    ds = make_waves(time=256, height=max(height, 32), width=max(width, 32), seed=1)
    x, truth = _windows_inside_episodes(ds, length, height, width)
    assert len(x) >= 100
    labels, quality = label_windows(x)
    assert np.mean(labels == truth) >= 0.99
    assert quality.min() >= 0.9
    # Known answer: R^2 = (A^2/2) / (A^2/2 + noise^2) with A in [0.9, 1.1], noise 0.1 -> 0.976..0.984,
    # up to the sampling error of the noise over thousands of values.
    assert np.median(quality) == pytest.approx(0.980, abs=0.006)
    assert quality.max() <= 0.99


def test_quality_equals_signal_fraction_of_variance():
    rng = np.random.default_rng(0)
    clean = _plane_wave(mode_angles(8)[3], amplitude=1.0)
    x = clean[None] + 0.5 * rng.standard_normal((20, *clean.shape))
    labels, quality = label_windows(x)
    assert (labels == 3).all()
    np.testing.assert_allclose(quality, 0.5 / (0.5 + 0.25), atol=0.02)  # 2/3
    # A noise-free wave of any amplitude, offset and phase is explained exactly.
    labels, quality = label_windows((7.0 + 3.0 * _plane_wave(mode_angles(8)[5], phase=2.0))[None])
    assert labels[0] == 5 and quality[0] == pytest.approx(1.0, abs=1e-9)


def test_quality_is_low_for_white_noise():
    x = np.random.default_rng(2).standard_normal((50, 8, 32, 32))
    _, quality = label_windows(x)
    # Two free regressors out of n = 8192 values: E[R^2] ~ 2 / n = 2.4e-4.
    assert quality.max() < 0.005
    assert quality.mean() == pytest.approx(2 / 8192, rel=0.5)


@pytest.mark.parametrize("size", [32, 16])
def test_quality_is_low_halfway_between_modes(size):
    # 22.5 degrees off the nearest modes: the labelled mode's wave decorrelates over the window
    # (quality 0.03 on 32 x 32, 0.10 on 16 x 16).
    for theta in np.radians([22.5, 112.5, 337.5]):
        _, quality = label_windows(_plane_wave(theta, shape=(8, size, size))[None])
        assert quality[0] < 0.15


@pytest.mark.parametrize("wavelength", [5.0, 6.0, 12.0, 16.0])
def test_quality_is_low_for_another_wavelength(wavelength):
    _, quality = label_windows(_plane_wave(0.0, wavelength=wavelength)[None])
    assert quality[0] < 0.1


@pytest.mark.parametrize("period", [4.0, 12.0, 16.0])
def test_quality_is_low_for_another_period(period):
    # 16 steps are needed to tell period 12 from 8 (quality 0.17); period 4 and 16 give ~0.
    _, quality = label_windows(_plane_wave(0.0, shape=(16, 32, 32), period=period)[None])
    assert quality[0] < 0.2


def test_mixtures_of_modes_are_not_high_quality():
    angles = mode_angles(8)
    # An equal superposition of two modes scores 0.5 for either: below HIGH_QUALITY.
    for a, b in ((0, 4), (0, 1), (2, 5)):
        _, quality = label_windows(
            (_plane_wave(angles[a]) + _plane_wave(angles[b], phase=1.1))[None]
        )
        assert quality[0] == pytest.approx(0.5, abs=0.03)
        assert quality[0] < HIGH_QUALITY
    # A window straddling two episodes, share f of its steps in the labelled mode: ~f^2.
    for steps_in_first in (4, 6):
        x = _plane_wave(angles[1], shape=(8, 32, 32))
        x[steps_in_first:] = _plane_wave(angles[6], shape=(8, 32, 32))[steps_in_first:]
        labels, quality = label_windows(x[None])
        share = steps_in_first / 8
        assert labels[0] in (1, 6)
        assert quality[0] == pytest.approx(max(share, 1 - share) ** 2, abs=0.05)
    assert quality[0] < HIGH_QUALITY  # f = 0.75 -> 0.56


def test_mode_coverage_of_a_single_mode():
    ds = make_waves(time=128, height=32, width=32, modes=8, episode=128, seed=3)
    x, truth = _windows_inside_episodes(ds, 8, 32, 32)
    assert len(set(truth)) == 1
    labels, quality = label_windows(x)
    cover = mode_coverage(labels, quality)
    assert cover["modes_covered"] == 1
    assert cover["high_quality_fraction"] == 1.0
    assert cover["counts"][int(truth[0])] == len(x) and sum(cover["counts"]) == len(x)
    assert cover["min_count"] == math.ceil(0.01 * len(x)) and cover["windows"] == len(x)


def test_mode_coverage_of_the_data_and_the_one_percent_floor():
    ds = make_waves(time=512, height=16, width=16, seed=4)
    x, truth = _windows_inside_episodes(ds, 8, 16, 16, stride=2)
    labels, quality = label_windows(x)
    cover = mode_coverage(labels, quality)
    assert cover["modes_covered"] == 8 and cover["high_quality_fraction"] == 1.0
    np.testing.assert_array_equal(cover["counts"], np.bincount(truth, minlength=8))

    # 1000 windows: 995 noise, 5 clean waves of mode 2 -> below the floor of 10, not covered.
    labels = np.full(1000, 2)
    quality = np.concatenate([np.full(5, 0.98), np.full(995, 0.01)])
    cover = mode_coverage(labels, quality)
    assert cover == {
        "modes_covered": 0,
        "high_quality_fraction": 0.005,
        "counts": [0, 0, 5, 0, 0, 0, 0, 0],
        "min_count": 10,
        "threshold": HIGH_QUALITY,
        "windows": 1000,
    }
    quality[:10] = 0.98
    assert mode_coverage(labels, quality)["modes_covered"] == 1
    assert mode_coverage(labels, quality, threshold=0.005)["high_quality_fraction"] == 1.0


def test_modes_have_equal_frequency():
    ds = make_waves(time=4096, height=4, width=4, seed=5)  # 128 episodes = 16 blocks of 8
    modes = ds["mode"].values
    np.testing.assert_array_equal(np.bincount(modes, minlength=8), 4096 // 8)
    episodes = modes[::32]
    for block in episodes.reshape(16, 8):  # each block of K episodes is a permutation
        np.testing.assert_array_equal(np.sort(block), np.arange(8))
    assert len({tuple(b) for b in episodes.reshape(16, 8)}) > 10  # but in a random order
    # The default dataset (32 episodes) holds every mode, each within 50% of 1/8 of the steps.
    share = np.bincount(make_waves()["mode"].values, minlength=8) / 1024
    assert np.all(np.abs(share - 1 / 8) <= 0.5 / 8)


def test_episodes_keep_one_mode_and_waves_travel_in_its_direction():
    ds = make_waves(
        time=100,
        height=12,
        width=20,
        modes=4,
        episode=10,
        wavelength=6.0,
        period=6.0,
        noise=0.0,
        seed=6,
    )
    values, modes = ds["wave"].values.astype(np.float64), ds["mode"].values
    assert modes.dtype == np.int32
    for start in range(0, 100, 10):
        assert (modes[start : start + 10] == modes[start]).all()
    # Speed wavelength/period = 1 cell per step: mode 0 (+x) shifts the field one column right,
    # mode 1 (+y) one row down, mode 2 (-x) one column left, mode 3 (-y) one row up.
    shift = {
        0: (slice(None), slice(1, None), slice(None), slice(None, -1)),
        1: (slice(1, None), slice(None), slice(None, -1), slice(None)),
        2: (slice(None), slice(None, -1), slice(None), slice(1, None)),
        3: (slice(None, -1), slice(None), slice(1, None), slice(None)),
    }
    for start in range(0, 100, 10):
        ay, ax, by, bx = shift[int(modes[start])]
        for t in range(start, start + 9):
            np.testing.assert_allclose(values[t + 1][ay, ax], values[t][by, bx], atol=1e-5)
    # Exactly A cos(psi) + 0 noise, psi of the episode's mode, A in [0.9, 1.1] per episode.
    steps = np.arange(10)[:, None, None]
    y, x = ds["y"].values[None, :, None], ds["x"].values[None, None, :]
    for start in range(0, 100, 10):
        theta = math.pi / 2 * modes[start]
        psi = 2 * math.pi / 6 * (x * math.cos(theta) + y * math.sin(theta)) - 2 * math.pi / 6 * (
            start + steps
        )
        basis = np.stack([np.cos(psi).ravel(), np.sin(psi).ravel()], axis=1)
        target = values[start : start + 10].ravel()
        (a, b), *_ = np.linalg.lstsq(basis, target, rcond=None)
        np.testing.assert_allclose(basis @ [a, b], target, atol=1e-5)
        assert 0.9 <= math.hypot(a, b) <= 1.1


def test_variance_is_wave_plus_noise():
    values = make_waves(time=1024, height=16, width=16, noise=0.3, seed=7)["wave"].values.astype(
        np.float64
    )
    # E[A^2]/2 + noise^2 = (1 + 0.1^2/3)/2 + 0.09 = 0.592; the 32 episodes' amplitudes spread it by ~0.01.
    assert values.var() == pytest.approx(0.592, abs=0.03)
    assert abs(values.mean()) < 0.02


def test_seed_determinism_and_prefix():
    a = make_waves(time=70, height=8, width=12, episode=16, seed=8)
    b = make_waves(time=70, height=8, width=12, episode=16, seed=8)
    c = make_waves(time=70, height=8, width=12, episode=16, seed=9)
    np.testing.assert_array_equal(a["wave"].values, b["wave"].values)
    np.testing.assert_array_equal(a["mode"].values, b["mode"].values)
    assert np.abs(a["wave"].values - c["wave"].values).mean() > 0.3
    longer = make_waves(time=300, height=8, width=12, episode=16, seed=8)
    np.testing.assert_array_equal(a["wave"].values, longer["wave"].values[:70])
    np.testing.assert_array_equal(a["mode"].values, longer["mode"].values[:70])


def test_label_windows_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    x = np.stack([_plane_wave(theta) for theta in mode_angles(8)])
    labels, quality = label_windows(torch.from_numpy(x).float())
    np.testing.assert_array_equal(labels, np.arange(8))
    assert quality.min() > 0.999


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time": 1},
        {"height": 3},
        {"width": 2.5},
        {"modes": 1},
        {"modes": True},
        {"episode": 0},
        {"wavelength": 2.0},
        {"wavelength": float("nan")},
        {"period": 1.5},
        {"period": "8"},
        {"noise": -0.1},
        {"seed": -1},
        {"variable": ""},
        {"variable": "mode"},
    ],
)
def test_make_waves_bad_arguments_raise(kwargs):
    with pytest.raises(StganError):
        make_waves(**kwargs)


@pytest.mark.parametrize(
    "x, kwargs",
    [
        (np.zeros((8, 32, 32)), {}),
        (np.zeros((2, 1, 32, 32)), {}),
        (np.zeros((0, 8, 32, 32)), {}),
        (np.full((2, 8, 8, 8), np.nan), {}),
        ("waves", {}),
        (np.zeros((2, 8, 8, 8)), {"modes": 1}),
        (np.zeros((2, 8, 8, 8)), {"wavelength": 0.0}),
        (np.zeros((2, 8, 8, 8)), {"period": -8.0}),
    ],
)
def test_label_windows_bad_arguments_raise(x, kwargs):
    with pytest.raises(StganError):
        label_windows(x, **kwargs)


def test_label_windows_of_constant_windows():
    labels, quality = label_windows(np.full((3, 8, 8, 8), 4.0))
    assert labels.shape == (3,) and np.all((labels >= 0) & (labels < 8))
    np.testing.assert_array_equal(quality, 0.0)


@pytest.mark.parametrize(
    "labels, quality, kwargs",
    [
        ([], [], {}),
        ([0, 1], [0.9], {}),
        ([0, 8], [0.9, 0.9], {}),
        ([0, -1], [0.9, 0.9], {}),
        ([0.0, 1.0], [0.9, 0.9], {}),
        ([0, 1], [0.9, 0.9], {"threshold": 1.5}),
        ([0, 1], [0.9, 0.9], {"modes": 1}),
    ],
)
def test_mode_coverage_bad_arguments_raise(labels, quality, kwargs):
    with pytest.raises(StganError):
        mode_coverage(np.asarray(labels), np.asarray(quality), **kwargs)


def test_cf_attributes_and_netcdf_roundtrip(tmp_path):
    from stgan.io.netcdf import select_variables

    ds = make_waves(time=40, height=8, width=10, modes=6, episode=8, seed=10, variable="ssh")
    assert ds.attrs["Conventions"] == "CF-1.8"
    assert ds.attrs["source"] == "stgan make-data waves"
    assert ds.attrs["history"].startswith("stgan.data.waves.make_waves(time=40, ")
    np.testing.assert_allclose(ds.attrs["mode_angles_deg"], [0, 60, 120, 180, 240, 300])
    da = ds["ssh"]
    assert da.dims == ("time", "y", "x") and da.dtype == np.float32
    assert da.attrs["units"] == "m" and "sea-surface height" in da.attrs["long_name"]
    assert (da.attrs["modes"], da.attrs["episode"], da.attrs["wavelength"], da.attrs["period"]) == (
        6,
        8,
        8.0,
        8.0,
    )
    assert ds["mode"].dims == ("time",) and "mode" in ds.coords and "mode" not in ds.data_vars
    np.testing.assert_array_equal(ds["x"].values, np.arange(10) + 0.5)
    assert ds["time"].values[0] == np.datetime64("2000-01-01")
    assert np.all(np.diff(ds["time"].values) == np.timedelta64(1, "D"))

    path = tmp_path / "waves.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        np.testing.assert_array_equal(back["ssh"].values, da.values)
        assert back["ssh"].dtype == np.float32 and back["ssh"].attrs["units"] == "m"
        assert "mode" in back.coords and "mode" not in back.data_vars  # never trained on
        np.testing.assert_array_equal(back["mode"].values, ds["mode"].values)
        assert back["mode"].dtype == np.int32
        np.testing.assert_array_equal(back["mode"].attrs["flag_values"], np.arange(6))
        assert back["mode"].attrs["flag_meanings"].split() == [f"mode_{m}" for m in range(6)]
        np.testing.assert_array_equal(back["time"].values, ds["time"].values)
        assert select_variables(back, None) == ["ssh"]
        for name in ("time", "y", "x", "mode", "ssh"):
            assert "_FillValue" not in back[name].encoding
