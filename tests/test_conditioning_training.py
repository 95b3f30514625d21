"""Conditioned models learn what they are conditioned on (known answer); sampling honours it.

The field's mean is ``1.5·sin(lon) + cos(2π(month − 1)/12)`` plus noise of 0.3
(:mod:`conditioning_data`). Both models train on 8×8 patches of the 8×16 global grid, the
same steps and seed: a patch cannot tell where it lies, nor a window which month it holds,
unless it is told. The conditioned model (coords, calendar, climatology) must put the longitude
pattern and the seasonal cycle where they belong; the unconditional one cannot. (Conditioned
on coords and calendar alone it gets there too, in more steps than a test should take.)
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr
from cf_runs import stgan as stgan_process
from cf_runs import stgan_here
from conditioning_data import mean_map, position_month_field

import stgan
from stgan.checkpoint import load_checkpoint
from stgan.conditioning.place import override, time_table
from stgan.sampler import Sampler
from stgan.sampling import generate_array
from stgan.tiling import full_grid_array
from stgan.training.loading import load_module

STEPS = 80
COMMON = {
    "data.window_length": 4,
    "data.window_height": 8,
    "data.window_width": 8,
    "data.batch_size": 16,
    "metrics.every_n_steps": 0,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The conditioned and the unconditional run on the same data, steps and seed."""
    data = position_month_field()
    root = tmp_path_factory.mktemp("conditioned")
    out = {}
    for name, extra in (
        ("conditioned", {"data.conditions": "[coords, calendar, climatology]"}),
        ("plain", {}),
    ):
        out[name] = stgan.fit(
            data,
            config="demo",
            max_steps=STEPS,
            root_dir=root / name,
            progress=False,
            **COMMON,
            **extra,
        )
    return data, out


def _mean_map_error(model, dated: int, data: xr.Dataset, **request) -> tuple[float, np.ndarray]:
    """Mean |sample mean − true mean| over the grid, for full-grid samples dated in month
    ``dated`` (``request``: the conditions asked for, if any)."""
    samples = model.sample(32, full_grid=True, start_time=f"2031-{dated:02d}-01", **request)
    got = samples["v"].values.mean(axis=(0, 1))  # over samples and steps
    return float(np.abs(got - mean_map(data.lat.values, data.lon.values, dated)).mean()), got


def test_a_conditioned_model_places_the_pattern_and_the_season_an_unconditional_one_cannot(runs):
    data, fitted = runs
    conditioned = stgan.load(fitted["conditioned"].last_checkpoint)
    plain = stgan.load(fitted["plain"].last_checkpoint)
    errors = {}
    for month in (1, 7):
        errors["conditioned", month], got = _mean_map_error(conditioned, month, data, month=month)
        errors["plain", month], _ = _mean_map_error(plain, month, data)
        # The longitude pattern: the sample mean's east-west profile follows 1.5·sin(lon).
        profile = got.mean(axis=0) - got.mean()
        expected = 1.5 * np.sin(np.radians(data.lon.values))
        assert np.corrcoef(profile, expected)[0, 1] > 0.8, (month, profile.round(2))
    # Known answer: the true mean maps differ by 2 between January and July in every cell,
    # so a model blind to the month is off by at least 1 on average over the two (its samples
    # are the same whatever their dates); the conditioned one must be far closer.
    assert (errors["plain", 1] + errors["plain", 7]) / 2 >= 0.9, errors
    for month in (1, 7):
        assert errors["conditioned", month] < 0.45, errors
        assert errors["conditioned", month] < 0.5 * errors["plain", month], errors


def test_month_and_year_choose_the_conditions_and_the_sampler_samples_as_the_module(runs):
    _, fitted = runs
    ckpt = load_checkpoint(fitted["conditioned"].last_checkpoint)
    module, sampler = load_module(ckpt), Sampler.from_checkpoint(ckpt)
    assert sampler.conditions.names == ["coords", "calendar", "climatology"]
    assert sampler.conditions.k == 4 + 2 + 2
    table = override(time_table(None, 4), month=7)
    for fn, kw in ((generate_array, {}), (full_grid_array, {"length": 4})):
        a = fn(module, 3, seed=2, batch_size=2, when=table, **kw)
        b = fn(sampler, 3, seed=2, batch_size=2, when=table, **kw)
        np.testing.assert_array_equal(a, b)
    model = stgan.load(fitted["conditioned"].last_checkpoint)
    january = model.sample(4, seed=1, month=1)["v"].values
    july = model.sample(4, seed=1, month=7)["v"].values
    assert july.mean() - january.mean() < -1.0  # the cycle: cos(0) − cos(π) = 2 in truth
    # The conditions change only the conditioning, never the dates written.
    times = model.sample(1, start_time="2031-03-01", month=7)["time"].values
    assert str(times[0])[:7] == "2031-03"
    assert torch.equal(module.conditions.kinds[0].field, sampler.conditions.kinds[0].field)


def test_stgan_generate_month_end_to_end_and_refused_for_an_unconditional_model(runs, tmp_path):
    _, fitted = runs
    out = tmp_path / "july.nc"
    done = stgan_process(
        "generate",
        "--checkpoint",
        str(fitted["conditioned"].last_checkpoint),
        "--output",
        str(out),
        "--num-samples",
        "2",
        "--month",
        "7",
        "--full-grid",
    )
    assert done.returncode == 0, done.stderr
    with xr.open_dataset(out) as ds:
        assert ds["v"].shape == (2, 4, 8, 16)
    for flag, value in (("--month", "7"), ("--year", "2080")):
        refused = stgan_here(
            "generate",
            "--checkpoint",
            str(fitted["plain"].last_checkpoint),
            "--output",
            str(tmp_path / "no.nc"),
            flag,
            value,
        )
        assert refused.returncode == 2
        assert f"{flag} needs a model conditioned on" in refused.stderr
        assert "an unconditional model" in refused.stderr
        assert not (tmp_path / "no.nc").exists()
    wrong = stgan_here(
        "generate",
        "--checkpoint",
        str(fitted["conditioned"].last_checkpoint),
        "--output",
        str(tmp_path / "no.nc"),
        "--month",
        "0",
    )
    assert wrong.returncode == 2 and "month from 1 to 12, got 0" in wrong.stderr
    assert not (tmp_path / "no.nc").exists()
