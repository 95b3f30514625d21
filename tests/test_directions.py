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
    return np.stack([values[s : s + 8] for s in starts]), np.array([modes[s] for s in starts])


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


def _reference_directions(windows: np.ndarray, sectors: int = 16) -> list[int]:
    """The definition, component by component with numpy: each moving frequency (ω ≠ 0,
    k ≠ 0) adds its power to the sector of sign(-ω)·k; the fullest sector wins."""
    out = []
    for x in windows:  # (C, T, H, W)
        power = (np.abs(np.fft.fftn(x - x.mean(), axes=(1, 2, 3))) ** 2).sum(axis=0)
        t, h, w = power.shape
        per_sector = np.zeros(sectors)
        for i, omega in enumerate(np.fft.fftfreq(t)):
            for j, ky in enumerate(np.fft.fftfreq(h)):
                for m, kx in enumerate(np.fft.fftfreq(w)):
                    if omega == 0 or (ky == 0 and kx == 0):
                        continue
                    s = -1.0 if omega > 0 else 1.0
                    angle = math.atan2(s * ky, s * kx)
                    sector = int(math.floor(angle / (2 * math.pi) * sectors + 0.5)) % sectors
                    per_sector[sector] += power[i, j, m]
        out.append(int(per_sector.argmax()) if per_sector.max() > 0 else -1)
    return out


@pytest.mark.parametrize("shape", [(24, 1, 8, 16, 16), (24, 2, 5, 9, 12)])
def test_propagation_directions_match_the_definition_computed_by_hand(shape):
    rng = np.random.default_rng(1)
    # Random windows with a random drift each, so the sectors differ from window to window.
    x = rng.standard_normal(shape).cumsum(axis=2)
    assert propagation_directions(torch.tensor(x)).tolist() == _reference_directions(x)


def test_effective_number_of_directions():
    assert effective_directions(torch.tensor([5, 0, 0, 0])) == pytest.approx(1.0)
    assert effective_directions(torch.tensor([3, 3, 0, 3, 3])) == pytest.approx(4.0)
    assert effective_directions(torch.tensor([2, 1, 1])) == pytest.approx(
        math.exp(1.5 * math.log(2))
    )
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
