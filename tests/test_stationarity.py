"""Trends and seasonal cycles: measured by `inspect`, removed by detrend/anomaly, restored at generation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr
from conftest import run_stgan

from stgan.data.stationarity import THRESHOLD, measure_stationarity
from stgan.data.time_features import TimeFeatures
from stgan.data.transform_fit import fit_transforms
from stgan.data.transforms import ChannelTransform, parse_steps
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf
from stgan.io.source import GridSource

H, W = 4, 5


def field(
    n_time: int,
    *,
    calendar: str = "standard",
    freq: str = "D",
    start: str = "2000-01-01",
    change: float = 2.0,
    amplitude: float = 1.0,
    noise: float = 0.5,
    seed: int = 0,
):
    """tas = 280 + linear trend + cos(2π · year fraction) · amplitude + white noise, per cell.

    The trend rises by ``change`` × (1 + row/H) over the record (cells differ); the cosine
    phase makes the cycle nearly uncorrelated with the trend over whole years. Returns the
    dataset, the true slope per day (H, W) and the steps' TimeFeatures.
    """
    dates = xr.date_range(start, periods=n_time, freq=freq, calendar=calendar, use_cftime=True)
    time = TimeFeatures.from_times(dates.values)
    days = time.numeric(f"days since {start}", calendar)
    slope = change * (1 + np.arange(H)[:, None] / H) * np.ones((H, W)) / days[-1]
    rng = np.random.default_rng(seed)
    tas = (
        280
        + slope * days[:, None, None]
        + amplitude * np.cos(2 * np.pi * time.year_fraction)[:, None, None]
        + noise * rng.standard_normal((n_time, H, W))
    )
    ds = xr.Dataset(
        {"tas": (("time", "lat", "lon"), tas.astype(np.float32), {"units": "K"})},
        coords={
            "time": dates,
            "lat": ("lat", np.linspace(40, 46, H), {"units": "degrees_north"}),
            "lon": ("lon", np.linspace(0, 8, W), {"units": "degrees_east"}),
        },
    )
    return ds, slope, time


def _source(tmp_path, ds, name: str = "tas.nc") -> GridSource:
    write_netcdf(ds, tmp_path / name)
    return GridSource(str(tmp_path / name))


def test_ratios_of_a_known_trend_and_cycle(tmp_path):
    ds, _, _ = field(3 * 365, calendar="noleap", change=2.0, amplitude=1.0, noise=0.2)
    (s,) = measure_stationarity(_source(tmp_path, ds), slice(0, 3 * 365))
    # Per cell: trend change c = 2(1 + i/4), σ² = c²/12 + 1/2 (cosine) + 0.04 (noise); the
    # cosine's monthly means range over 2·cos(15°)·sin(π/12)/(π/12) = 1.910 for equal months
    # centred at 15°, 45°, …; unequal months and the noise add about 1 %.
    c = 2.0 * (1 + np.arange(H) / H)
    sigma = np.sqrt(c**2 / 12 + 0.5 + 0.04)
    assert s.trend == pytest.approx(np.mean(c / sigma), rel=0.02)
    assert s.seasonal == pytest.approx(np.mean(1.910 / sigma), rel=0.025)
    assert s.large_trend and s.large_seasonal


def test_noise_alone_is_not_flagged(tmp_path):
    ds, _, _ = field(365, change=0.0, amplitude=0.0, noise=1.0, seed=1)
    (s,) = measure_stationarity(_source(tmp_path, ds), slice(0, 365))
    # One year of daily white noise: 12 monthly means of ~30 values range over ~3.26/√30.
    assert s.seasonal_noise == pytest.approx(3.258 / np.sqrt(365 / 12))
    assert s.trend < 2 * s.trend_noise and s.seasonal < 2 * s.seasonal_noise
    assert not s.large_trend and not s.large_seasonal


def test_numeric_time_has_a_trend_but_no_cycle(tmp_path):
    ds, _, _ = field(200, change=3.0, amplitude=0.0)
    ds = ds.assign_coords(time=np.arange(200.0) * 0.5)  # a numeric axis: the value is t
    (s,) = measure_stationarity(_source(tmp_path, ds), slice(0, 200))
    assert s.seasonal is None and s.large_trend


@pytest.mark.parametrize("calendar", ["standard", "noleap", "360_day"])
def test_detrend_recovers_the_slope(tmp_path, calendar):
    n = 3 * 365
    ds, slope, _ = field(n, calendar=calendar, noise=0.5, seed=2)
    src = _source(tmp_path, ds)
    (tf,) = fit_transforms(
        src, slice(0, n), parse_steps({"tas": ["detrend"]}, ["tas"]), chunk=100
    ).transforms
    assert tf.time_units == "days since 2000-01-01 00:00:00"
    assert tf.time_calendar == ("proleptic_gregorian" if calendar == "standard" else calendar)
    # OLS slope error of white noise σ over n evenly spaced days: σ·√(12 / (n(n² − 1))).
    se = 0.5 * np.sqrt(12 / (n * (n**2 - 1)))
    np.testing.assert_allclose(tf.trend[1].numpy(), slope, atol=5 * se)
    assert np.abs(tf.trend[0].numpy() - 280).max() < 0.2  # a: the line's value at day 0


CASES = [
    (cal, freq, n)
    for cal in ("standard", "noleap", "360_day")
    for freq, n in (("MS", 36), ("D", 2 * 365))
]


@pytest.mark.parametrize("calendar,freq,n", CASES)
@pytest.mark.parametrize("steps", [["detrend"], ["anomaly"], ["log1p", "detrend", "anomaly"]])
def test_forward_then_inverse_is_the_identity(tmp_path, calendar, freq, n, steps):
    ds, _, _ = field(n, calendar=calendar, freq=freq, seed=3)
    src = _source(tmp_path, ds)
    (tf,) = fit_transforms(
        src, slice(0, n), parse_steps({"tas": steps}, ["tas"]), chunk=50
    ).transforms
    if "anomaly" in steps:  # by calendar month for monthly steps, by day of year for daily ones
        assert (tf.climatology is not None) == (freq == "MS") and (tf.seasonal is not None) == (
            freq == "D"
        )
    time = TimeFeatures.from_times(src.time)
    x = src.read(0, n)[0].astype(np.float64)  # (T, H, W)
    z = tf.forward(x, time)
    assert z.mean() == pytest.approx(0, abs=1e-9) and z.std() == pytest.approx(1, rel=1e-9)
    np.testing.assert_allclose(tf.inverse(z, time), x, rtol=1e-12)
    batch = torch.from_numpy(np.stack([z, 2 * z]))  # (2, T, H, W) torch, as generation calls it
    np.testing.assert_allclose(tf.inverse(batch, time)[0].numpy(), x, rtol=1e-12)
    # The transform survives the checkpoint's plain-data round trip.
    again = ChannelTransform(**torch.load(_saved(tmp_path, tf.to_dict()), weights_only=True))
    np.testing.assert_allclose(again.inverse(z, time), x, rtol=1e-12)


def _saved(tmp_path, payload):
    torch.save(payload, tmp_path / "tf.pt")
    return tmp_path / "tf.pt"


def test_day_of_year_climatology_is_the_annual_cosine(tmp_path):
    ds, _, _ = field(4 * 365, calendar="noleap", change=0.0, amplitude=1.5, noise=0.3, seed=4)
    src = _source(tmp_path, ds)
    (tf,) = fit_transforms(src, slice(0, 4 * 365), {"tas": ["anomaly"]}).transforms
    coef = tf.seasonal.numpy()  # mean, cos 1–3, sin 1–3
    np.testing.assert_allclose(coef[0], 280, atol=0.05)
    np.testing.assert_allclose(coef[1], 1.5, atol=0.05)
    np.testing.assert_allclose(coef[2:], 0, atol=0.05)


def test_monthly_anomaly_and_old_transforms_load_as_before(tmp_path):
    ds, _, _ = field(48, freq="MS", seed=5)
    src = _source(tmp_path, ds)
    fits = [
        fit_transforms(src, slice(0, 48), {"tas": [s]}).transforms[0]
        for s in ("monthly_anomaly", "anomaly")
    ]
    values = ds["tas"].values
    january = np.arange(48) % 12 == 0
    np.testing.assert_allclose(
        fits[0].climatology[0].numpy(), values[january].mean(axis=0), rtol=1e-6
    )
    np.testing.assert_array_equal(fits[0].climatology.numpy(), fits[1].climatology.numpy())
    # A checkpoint written before detrend/anomaly holds only these four keys.
    old = {
        "log1p": False,
        "climatology": fits[0].climatology,
        "mean": fits[0].mean,
        "std": fits[0].std,
    }
    time = TimeFeatures.from_times(src.time)
    np.testing.assert_allclose(
        ChannelTransform(**old).forward(values.astype(np.float64), time),
        fits[0].forward(values.astype(np.float64), time),
    )


def test_date_dependent_transforms_say_what_they_need(tmp_path):
    ds, _, _ = field(2 * 365, seed=6)
    src = _source(tmp_path, ds)
    (tf,) = fit_transforms(src, slice(0, 2 * 365), {"tas": ["detrend", "anomaly"]}).transforms
    with pytest.raises(StganError, match="linear trend.*--start-time"):
        tf.inverse(np.zeros((3, H, W)), None)
    with pytest.raises(StganError, match="no dates.*--start-time"):
        tf.inverse(np.zeros((3, H, W)), TimeFeatures.from_times(np.arange(3.0)))
    with pytest.raises(StganError, match="no data for month"):
        fit_transforms(src, slice(0, 200), {"tas": ["anomaly"]})
    with pytest.raises(StganError, match="only one of anomaly and monthly_anomaly"):
        parse_steps({"tas": ["anomaly", "monthly_anomaly"]}, ["tas"])
    numeric = _source(tmp_path, ds.assign_coords(time=np.arange(2 * 365.0)), "numeric.nc")
    with pytest.raises(StganError, match="anomaly needs a calendar time axis"):
        fit_transforms(numeric, slice(0, 2 * 365), {"tas": ["anomaly"]})


def test_dates_are_read_in_the_models_calendar():
    noleap = TimeFeatures.from_times(np.array(["2001-03-01", "2002-03-01"], dtype="datetime64[ns]"))
    assert noleap.numeric("days since 2001-01-01", "noleap").tolist() == [59, 424]
    assert noleap.numeric("days since 2001-01-01", "360_day").tolist() == [60, 420]
    with pytest.raises(StganError, match="does not exist in the 360_day calendar"):
        TimeFeatures.from_times(np.array(["2001-01-31"], dtype="datetime64[ns]")).numeric(
            "days since 2001-01-01", "360_day"
        )


def test_inspect_warns_and_names_the_fix(tmp_path):
    ds, _, _ = field(3 * 365, seed=7)
    write_netcdf(ds, tmp_path / "tas.nc")
    out = run_stgan("inspect", str(tmp_path / "tas.nc"), "--window", "4", str(H), str(W)).stdout
    line = next(
        x for x in out.splitlines() if x.strip().startswith("trend over the training split")
    )
    trend, cycle = (
        float(v) for v in line.replace(",", " ").split() if v.replace(".", "").isdigit()
    )
    assert trend > THRESHOLD and cycle > THRESHOLD
    assert "warning: tas is not stationary" in out
    assert "--data.transforms '{tas: [detrend, anomaly]}'" in out

    quiet, _, _ = field(3 * 365, change=0.0, amplitude=0.0, seed=7)
    write_netcdf(quiet, tmp_path / "quiet.nc")
    out = run_stgan("inspect", str(tmp_path / "quiet.nc"), "--window", "4", str(H), str(W)).stdout
    assert "not stationary" not in out


def test_trend_travels_in_the_checkpoint_and_is_restored(tmp_path):
    """Two windows from one seed, dated ten years apart, differ by exactly slope × 3652 days."""
    ds, slope, _ = field(3 * 365, calendar="standard", start="1990-01-01", change=3.0, seed=8)
    write_netcdf(ds, tmp_path / "tas.nc")
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--data.path",
        str(tmp_path / "tas.nc"),
        "--data.transforms",
        "{tas: [detrend, anomaly]}",
        "--data.window_length",
        "4",
        "--data.batch_size",
        "4",
        "--data.samples_per_epoch",
        "8",
        "--model.generator_options",
        "{latent_channels: 4, width: 4, spatial_upsamples: 1}",
        "--model.discriminator_options",
        "{width: 4, depth: 2}",
        "--metrics.every_n_steps",
        "1",
        "--metrics.num_samples",
        "4",
        "--trainer.max_steps",
        "2",
        "--trainer.accelerator",
        "cpu",
        "--trainer.enable_model_summary",
        "false",
        "--trainer.default_root_dir",
        str(root),
    )
    ckpt = root / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    (saved,) = torch.load(ckpt, weights_only=True)["stgan"]["data"]["transforms"]
    b = saved["trend"][1].numpy().astype(np.float64)  # per day
    se = 0.5 * np.sqrt(12 / (766 * (766**2 - 1)))  # ~70 % of the record trains
    np.testing.assert_allclose(b, slope, atol=6 * se)
    outs = []
    for start in ("2001-01-10", "2011-01-10"):  # 3652 days apart (2004 and 2008 are leap years)
        out = tmp_path / f"g{start}.nc"
        run_stgan(
            "generate",
            "--checkpoint",
            str(ckpt),
            "--num-samples",
            "3",
            "--seed",
            "4",
            "--output",
            str(out),
            "--start-time",
            start,
        )
        with xr.open_dataset(out) as g:
            outs.append(g["tas"].values.astype(np.float64))  # (sample, time, lat, lon)
    diff = outs[1] - outs[0]
    # Same seed → same standardised windows; same day of year → same climatology; only the
    # trend's a + b·t differs.
    np.testing.assert_allclose(diff, np.broadcast_to(b * 3652, diff.shape), atol=2e-4)
    assert diff.mean() == pytest.approx(np.mean(slope) * 3652, rel=0.05)


def test_windows_of_part_of_the_grid_are_transformed_with_their_cells(tmp_path):
    """Streamed patches (also wrapping around a global longitude) use their cells' trend and climatology."""
    from stgan.data.datamodule import SpaceTimeDataModule

    ds, _, _ = field(2 * 365, seed=9)
    ds = ds.assign_coords(
        lon=("lon", np.arange(0, 360, 360 / W), {"units": "degrees_east"})
    )  # periodic
    write_netcdf(ds, tmp_path / "tas.nc")
    dm = SpaceTimeDataModule(
        str(tmp_path / "tas.nc"),
        transforms={"tas": ["detrend", "anomaly"]},
        window_length=4,
        window_height=2,
        window_width=3,
        batch_size=2,
        in_memory=False,
    )
    dm.setup("fit")
    assert dm.source.periodic_x
    whole = dm.standardised(100, 104)  # (C, T, H, W) over the whole grid
    part = dm.standardised(100, 104, y0=1, h=2, x0=3, w=3)  # columns 3, 4, 0
    np.testing.assert_allclose(part, whole[:, :, 1:3][..., [3, 4, 0]], rtol=1e-6)
