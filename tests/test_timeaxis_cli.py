"""Time axes through the CLI: undecodable ones refused, ``inspect`` naming the step, and
``fit → generate`` as real processes continuing a noleap monthly record in its calendar.

Fixture files are written with netCDF4 directly (:mod:`time_files`), as other software writes them.
"""

from __future__ import annotations

import cftime
import netCDF4
import numpy as np
import pytest
import torch
import xarray as xr
from conftest import TINY_FIT, run_stgan
from time_files import mid_months, write_file

import stgan
from stgan.errors import StganError
from stgan.io.source import GridSource


@pytest.mark.parametrize(
    ("units", "calendar", "named"),
    [
        ("days since 2000-01-01", "bogus_calendar", "bogus_calendar"),
        ("fortnights since 2000-01-01", "noleap", "fortnights since 2000-01-01"),
        ("months since 2000-01-01", "standard", "months since 2000-01-01"),
    ],
)
def test_undecodable_calendar_or_units_is_a_clear_error(tmp_path, units, calendar, named):
    from stgan.cli import main

    path = write_file(tmp_path / "bad.nc", np.arange(10.0), units, calendar)
    with pytest.raises(StganError) as err:
        GridSource(str(path))
    msg = str(err.value)
    assert named in msg and "'time'" in msg and "bad.nc" in msg
    assert "ncatted -a calendar,time,o,c,standard" in msg and "360_day" in msg
    assert main(["inspect", str(path)]) == 2


def test_inspect_shows_the_classified_step(tmp_path):
    units = "days since 1850-01-01"
    path = write_file(
        tmp_path / "m.nc",
        cftime.date2num(mid_months(range(2000, 2005), "360_day"), units, "360_day"),
        units,
        "360_day",
    )
    proc = run_stgan("inspect", str(path), "--window", "4", "4", "5")
    assert (
        "step monthly (1 month, stamped on day 16), calendar 360_day, units days since 1850-01-01"
        in proc.stdout
    )


# Tiny models of both generation paths: in memory (the default generator) and streamed chunk by
# chunk (convgru, see stgan.sampling.write_streamed).
GENERATORS = {
    "in-memory": TINY_FIT[:-4],
    "streamed": [
        "--config",
        "configs/convgru.yaml",
        "--model.generator_options",
        "{latent_channels: 4, hidden_channels: 8, width: 4, spatial_upsamples: 1}",
        "--model.discriminator_options",
        "{width: 4, depth: 2}",
        "--data.window_length",
        "4",
        "--data.batch_size",
        "4",
        "--data.samples_per_epoch",
        "16",
    ],
}


@pytest.mark.parametrize("path", sorted(GENERATORS))
def test_cli_generate_continues_a_noleap_monthly_record(tmp_path, path):
    """fit → generate as real processes: the output decodes to noleap dates after the record."""
    units = "days since 1850-01-01"
    dates = mid_months(range(2000, 2006), "noleap")  # 72 months
    values = cftime.date2num(dates, units, "noleap")
    data = write_file(tmp_path / "cmip.nc", values, units, "noleap", ny=8, nx=8)
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--data.path",
        str(data),
        "--data.transforms",
        "{tas: [monthly_anomaly]}",
        "--trainer.max_steps",
        "2",
        "--trainer.default_root_dir",
        str(root),
        "--metrics.every_n_steps",
        "0",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.accelerator",
        "cpu",
        *GENERATORS[path],
    )
    ckpt = root / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    out = tmp_path / "gen.nc"
    # A monthly-anomaly model needs no --start-time now: the months come from the dates.
    run_stgan(
        "generate",
        "--checkpoint",
        str(ckpt),
        "--num-samples",
        "2",
        "--output",
        str(out),
        "--length",
        "4",
    )
    with xr.open_dataset(out) as ds:
        t = ds["time"].values
        assert isinstance(t[0], cftime.DatetimeNoLeap)
        assert list(t) == [
            cftime.DatetimeNoLeap(2006, 1, 16, 12),
            cftime.DatetimeNoLeap(2006, 2, 15),
            cftime.DatetimeNoLeap(2006, 3, 16, 12),
            cftime.DatetimeNoLeap(2006, 4, 16),
        ]
        assert ds["time"].encoding["units"] == units and ds["time"].encoding["calendar"] == "noleap"
        assert ds["time"].attrs["bounds"] == "time_bnds"
        assert list(ds["time_bnds"].values[0]) == [
            cftime.DatetimeNoLeap(2006, 1, 1),
            cftime.DatetimeNoLeap(2006, 2, 1),
        ]
        assert ds["tas"].shape == (2, 4, 8, 8)
        assert 250 < float(ds["tas"].mean()) < 310  # the climatology is added back: kelvin
    with netCDF4.Dataset(out) as nc:
        np.testing.assert_allclose(nc["time"][:], values[-1] + np.array([31.0, 60.5, 90.0, 120.5]))
        assert nc["time"].calendar == "noleap" and nc["time"].standard_name == "time"
    if path == "streamed":
        return
    # The output evaluates against its own input: time_bnds is not taken for a variable.
    result = stgan.evaluate(data, out, metrics=["spectrum", "acf"]).to_dict()
    assert list(result["variables"]) == ["tas"]
    # A checkpoint from before stgan described its time axis behaves as it did: a model of
    # monthly anomalies needs --start-time, and steps by the record's first step (29.5 days).
    payload = torch.load(ckpt, weights_only=True)
    del payload["stgan"]["data"]["time"]
    torch.save(payload, tmp_path / "old.ckpt")
    with pytest.raises(StganError, match="--start-time"):
        stgan.load(tmp_path / "old.ckpt").write(tmp_path / "old.nc", 2)
    assert not (tmp_path / "old.nc").exists()
    stgan.load(tmp_path / "old.ckpt").write(tmp_path / "old.nc", 2, start_time="2010-01-01")
    with xr.open_dataset(tmp_path / "old.nc") as ds:
        t = ds["time"].values
        assert t[0] == np.datetime64("2010-01-01") and "time_bnds" not in ds
        assert (np.diff(t) == np.timedelta64(29 * 86400 + 43200, "s")).all()
