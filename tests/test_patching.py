"""Grids too large for one window: the patch choice, periodic longitude in the networks, and
full-grid samples tiled from patches."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
import xarray as xr
from conftest import TINY_FIT, run_stgan

import stgan
from stgan.checkpoint import load_checkpoint
from stgan.cli import main
from stgan.data.datamodule import SpaceTimeDataModule
from stgan.data.patching import choose_patch, discriminator_macs, generator_macs, step_cost
from stgan.io.netcdf import write_netcdf
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.nn.layers import SameConv2d, SameConv3d
from stgan.tiling import axis_weights, blend, tile_starts, tiles
from stgan.training.loading import load_module
from stgan.training.module import GANModule


def global_grid(n_time: int, n_lat: int, n_lon: int, *, seed: int = 0) -> xr.Dataset:
    """A global lat/lon field: ``n_lon`` longitudes spaced 360/n_lon (periodic), units K."""
    rng = np.random.default_rng(seed)
    lat = np.linspace(-90, 90, n_lat)
    lon = np.arange(n_lon) * 360.0 / n_lon
    values = 280 + rng.normal(size=(n_time, n_lat, n_lon)).astype(np.float32)
    return xr.Dataset(
        {"tas": (("time", "lat", "lon"), values, {"units": "K", "long_name": "air temperature"})},
        coords={
            "time": xr.date_range("2001-01-01", periods=n_time, freq="D"),
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
    )


# --- the cost and the patch choice ------------------------------------------------------------


def test_macs_count_the_reference_networks_by_hand():
    # G (latent 16, width 16, 2 upsamples, 1 in time) on (8, 32, 32): latent grid (4, 8, 8);
    # stem 16→64 at 256 cells; block 1 at (8, 16, 16) = 2048 cells: 64→32, 32→32; block 2 at
    # (8, 32, 32) = 8192 cells: 32→16, 16→16; head 16→1 at 8192 cells. 27 MACs per weight.
    g = 27 * (16 * 64 * 256 + (64 * 32 + 32 * 32) * 2048 + (32 * 16 + 16 * 16) * 8192 + 16 * 8192)
    assert (
        generator_macs(
            (8, 32, 32), 1, latent_channels=16, width=16, spatial_upsamples=2, temporal_upsamples=1
        )
        == g
    )
    # D (width 16, depth 3, 1 temporal downsample) on (8, 32, 32): stem 1→16 at 8192 cells, then
    # 16→32 at (4, 16, 16), 32→64 at (4, 8, 8), 64→128 at (4, 4, 4).
    d = 27 * (16 * 8192 + 16 * 32 * 1024 + 32 * 64 * 256 + 64 * 128 * 64)
    assert (
        discriminator_macs((8, 32, 32), 1, width=16, depth=3, temporal_downsamples=1, max_width=256)
        == d
    )
    assert step_cost((8, 32, 32), batch_size=2).macs == 2 * (4 * g + 9 * d)
    # Sides that are multiples of 8 scale exactly with the cells; a ragged 73 rounds up.
    assert step_cost((8, 64, 64)).macs == 4 * step_cost((8, 32, 32)).macs
    assert step_cost((8, 73, 144)).macs > 73 * 144 / 64**2 * step_cost((8, 64, 64)).macs


@pytest.mark.parametrize(
    ("grid", "patch"),
    [
        ((73, 144), (64, 64)),  # a 2.5° global grid: the 64×64 budget itself
        ((32, 32), (32, 32)),  # the synthetic datasets' default: whole, as before
        ((64, 64), (64, 64)),  # exactly at the budget: whole
        ((12, 20), (12, 20)),  # ragged small grids stay whole too
        ((65, 64), (64, 64)),  # one row over the budget
        ((40, 400), (40, 80)),  # a narrow band: the whole 40 rows, width at most twice that
        ((181, 360), (64, 64)),
    ],
)
def test_choose_patch_known_answers(grid, patch):
    assert choose_patch(grid, 8) == patch
    h, w = patch
    if patch != grid:  # under the budget, multiples of 8 (or the whole axis), square-ish
        assert step_cost((8, h, w)).macs <= step_cost((8, 64, 64)).macs
        assert all(side % 8 == 0 or side == n for side, n in zip(patch, grid))
        assert max(h, w) <= 2 * min(h, w)


def test_the_chosen_patch_does_not_depend_on_length_or_batch():
    assert {choose_patch((73, 144), t, batch_size=b) for t in (4, 8, 16) for b in (1, 16)} == {
        (64, 64)
    }


def test_patches_the_networks_accept():
    # Every default-built G and D takes the chosen patch: G makes exactly (T, 64, 64), D scores it.
    t, (h, w) = 4, choose_patch((73, 144), 4)
    for key in ("conv3d", "convgru"):
        g = GENERATORS.build(key, channels=1)
        assert g(torch.randn(1, *g.latent_shape((t, h, w))), (t, h, w)).shape == (1, 1, t, h, w)
    for key in ("conv3d", "spatiotemporal", "convgru"):
        assert DISCRIMINATORS.build(key, channels=1)(torch.randn(2, 1, t, h, w)).shape == (2,)


def test_data_module_trains_on_a_patch_and_says_so_once(tmp_path, caplog):
    write_netcdf(global_grid(40, 73, 144), tmp_path / "g.nc")
    dm = SpaceTimeDataModule(str(tmp_path / "g.nc"), window_length=4, batch_size=4)
    assert dm.window == (4, 64, 64)
    assert dm.info["window"] == [4, 64, 64]
    with caplog.at_level(logging.INFO):
        dm.setup("fit")
        dm.setup("validate")
    notes = [r.getMessage() for r in caplog.records if "patches" in r.getMessage()]
    assert len(notes) == 1
    assert notes[0].startswith("stgan: a training step on the whole 73×144 grid at 4 steps costs ")
    assert "training on 64×64 patches" in notes[0]
    assert notes[0].endswith(
        "set --data.window_height 73 --data.window_width 144 for whole-grid windows"
    )
    # The flags it names give whole-grid windows.
    whole = SpaceTimeDataModule(
        str(tmp_path / "g.nc"), window_length=4, batch_size=4, window_height=73, window_width=144
    )
    assert whole.window == (4, 73, 144) and whole.patch_note is None
    assert whole.periodic_x and not dm.periodic_x  # a 64-wide patch is not periodic itself


def test_small_grid_keeps_whole_windows(tmp_path):
    write_netcdf(global_grid(40, 32, 32), tmp_path / "g.nc")
    dm = SpaceTimeDataModule(str(tmp_path / "g.nc"), window_length=4, batch_size=4)
    assert dm.window == (4, 32, 32) and dm.patch_note is None


def test_inspect_prints_the_estimate_and_the_patch(tmp_path, capsys):
    # The CLI's own entry point, in this process (a subprocess would only add start-up time).
    write_netcdf(global_grid(80, 73, 144), tmp_path / "g.nc")
    assert main(["inspect", str(tmp_path / "g.nc")]) == 0
    out = capsys.readouterr().out
    assert "window (T, H, W): (8, 64, 64) (a patch)" in out
    macs = step_cost((8, 64, 64)).macs / 1e9
    assert f"cost of a training step (demo-preset networks, batch 16): {macs:.3g} GMAC" in out
    assert "--data.window_height 73 --data.window_width 144" in out
    small = tmp_path / "s.nc"
    write_netcdf(global_grid(80, 16, 16), small)
    assert main(["inspect", str(small)]) == 0
    out = capsys.readouterr().out
    assert "window (T, H, W): (8, 16, 16)\n" in out and "patches" not in out


# --- periodic longitude in the networks -------------------------------------------------------


def _pads(net: torch.nn.Module) -> list:
    return [m.periodic_pad for m in net.modules() if isinstance(m, (SameConv2d, SameConv3d))]


def test_module_periodic_x_sets_both_networks_unless_their_options_do():
    small = {
        "generator_options": {"latent_channels": 2, "width": 2, "spatial_upsamples": 1},
        "discriminator_options": {"width": 2, "depth": 1},
        "window": (4, 8, 16),
    }
    on = GANModule(periodic_x=True, **small)
    assert on.hparams.periodic_x is True
    assert all(p is not None for p in _pads(on.generator) + _pads(on.discriminator))
    assert all(p is None for p in _pads(GANModule(**small).generator))
    explicit = GANModule(
        periodic_x=True,
        **{**small, "generator_options": {**small["generator_options"], "periodic_x": False}},
    )
    assert all(p is None for p in _pads(explicit.generator))
    assert all(p is not None for p in _pads(explicit.discriminator))


# --- tiling ------------------------------------------------------------------------------------


def test_tile_starts_known_answers():
    assert tile_starts(24, 16, 4) == [0, 8]  # 2 patches of 16 cover 24, overlapping by 8 ≥ 4
    assert tile_starts(48, 16, 4) == [0, 11, 21, 32]
    assert tile_starts(48, 16, 4, periodic=True) == [0, 12, 24, 36]  # 36 + 16 wraps onto 0–3
    assert tile_starts(144, 64, 16, periodic=True) == [0, 48, 96]
    assert tile_starts(20, 20, 5) == [0]


@pytest.mark.parametrize(
    ("grid", "patch", "overlap", "periodic"),
    [
        ((24, 48), (16, 16), (4, 4), True),
        ((24, 48), (16, 16), (4, 4), False),
        ((73, 144), (64, 64), (16, 16), True),
        ((30, 50), (16, 16), (8, 0), False),  # triple overlaps in y, none asked in x
    ],
)
def test_squared_weights_and_shares_each_sum_to_one_everywhere(grid, patch, overlap, periodic):
    squares, shares, count = np.zeros(grid), np.zeros(grid), np.zeros(grid)
    for tile in tiles(grid, patch, overlap, periodic_x=periodic):
        squares[tile.rows[0] : tile.rows[-1] + 1, tile.cols] += tile.weight**2
        shares[tile.rows[0] : tile.rows[-1] + 1, tile.cols] += tile.share
        count[tile.rows[0] : tile.rows[-1] + 1, tile.cols] += 1
    np.testing.assert_allclose(squares, 1.0, atol=1e-12)
    np.testing.assert_allclose(shares, 1.0, atol=1e-12)
    assert count.min() >= 1 and count.max() >= 2  # covered, and overlaps were blended


def test_taper_leaves_the_edge_quarter_to_the_neighbour_and_ramps_sin_squared_between():
    root, share = axis_weights(24, 16, [0, 8])  # one overlap of 8 cells: 8..15
    ramp = np.sin(0.5 * np.pi * (np.arange(4) + 0.5) / 4) ** 2  # over the middle 4 cells
    rising = np.concatenate([[0, 0], ramp, [1, 1]])  # 2 = a quarter of 8 at each end
    np.testing.assert_allclose(root[1, :8], rising / np.sqrt(rising**2 + rising[::-1] ** 2))
    np.testing.assert_allclose(share[1, :8], rising / (rising + rising[::-1]))
    np.testing.assert_allclose(root[0, 8:], root[1, :8][::-1])
    np.testing.assert_array_equal(root[1, :2], 0.0)  # the rising patch's own edge cells
    np.testing.assert_array_equal(root[0, :8], 1.0)  # the open edge is not tapered
    assert root[0, 10:14].min() > 0 and root[1, 2:6].min() > 0  # both in the middle


def test_blending_independent_unit_patches_keeps_unit_variance():
    grid, patch = (24, 48), (16, 16)
    layout = tiles(grid, patch, (4, 4), periodic_x=True)
    rng = np.random.default_rng(0)
    n = 8000
    patches = [rng.standard_normal((n, *patch)) for _ in layout]
    var = blend(patches, layout, grid, [np.zeros(patch)] * len(layout)).var(axis=0)
    count = np.zeros(grid)
    for tile in layout:
        count[tile.rows[0] : tile.rows[-1] + 1, tile.cols] += 1
    # The variance estimate of n normal draws has standard error sqrt(2/n) = 0.016.
    assert np.abs(var[count == 1] - 1).max() < 0.08
    assert np.abs(var[count >= 2] - 1).max() < 0.08
    assert abs(var.mean() - 1) < 0.01
    # Averaging (the shares, summing to 1) would lose up to half the variance in an overlap.
    averaged = blend(patches, layout, grid).var(axis=0)
    assert averaged[count >= 2].min() < 0.6  # 0.5 mid-way across a two-patch overlap


def test_a_mean_every_patch_shares_passes_the_blend_unchanged():
    # Patches = a shared smooth field + independent noise: the blend keeps the field (the
    # means are blended by shares) and the noise's unit variance (the anomalies by weights).
    grid, patch = (16, 64), (16, 16)
    layout = tiles(grid, patch, (0, 8), periodic_x=True)
    field = 3.0 * np.cos(2 * np.pi * np.arange(64) / 64)[None, :] + np.zeros(grid)
    rng = np.random.default_rng(1)
    n = 4000
    means = [field[:, tile.cols] for tile in layout]
    patches = [m + rng.standard_normal((n, *patch)) for m in means]
    out = blend(patches, layout, grid, means)
    assert np.abs(out.mean(axis=0) - field).max() < 0.1  # 4 σ of a mean of 4000
    assert np.abs(out.var(axis=0) - 1).max() < 0.12
    # One set of square-normalised weights would raise the shared field by up to √2.
    total = np.zeros(grid)
    for tile, m in zip(layout, means, strict=True):
        total[:, tile.cols] += tile.weight * m
    ratio = total[field > 1] / field[field > 1]
    assert ratio.max() > 1.3 and np.isclose(ratio.min(), 1.0)


# --- end to end ------------------------------------------------------------------------------


def test_fit_on_patches_then_generate_the_full_grid(tmp_path):
    data = tmp_path / "g.nc"
    write_netcdf(global_grid(48, 24, 48, seed=1), data)
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(data),
        "--trainer.max_steps",
        "2",
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
        "--data.window_height",
        "16",
        "--data.window_width",
        "16",
    )
    ckpt = root / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    payload = load_checkpoint(ckpt)
    assert payload["stgan"]["data"]["window"] == [4, 16, 16]
    assert payload["hyper_parameters"]["periodic_x"] is False  # a patch is not periodic itself

    gen = tmp_path / "full.nc"
    run_stgan(
        "generate",
        "--checkpoint",
        str(ckpt),
        "--num-samples",
        "3",
        "--output",
        str(gen),
        "--full-grid",
        "--seed",
        "2",
    )
    real = xr.open_dataset(data)
    with xr.open_dataset(gen) as ds:
        assert ds["tas"].dims == ("sample", "time", "lat", "lon")
        assert ds["tas"].shape == (3, 4, 24, 48)
        np.testing.assert_array_equal(ds["lat"].values, real["lat"].values)
        np.testing.assert_array_equal(ds["lon"].values, real["lon"].values)
        assert ds["lon"].attrs["units"] == "degrees_east"
        values = ds["tas"].values
        assert np.isfinite(values).all() and 250 < values.mean() < 310  # physical units
    # Without full_grid the same model writes one patch, as before (the public function, in
    # this process: the CLI's own path was taken above).
    with xr.open_dataset(stgan.load(ckpt).write(tmp_path / "patch.nc", 2)) as patch:
        assert patch["tas"].shape == (2, 4, 16, 16)

    # A checkpoint from before model.periodic_x existed still loads and tiles.
    del payload["hyper_parameters"]["periodic_x"]
    old = tmp_path / "old.ckpt"
    torch.save(payload, old)
    assert all(p is None for p in _pads(load_module(load_checkpoint(old)).generator))
    again = stgan.load(old).sample(3, seed=2, full_grid=True)
    with xr.open_dataset(gen) as ds:
        np.testing.assert_array_equal(again["tas"].values, ds["tas"].values)


def test_fit_on_a_whole_global_grid_pads_periodically(tmp_path, capsys):
    data = tmp_path / "g.nc"
    write_netcdf(global_grid(48, 8, 16, seed=2), data)
    root = tmp_path / "run"
    run_stgan(
        "fit",
        "--config",
        "configs/demo.yaml",
        "--data.path",
        str(data),
        "--trainer.max_steps",
        "1",
        "--trainer.default_root_dir",
        str(root),
        *TINY_FIT,
    )
    ckpt = root / "logs" / "version_0" / "checkpoints" / "last.ckpt"
    module = load_module(load_checkpoint(ckpt))
    assert module.hparams.periodic_x is True
    pads = _pads(module.generator) + _pads(module.discriminator)
    assert pads and all(p is not None for p in pads)
    # The generator's output rolls with its latent: no east/west edge (16 = latent 8 × 2).
    g = module.generator
    z = torch.randn(2, *g.latent_shape(module.window))
    with torch.no_grad():
        out, rolled = g(z, module.window), g(torch.roll(z, 1, dims=-1), module.window)
    torch.testing.assert_close(
        torch.roll(out, g.spatial_factor, dims=-1), rolled, rtol=1e-5, atol=1e-5
    )
    ds = stgan.load(ckpt).sample(1, full_grid=True)
    assert ds["tas"].shape == (1, 4, 8, 16)
    assert (
        "trained on whole-grid windows; its samples are full-grid already"
        in capsys.readouterr().out
    )


def test_overlap_without_full_grid_is_a_clear_error(tmp_path, capsys):
    code = main(
        [
            "generate",
            "--checkpoint",
            str(tmp_path / "none.ckpt"),
            "--num-samples",
            "1",
            "--output",
            str(tmp_path / "s.nc"),
            "--overlap",
            "3",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert (
        err.strip()
        == "stgan: error: --overlap sets how full-grid samples are tiled: add --full-grid"
    )
    assert not (tmp_path / "s.nc").exists()
