"""Dominant propagation directions: known answers on plane waves, and the evaluate entry."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from stgan.data.waves import make_waves
from stgan.metrics.directions import direction_counts, effective_directions, propagation_directions
from stgan.metrics.registry import compare


def _episodes(episode: int = 32, time: int = 512, **options) -> tuple[np.ndarray, np.ndarray]:
    """One 8-step window from the start of each episode, (N, T, H, W), and its mode."""
    ds = make_waves(time=time, height=16, width=12, episode=episode, noise=0.3, seed=3, **options)
    values, modes = ds["wave"].values, ds["mode"].values
    starts = range(0, time, episode)
    return np.stack([values[s:s + 8] for s in starts]), np.array([modes[s] for s in starts])


def test_propagation_direction_of_plane_waves_is_their_mode():
    # Mode m of `waves` travels at 45°·m, the centre of compass sector 2m of 16.
    windows, modes = _episodes()
    x = torch.tensor(windows)[:, None]
    assert propagation_directions(x).tolist() == [2 * int(m) for m in modes]
    # Reversed in time, each wave travels the opposite way: 8 sectors on.
    assert propagation_directions(x.flip(2)).tolist() == [(2 * int(m) + 8) % 16 for m in modes]
    # No direction without motion: a single step, or a field that does not change.
    assert propagation_directions(x[:, :, :1]).tolist() == [-1] * len(modes)
    still = x[:, :, :1].expand(-1, -1, 8, -1, -1)
    assert propagation_directions(still).tolist() == [-1] * len(modes)


def test_effective_number_of_directions():
    assert effective_directions(torch.tensor([5, 0, 0, 0])) == pytest.approx(1.0)
    assert effective_directions(torch.tensor([3, 3, 0, 3, 3])) == pytest.approx(4.0)
    assert effective_directions(torch.tensor([2, 1, 1])) == pytest.approx(math.exp(1.5 * math.log(2)))
    assert math.isnan(effective_directions(torch.zeros(4)))


def test_direction_counts_of_all_modes_and_of_two():
    windows, modes = _episodes()
    same = direction_counts(windows, windows)
    assert same["directions_real"] == pytest.approx(8.0)  # 16 windows, 2 of each of 8 modes
    assert same["direction_ratio"] == pytest.approx(1.0)
    two = windows[np.isin(modes, [0, 7])]
    found = direction_counts(two, windows)
    assert found["directions_generated"] == pytest.approx(2.0)
    assert found["direction_ratio"] == pytest.approx(0.25)
    # Masked cells (NaN) are filled per frame, so a land mask leaves the answer alone.
    masked = windows.copy()
    masked[:, :, :3, :2] = np.nan
    assert direction_counts(masked, windows)["direction_ratio"] == pytest.approx(1.0)
    # Still fields have no direction: None, not a number.
    still = np.repeat(windows[:, :1], 8, axis=1)
    assert direction_counts(still, windows)["direction_ratio"] is None


def test_evaluate_diversity_entry_reports_directions():
    windows, modes = _episodes()
    out = compare(windows, windows[modes == 5], metrics=["diversity"])
    assert out["directions_generated"] == pytest.approx(1.0)
    assert out["direction_ratio"] == pytest.approx(1 / 8)
