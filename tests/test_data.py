"""Splits, standardisation fitted on the training split only, window sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stgan.data.datamodule import SpaceTimeDataModule
from stgan.data.splits import time_splits
from stgan.data.synthetic import make_grf
from stgan.data.time_features import TimeFeatures
from stgan.data.transform_fit import fit_transforms
from stgan.data.transforms import ChannelTransform, parse_steps
from stgan.data.windows import WindowDataset, strided_windows, valid_starts
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf
from stgan.io.source import GridSource


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


def _source(tmp_path, values: np.ndarray, **coords) -> GridSource:
    import xarray as xr

    t = np.datetime64("2001-01-01") + np.arange(values.shape[0]) * np.timedelta64(1, "D")
    ds = xr.Dataset(
        {"v": (("time", "y", "x"), values)},
        coords={"time": t, "y": np.arange(values.shape[1]), "x": np.arange(values.shape[2])},
    )
    write_netcdf(ds, tmp_path / "v.nc")
    return GridSource(str(tmp_path / "v.nc"))


@pytest.mark.parametrize(
    "steps", [[], ["log1p"], ["monthly_anomaly"], ["log1p", "monthly_anomaly"]]
)
def test_transforms_round_trip_and_standardise(tmp_path, steps):
    rng = np.random.default_rng(0)
    # Two years of daily skewed non-negative data with a seasonal cycle per cell.
    days = np.arange(730)
    season = 2 + np.sin(2 * np.pi * days / 365.25)[:, None, None] * rng.uniform(0.5, 1.5, (1, 4, 5))
    values = (rng.gamma(2.0, 1.0, (730, 4, 5)) * season).astype(np.float32)
    src = _source(tmp_path, values)
    fit = fit_transforms(src, slice(0, 730), parse_steps({"v": steps}, ["v"]), chunk=97)
    (tf,) = fit.transforms
    time = TimeFeatures.from_times(src.time)
    z = tf.forward(values.astype(np.float64), time)
    assert z.mean() == pytest.approx(0, abs=1e-6) and z.std() == pytest.approx(1, rel=1e-6)
    np.testing.assert_allclose(tf.inverse(z, time), values, rtol=1e-6, atol=1e-6)
    if "monthly_anomaly" in steps:
        g = np.log1p(values) if "log1p" in steps else values
        january = src.months == 1
        np.testing.assert_allclose(tf.climatology[0].numpy(), g[january].mean(axis=0), rtol=1e-5)


def test_unknown_transform_and_bad_log1p_are_clear_errors(tmp_path):
    with pytest.raises(StganError, match="unknown transform 'sqrt'.*log1p, monthly_anomaly"):
        parse_steps({"v": ["sqrt"]}, ["v"])
    with pytest.raises(StganError, match="variable.*'w'"):
        parse_steps({"w": ["log1p"]}, ["v"])
    src = _source(tmp_path, np.random.default_rng(0).normal(size=(20, 3, 3)).astype(np.float32))
    with pytest.raises(StganError, match="log1p needs non-negative values"):
        fit_transforms(src, slice(0, 20), {"v": ["log1p"]})


def test_constant_variable_cannot_be_standardised(tmp_path):
    src = _source(tmp_path, np.ones((10, 3, 3), np.float32))
    with pytest.raises(StganError, match="'v' is constant"):
        fit_transforms(src, slice(0, 10), {"v": []})


def test_channel_transform_inverts_torch_batches():
    import torch

    tf = ChannelTransform(log1p=True, mean=0.5, std=2.0)
    z = torch.randn(3, 4, 5, 6, dtype=torch.float64)
    np.testing.assert_allclose(tf.forward(tf.inverse(z)).numpy(), z.numpy(), atol=1e-12)


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
        stats.append([(t.mean, t.std) for t in dm.fitted.transforms])
    assert stats[0] == stats[1]
    train = ds["field"].values[: dm.splits["train"].stop].astype(np.float64)
    assert stats[0][0][0] == pytest.approx(train.mean(), rel=1e-9)
    assert stats[0][0][1] == pytest.approx(train.std(), rel=1e-6)


def _windows(data, window, *, periodic_x=False, resident=True, starts=None):
    def read(t0, t1, *, y0, h, x0, w):
        xs = np.arange(x0, x0 + w) % data.shape[-1]
        return data[:, t0:t1, y0 : y0 + h][..., xs].numpy()

    mask = np.zeros(data.shape[-2:], bool)
    mask[0, 0] = True
    n_start = data.shape[1] - window[0] + 1
    return WindowDataset(
        read=read,
        resident=data if resident else None,
        offset=0,
        starts=np.arange(n_start) if starts is None else starts,
        window=window,
        grid=data.shape[-2:],
        periodic_x=periodic_x,
        mask=mask,
        length=40,
    )


@pytest.mark.parametrize("resident", [True, False])
@pytest.mark.parametrize("periodic_x", [False, True])
def test_random_windows_are_crops_of_the_data(resident, periodic_x):
    data = torch.arange(2 * 10 * 6 * 7, dtype=torch.float32).reshape(2, 10, 6, 7)
    torch.manual_seed(0)
    windows = _windows(data, (3, 4, 5), periodic_x=periodic_x, resident=resident)
    wrapped = 0
    for i in range(len(windows)):
        w, valid, corner, steps = windows[i]
        assert w.shape == (2, 3, 4, 5) and valid.shape == (1, 1, 4, 5)
        t0, rest = divmod(int(w[0, 0, 0, 0].item()), 6 * 7)
        y0, x0 = divmod(rest, 7)
        # Where the crop lies, for conditioned models; no dates given: NaN steps.
        assert corner.tolist() == [y0, x0] and steps.shape == (3, 4) and steps.isnan().all()
        xs = torch.arange(x0, x0 + 5) % 7
        torch.testing.assert_close(w, data[:, t0 : t0 + 3, y0 : y0 + 4][..., xs])
        wrapped += x0 + 5 > 7
        # The masked corner cell (0, 0) is invalid wherever it falls in the crop.
        expected = torch.ones(4, 5)
        if y0 == 0 and 0 in xs.tolist():
            expected[0, xs.tolist().index(0)] = 0
        torch.testing.assert_close(valid[0, 0], expected)
    assert (wrapped > 0) == periodic_x  # only a periodic axis wraps


def test_valid_starts_skip_bad_steps():
    bad = np.zeros(30, bool)
    bad[[10, 11, 25]] = True
    starts = valid_starts(slice(5, 30), 4, bad)
    # Windows [t0, t0+4) within [5, 30) that avoid steps 10, 11 and 25.
    expected = [t for t in range(5, 27) if not ({10, 11, 25} & set(range(t, t + 4)))]
    assert starts.tolist() == expected


def test_strided_windows_tile_without_overlap():
    data = np.arange(9 * 4 * 6).reshape(9, 4, 6)
    w = strided_windows(data, (4, 2, 3))
    assert w.shape == (2 * 2 * 2, 4, 2, 3)  # 9//4 × 4//2 × 6//3
    np.testing.assert_array_equal(w[0], data[0:4, 0:2, 0:3])
    np.testing.assert_array_equal(w[-1], data[4:8, 2:4, 3:6])


def test_atomic_outputs_get_ordinary_permissions(tmp_path):
    import os

    from stgan.io.atomic import write_text

    umask = os.umask(0o022)
    try:
        path = write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(umask)
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary file left
