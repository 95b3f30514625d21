"""The task conditions' channels (coarse, past, gaps), copy-through, and the tasks' metrics,
each against a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from stgan.conditioning.conditions import Conditions
from stgan.conditioning.network import ConditionedGenerator
from stgan.conditioning.place import Place
from stgan.data.datamodule import SpaceTimeDataModule
from stgan.data.synthetic import make_grf
from stgan.errors import StganError
from stgan.io.netcdf import write_netcdf
from stgan.tasks.scores import (
    crps_ensemble,
    gap_filling_table,
    linear_fill,
    lsd_finer,
    nowcasting_table,
)
from stgan.tasks.tables import coarsened


def _conditions(*items: dict, channels: int = 1, grid=(8, 8)) -> Conditions:
    return Conditions({"channels": channels, "grid": list(grid), "items": list(items)})


def _place(field: torch.Tensor, corner=(0, 0)) -> Place:
    b, t = field.shape[0], field.shape[2]
    return Place(torch.tensor([corner] * b), torch.zeros(b, t, 4), field)


def test_coarse_is_the_block_means_aligned_on_the_grid():
    field = torch.arange(2 * 8 * 8, dtype=torch.float32).view(1, 1, 2, 8, 8)
    out = _conditions({"name": "coarse", "factor": 2})(_place(field), (2, 8, 8))
    assert out.shape == (1, 1, 2, 8, 8)
    # The mean of the 2 × 2 block of rows 0-1 and columns 0-1 at step 0: (0 + 1 + 8 + 9) / 4.
    assert out[0, 0, 0, 0, 0] == out[0, 0, 0, 1, 1] == 4.5
    assert torch.equal(out, coarse_ref(field, 2))
    # A patch at row 1: its first row is block 0 alone (row 0 lies outside the window), rows
    # 1-2 of the window are grid rows 2-3, one block; the window's last row starts block 2.
    patch = field[..., 1:5, :]
    out = _conditions({"name": "coarse", "factor": 2})(_place(patch, (1, 0)), (2, 4, 8))
    assert out[0, 0, 0, 0, 0] == (patch[0, 0, 0, 0, 0] + patch[0, 0, 0, 0, 1]) / 2
    assert out[0, 0, 0, 1, 0] == patch[0, 0, 0, 1:3, 0:2].mean()
    assert out[0, 0, 0, 3, 0] == patch[0, 0, 0, 3, 0:2].mean()


def coarse_ref(field: torch.Tensor, f: int) -> torch.Tensor:
    b, c, t, h, w = field.shape
    pooled = torch.nn.functional.avg_pool2d(field.view(b * c * t, 1, h, w), f)
    return pooled.repeat_interleave(f, -2).repeat_interleave(f, -1).view(field.shape)


def test_past_gives_the_first_frames_and_their_indicator():
    field = torch.randn(2, 3, 6, 4, 4)
    out = _conditions({"name": "past", "frames": 2}, channels=3, grid=(4, 4))(
        _place(field), (6, 4, 4)
    )
    assert out.shape == (2, 4, 6, 4, 4)
    assert torch.equal(out[:, :3, :2], field[:, :, :2]) and not out[:, :3, 2:].any()
    assert torch.equal(out[:, 3, :2], torch.ones(2, 2, 4, 4)) and not out[:, 3, 2:].any()


def test_gaps_draw_a_box_from_the_window_not_from_the_global_stream():
    field = torch.randn(3, 1, 4, 8, 8)
    gaps = _conditions({"name": "gaps", "shape": "box", "fraction": 0.25})
    state = torch.get_rng_state()
    out = gaps(_place(field, (0, 0)), (4, 8, 8))
    assert torch.equal(torch.get_rng_state(), state)  # latents and crops draw as without gaps
    known = out[:, 1]
    assert out.shape == (3, 2, 4, 8, 8)
    # a quarter of the cells: a 4 × 4 box (sides √0.25 of 8), the same at every step
    assert (known == 0).sum(dim=(2, 3)).tolist() == [[16] * 4] * 3
    assert torch.equal(out[:, 0], field[:, 0] * known)
    again = gaps(_place(field, (0, 0)), (4, 8, 8))
    assert torch.equal(out, again)  # a function of the window: a resumed run cuts the same
    frames = _conditions({"name": "gaps", "shape": "frames", "fraction": 0.5})
    missing = frames(_place(field), (4, 8, 8))[:, 1] == 0  # (3, 4, 8, 8)
    per_step = missing.all(dim=(2, 3))
    assert per_step.sum(dim=1).tolist() == [2, 2, 2] and (missing.any(dim=(2, 3)) == per_step).all()


def test_a_given_gap_is_the_nan_cells():
    field = torch.randn(1, 2, 3, 8, 8)
    field[0, 1, 1, 2, 5] = float("nan")  # missing in one variable: a gap in both
    out = _conditions({"name": "gaps"}, channels=2)(_place(field), (3, 8, 8))
    assert out[0, 2].sum() == 3 * 64 - 1 and out[0, 2, 1, 2, 5] == 0
    assert out[0, :2, 1, 2, 5].tolist() == [0.0, 0.0] and torch.isfinite(out).all()


def test_data_conditions_need_a_field_and_sane_options():
    with pytest.raises(StganError, match="use stgan nowcast with an --input"):
        _conditions({"name": "past", "frames": 1})(Place.same(1, np.zeros((4, 4))), (4, 8, 8))
    with pytest.raises(StganError, match="factor must be an integer of at least 2"):
        _conditions({"name": "coarse", "factor": 1})
    with pytest.raises(StganError, match="shape must be one of box, frames"):
        _conditions({"name": "gaps", "shape": "disc"})


def test_past_frames_default_to_half_the_window_and_must_leave_steps(tmp_path):
    path = tmp_path / "g.nc"
    write_netcdf(make_grf(time=64, height=8, width=8, seed=0), path)
    data = SpaceTimeDataModule(path, window_length=6, conditions=["past"])
    assert data.condition_spec["items"] == [{"name": "past", "frames": 3}]
    given = SpaceTimeDataModule(path, window_length=6, conditions=[{"name": "past", "frames": 5}])
    assert given.condition_spec["items"][0]["frames"] == 5  # the user's option wins
    with pytest.raises(StganError, match="past: frames 6 leaves nothing to generate"):
        SpaceTimeDataModule(path, window_length=6, conditions=[{"name": "past", "frames": 6}])


class _Noise(torch.nn.Module):
    """A stand-in base generator: its output is its latent (a window of noise)."""

    def latent_shape(self, window):
        return (1, *window)

    def forward(self, z, window):
        return z


def test_the_conditioned_generator_copies_known_values_through():
    conditions = _conditions({"name": "coords"}, {"name": "past", "frames": 2})
    assert conditions.known_offsets() == (4,)  # after coords' 4 channels
    g = ConditionedGenerator(_Noise(), 1, conditions.k, known=conditions.known_offsets())
    field = torch.randn(2, 1, 4, 8, 8)
    cond = conditions(_place(field), (4, 8, 8))
    out = g(torch.randn(2, 1, 4, 8, 8), (4, 8, 8), cond)
    assert torch.equal(out[:, :, :2], field[:, :, :2])  # the given frames, exactly
    assert not torch.equal(out[:, :, 2:], field[:, :, 2:])


def test_crps_ensemble_known_answers():
    # {0, 1} against 0: mean |x − y| = 1/2, mean |x − x'| over the 4 pairs = 1/2 → 1/4.
    assert crps_ensemble(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.25)
    assert crps_ensemble(np.array([[3.0]]), np.array([1.0])) == pytest.approx([2.0])  # |error|
    rng = np.random.default_rng(0)
    members, truth = rng.normal(size=(7, 5)), rng.normal(size=5)
    direct = np.abs(members - truth).mean(0) - 0.5 * np.abs(members[:, None] - members[None]).mean(
        (0, 1)
    )  # properscoring's formula, pair by pair
    np.testing.assert_allclose(crps_ensemble(members, truth), direct, rtol=1e-12)
    # N(0, 1) at its mean: σ (2φ(0) − 1/√π) = 0.23370 (Gneiting & Raftery 2007, eq. 5), here
    # from an ensemble of 4000 of its quantiles.
    from scipy.stats import norm

    quantiles = norm.ppf((np.arange(4000) + 0.5) / 4000)
    exact = 2 * norm.pdf(0) - 1 / math.sqrt(math.pi)
    assert crps_ensemble(quantiles, 0.0) == pytest.approx(exact, abs=1e-4)


def test_lsd_finer_sees_only_the_scales_the_input_lacks():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=(6, 16, 16))
    # Twice the field: 4 times the power at every wavenumber, 10·log10(4) = 6.02 dB.
    assert lsd_finer(2 * truth, truth, 4) == pytest.approx(10 * math.log10(4))
    # A wave of wavenumber 1 changes ring 1 only, coarser than a grid coarsened by 4 resolves
    # (1/16 < 1/8 cycles per cell): invisible at the finer scales.
    wave = 3 * np.sin(2 * np.pi * np.arange(16) / 16)[None, None, :]
    assert lsd_finer(truth + wave, truth, 4) == pytest.approx(0.0, abs=1e-9)
    assert lsd_finer(truth + wave, truth, 32) > 1.0  # all wavenumbers above 1/64 count


def test_coarsened_block_means():
    x = np.arange(16.0).reshape(4, 4)
    x[0, 0] = np.nan  # left out of its block's mean
    out = coarsened(x, 2)
    assert out[0, 1] == np.mean([1.0, 4.0, 5.0]) and out[3, 3] == np.mean([10, 11, 14, 15])


def test_nowcasting_table_known_answers():
    rng = np.random.default_rng(2)
    last = rng.normal(size=(4, 4))
    truth = np.stack([last + 1, last + 2, last + 3])  # each lead one more above the last frame
    ensemble = np.stack([truth - 1, truth + 1])
    table = nowcasting_table(ensemble, truth, last)
    # members ±1 off: mean |x − y| = 1, mean pair distance (0 + 2 + 2 + 0) / 4 = 1 → 1 − 1/2
    np.testing.assert_allclose(table["crps"], [0.5] * 3)
    np.testing.assert_allclose(table["crps_persistence"], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(table["acf_truth"], [1.0] * 3)  # shifted copies of the last
    assert table.index.tolist() == [1, 2, 3]


def test_linear_fill_is_exact_for_linear_fields():
    t, y, x = np.meshgrid(np.arange(6.0), np.arange(8.0), np.arange(8.0), indexing="ij")
    field = 2 * t + 0.5 * y - x
    frames = field.copy()
    frames[2:4] = np.nan  # an outage of two whole frames: in time, per cell
    np.testing.assert_allclose(linear_fill(frames), field)
    box = field.copy()
    box[:, 2:5, 3:6] = np.nan  # a box at every step: in space, per frame
    np.testing.assert_allclose(linear_fill(box), field, atol=1e-9)
    table = gap_filling_table(np.stack([field + 1, field - 1]), field, box)
    assert table.loc["linear interpolation", "rmse_in_gap"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["stgan", "rmse_in_gap"] == pytest.approx(1.0)
    assert table.loc["stgan ensemble mean", "rmse_in_gap"] == pytest.approx(0.0)
    assert table["cells"].tolist() == [6 * 9] * 3


@pytest.mark.parametrize("command", ["downscale", "nowcast", "fill-gaps"])
def test_task_command_help(command, capsys):
    from stgan.cli import main

    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith(f"usage: stgan {command} ")
    assert "(default: 1)" in out and f"examples:\n  stgan {command} --checkpoint" in out
