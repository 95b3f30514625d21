"""Splits, standardisation fitted on the training split only, window sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stgan.data.datamodule import SpaceTimeDataModule
from stgan.data.normalize import Standardizer
from stgan.data.splits import time_splits
from stgan.data.synthetic import make_grf
from stgan.data.windows import RandomWindows, strided_windows
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf


def test_splits_are_contiguous_with_window_gaps():
    s = time_splits(100, window_length=8, val_fraction=0.15, test_fraction=0.15)
    # usable = 100 - 2 gaps * 8 = 84 → val = test = round(12.6) = 13, train = 58
    assert (s["train"], s["val"], s["test"]) == (slice(0, 58), slice(66, 79), slice(87, 100))


def test_zero_fractions_give_one_training_block():
    s = time_splits(50, window_length=8, val_fraction=0, test_fraction=0)
    assert s["train"] == slice(0, 50) and s["val"].stop - s["val"].start == 0


def test_too_short_record_is_a_clear_error():
    with pytest.raises(StganError, match="20 time steps are too few for windows of 8"):
        time_splits(20, window_length=8, val_fraction=0.15, test_fraction=0.15)


def test_standardizer_round_trip_and_values():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(2, 30, 4, 5)) * [[[[3.0]]], [[[0.5]]]] + [[[[10.0]]], [[[-2.0]]]])
    x = x.astype(np.float32)
    s = Standardizer.fit(x, ["a", "b"])
    z = s.forward(x)
    np.testing.assert_allclose(z.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(1, 2, 3)), 1, atol=1e-5)
    np.testing.assert_allclose(s.inverse(z), x, rtol=1e-5, atol=1e-4)
    zt = s.forward(torch.from_numpy(x)[None], channel_dim=1)  # (B, C, T, H, W) torch path
    np.testing.assert_allclose(zt[0].numpy(), z, atol=1e-5)


def test_constant_variable_cannot_be_standardised():
    with pytest.raises(StganError, match="'flat' is constant"):
        Standardizer.fit(np.ones((1, 10, 3, 3), np.float32), ["flat"])


def test_statistics_come_from_the_training_split_only(tmp_path):
    ds = make_grf(time=100, height=8, width=8, seed=1)
    write_netcdf(ds, tmp_path / "a.nc")
    changed = ds.copy(deep=True)
    changed["field"][80:] += 1000.0  # the test block only
    write_netcdf(changed, tmp_path / "b.nc")
    stats = []
    for name in ("a.nc", "b.nc"):
        dm = SpaceTimeDataModule(str(tmp_path / name), window_length=4, batch_size=2)
        dm.setup("fit")
        assert dm.splits["test"].start >= 80 - 4  # the change lies beyond the training block
        stats.append(dm.standardizer.to_dict())
    assert stats[0] == stats[1]
    train = ds["field"].values[: dm.splits["train"].stop]
    assert stats[0]["mean"][0] == pytest.approx(float(train.mean(dtype=np.float64)), rel=1e-6)


def test_random_windows_are_crops_of_the_data():
    data = torch.arange(2 * 10 * 6 * 7, dtype=torch.float32).reshape(2, 10, 6, 7)
    torch.manual_seed(0)
    windows = RandomWindows(data, (3, 4, 5), length=20)
    for i in range(len(windows)):
        w = windows[i]
        assert w.shape == (2, 3, 4, 5)
        t0, rest = divmod(int(w[0, 0, 0, 0].item()), 6 * 7)
        y0, x0 = divmod(rest, 7)
        torch.testing.assert_close(w, data[:, t0 : t0 + 3, y0 : y0 + 4, x0 : x0 + 5])


def test_strided_windows_tile_without_overlap():
    data = np.arange(9 * 4 * 6).reshape(9, 4, 6)
    w = strided_windows(data, (4, 2, 3))
    assert w.shape == (2 * 2 * 2, 4, 2, 3)  # 9//4 × 4//2 × 6//3
    np.testing.assert_array_equal(w[0], data[0:4, 0:2, 0:3])
    np.testing.assert_array_equal(w[-1], data[4:8, 2:4, 3:6])
