"""The conditional tasks end to end: a tiny model trained per task with its preset, the
task's library function, its CLI command as a real process, and the bad inputs it refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import run_stgan

import stgan
from stgan.cli import main
from stgan.data.synthetic import make_grf
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf

FORMAT1 = Path(__file__).parent / "data" / "format1.ckpt"
# The presets' networks made tiny: a few training steps take a second or two.
TINY = {
    "model.generator.options": {
        "latent_channels": 4,
        "width": 4,
        "spatial_upsamples": 2,
        "temporal_upsamples": 1,
        "latent_vector": 8,
    },
    "model.discriminator.options": {"width": 4, "depth": 1, "spectral_norm": True},
    "data.batch_size": 2,
    "data.samples_per_epoch": 4,
    # In-training metrics at step 2: a task's model is given the validation windows.
    "metrics.every_n_steps": 2,
    "metrics.num_samples": 2,
    "trainer.enable_model_summary": False,
}
TASKS = ("downscaling", "nowcasting", "gap-filling")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """The data (16 × 16, an island masked, 96 days) and a model trained 2 steps per task."""
    root = tmp_path_factory.mktemp("tasks")
    data = root / "g.nc"
    write_netcdf(make_grf(time=96, height=16, width=16, seed=4, mask="island"), data)
    out = {"data": data}
    for task in TASKS:
        run = stgan.fit(data, task, max_steps=2, root_dir=root / task, progress=False, **TINY)
        out[task] = run.checkpoint
        assert list(run.checkpoint.parent.glob("best-2-*.ckpt"))  # the metrics ran and scored
    return out


@pytest.fixture(scope="module")
def record(trained) -> xr.Dataset:
    with xr.open_dataset(trained["data"]) as ds:
        return ds.load()


def test_downscaling_from_the_coarse_or_the_fine_grid(trained, record, tmp_path):
    model = stgan.load(trained["downscaling"])
    truth = record.isel(time=slice(70, 82))  # 12 steps: windows of 8 at steps 0 and 4
    coarse = truth.coarsen(y=4, x=4).mean()
    coarse.to_netcdf(tmp_path / "coarse.nc")
    truth.to_netcdf(tmp_path / "fine.nc")
    out = model.downscale(tmp_path / "coarse.nc", n=2, seed=1)
    assert out["field"].shape == (2, 12, 16, 16)
    np.testing.assert_array_equal(out["time"].values, truth["time"].values)
    assert out["field"].attrs["units"] == "K"
    mask = np.isnan(record["field"].values).all(axis=0)
    assert np.isnan(out["field"].values[..., mask]).all()
    assert np.isfinite(out["field"].values[..., ~mask]).all()
    # The fine input's block means are the coarse input: the same condition, the same samples.
    again = model.downscale(tmp_path / "fine.nc", n=2, seed=1)
    np.testing.assert_allclose(again["field"].values, out["field"].values, atol=1e-3)
    tables = model.score("downscale", out, tmp_path / "coarse.nc", tmp_path / "fine.nc")
    table = tables["field"]
    assert table.index.tolist() == ["stgan", "coarse input"]
    assert (table["lsd_finer_db"] > 0).all() and (table["rmse"] > 0).all()


def test_nowcast_rolls_out_three_windows_dated_after_the_input(trained, record, tmp_path):
    model = stgan.load(trained["nowcasting"])
    record.isel(time=slice(60, 70)).to_netcdf(tmp_path / "past.nc")
    out = model.nowcast(tmp_path / "past.nc", 24, n=2, seed=0)  # 3 × the 8-step window
    assert out["field"].shape == (2, 24, 16, 16)
    np.testing.assert_array_equal(out["time"].values, record["time"].values[70:94])
    assert np.isfinite(out["field"].values[..., ~np.isnan(record["field"].values[0])]).all()
    # Any length: a shorter nowcast is the start of the longer one (same seed, same draws).
    short = model.nowcast(tmp_path / "past.nc", 5, n=2, seed=0)
    np.testing.assert_array_equal(short["field"].values, out["field"].values[:, :5])
    record.isel(time=slice(70, 94)).to_netcdf(tmp_path / "after.nc")
    table = model.score("nowcast", out, tmp_path / "past.nc", tmp_path / "after.nc")["field"]
    assert table.index.tolist() == list(range(1, 25))
    assert (table["crps"] > 0).all() and np.isfinite(table["acf_truth"]).all()


def test_fill_gaps_keeps_the_known_cells(trained, record, tmp_path):
    model = stgan.load(trained["gap-filling"])
    truth = record.isel(time=slice(70, 78))
    gappy = truth.copy(deep=True)
    gappy["field"][:, 3:9, 8:14] = np.nan
    gappy.to_netcdf(tmp_path / "gappy.nc")
    out = model.fill_gaps(tmp_path / "gappy.nc", n=2)
    known = np.isfinite(gappy["field"].values)
    np.testing.assert_array_equal(out["field"].values[:, known], [gappy["field"].values[known]] * 2)
    mask = np.isnan(record["field"].values).all(axis=0)
    gap = ~known & ~mask
    assert gap.sum() > 0 and np.isfinite(out["field"].values[:, gap]).all()
    # In the network itself: G's output holds the known values where they are given.
    sampler = model.sampler
    field = np.random.default_rng(0).normal(size=(1, 1, 8, 16, 16)).astype(np.float32)
    field[..., 2:6, 2:6] = np.nan
    import torch

    from stgan.conditioning.place import condition_batch, time_table

    known_t = torch.from_numpy(field)
    cond = condition_batch(sampler, 1, (8, 16, 16), time_table(None, 8), field=known_t)
    made = sampler.sample(sampler.sample_latent(1), (8, 16, 16), cond).numpy()
    given = np.isfinite(field)
    np.testing.assert_array_equal(made[given], field[given])


def test_bad_inputs_are_refused(trained, record, tmp_path):
    nowcaster = stgan.load(trained["nowcasting"])
    record.coarsen(y=2, x=2).mean().to_netcdf(tmp_path / "half.nc")
    with pytest.raises(StganError, match=r"on a 8×8 grid; the model's is 16×16; regrid"):
        nowcaster.nowcast(tmp_path / "half.nc", 4)
    record.rename(field="sst").to_netcdf(tmp_path / "sst.nc")
    with pytest.raises(StganError, match="has no variable 'field'.*it has sst"):
        nowcaster.nowcast(tmp_path / "sst.nc", 4)
    record.isel(time=slice(0, 3)).to_netcdf(tmp_path / "three.nc")
    with pytest.raises(StganError, match="has 3 time steps and the model continues the last 4"):
        nowcaster.nowcast(tmp_path / "three.nc", 4)
    with pytest.raises(StganError, match="--length must be a positive integer"):
        nowcaster.nowcast(tmp_path / "three.nc", 0)
    with pytest.raises(
        StganError, match="needs a model trained with the gaps condition.*trained for stgan nowcast"
    ):
        nowcaster.fill_gaps(tmp_path / "three.nc")
    with pytest.raises(StganError, match=r"conditions: none \(an unconditional model\)"):
        stgan.load(FORMAT1).downscale(tmp_path / "three.nc")
    with pytest.raises(StganError, match="plain sampling has none to give; use stgan nowcast"):
        nowcaster.sample(1)
    record.isel(time=slice(0, 8)).to_netcdf(tmp_path / "full.nc")
    with pytest.raises(StganError, match="no NaN cell off the model's static mask"):
        stgan.load(trained["gap-filling"]).fill_gaps(tmp_path / "full.nc")
    # The CLI: one line, exit 2, nothing written.
    args = ["downscale", "--checkpoint", str(trained["downscaling"]), "--input"]
    args += [str(tmp_path / "half.nc"), "--output", str(tmp_path / "x.nc")]
    assert main(args) == 2 and not (tmp_path / "x.nc").exists()


@pytest.mark.parametrize("task", TASKS)
def test_task_command_end_to_end(task, trained, record, tmp_path):
    """The task's command as a real process, with --truth: the file and the metric table."""
    truth = record.isel(time=slice(70, 78))
    if task == "downscaling":
        truth.coarsen(y=4, x=4).mean().to_netcdf(tmp_path / "in.nc")
        extra = ["downscale"]
    elif task == "nowcasting":
        record.isel(time=slice(62, 70)).to_netcdf(tmp_path / "in.nc")
        truth = record.isel(time=slice(70, 94))
        extra = ["nowcast", "--length", "24"]  # 3 × the window
    else:
        gappy = truth.copy(deep=True)
        gappy["field"][2:5] = np.nan  # an outage of three frames
        gappy.to_netcdf(tmp_path / "in.nc")
        extra = ["fill-gaps"]
    truth.to_netcdf(tmp_path / "truth.nc")
    done = run_stgan(
        *extra,
        "--checkpoint", str(trained[task]),
        "--input", str(tmp_path / "in.nc"),
        "--output", str(tmp_path / "out.nc"),
        "-n", "2",
        "--truth", str(tmp_path / "truth.nc"),
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[:2] == [f"wrote {tmp_path / 'out.nc'}", "field:"]
    with xr.open_dataset(tmp_path / "out.nc") as out:
        assert out["field"].shape == (2, truth.sizes["time"], 16, 16)
        np.testing.assert_array_equal(out["time"].values, truth["time"].values)
        assert out.attrs["source"].startswith(f"stgan {extra[0]} --checkpoint {trained[task].name}")
    first = {"downscaling": "stgan", "nowcasting": "1", "gap-filling": "stgan"}[task]
    assert any(line.split()[0] == first for line in lines[3:])
