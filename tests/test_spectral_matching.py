"""Spectral matching: known answers, a numpy reference of the bins, and what the term pulls G towards."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from stgan.metrics.spectral import log_spectral_distance, mean_rapsd
from stgan.stabilization.spectral import DECAY, FLOOR, SpectralMatching, bin_table, binned_power


def _reference_bins(x: np.ndarray) -> np.ndarray:
    """The three sets of bins of one (T, H, W) field, frequency by frequency with numpy."""
    t, h, w = x.shape
    power = np.abs(np.fft.fftn(x, norm="ortho")) ** 2
    n_rings = max(h, w) // 2 + 1
    sums = {("ring", r): [] for r in range(n_rings)}
    sums.update({("freq", f): [] for f in range(t // 2 + 1)})
    sums.update({("sector", s): [] for s in range(16)})
    for i in range(t):
        om = np.fft.fftfreq(t)[i] * t
        for j in range(h):
            fy = np.fft.fftfreq(h)[j] * h
            for k in range(w):
                fx = np.fft.fftfreq(w)[k] * w
                p = power[i, j, k]
                ring = int(np.rint(math.hypot(fy, fx)))
                if ring < n_rings:
                    sums[("ring", ring)].append(p)
                sums[("freq", int(abs(om)))].append(p)
                if om != 0 and (fy != 0 or fx != 0):
                    sign = -1.0 if om > 0 else 1.0  # cos(k·r − |ω|t) travels along +k
                    angle = math.atan2(sign * fy / h, sign * fx / w)  # in cycles per cell
                    sums[("sector", math.floor(angle / (2 * math.pi) * 16 + 0.5) % 16)].append(p)
    return np.array([np.mean(v) for v in sums.values() if v])


@pytest.mark.parametrize("shape", [(4, 8, 8), (5, 7, 9), (6, 12, 10)])
def test_bins_match_a_frequency_by_frequency_reference(shape):
    x = np.random.default_rng(0).standard_normal((3, *shape))
    got = binned_power(torch.from_numpy(x)[:, None]).numpy()[0]
    want = np.mean([_reference_bins(f) for f in x], axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_a_plane_wave_lands_in_its_ring_frequency_and_direction():
    t, h, w = 8, 16, 16
    tt, _, xx = np.meshgrid(np.arange(t), np.arange(h), np.arange(w), indexing="ij")
    wave = np.cos(2 * np.pi * (3 * xx / w - 1 * tt / t))  # k = 3 along +x, travelling east
    bins = binned_power(torch.from_numpy(wave)[None, None]).numpy()[0]
    rings, freqs, sectors = bins[:9], bins[9:14], bins[14:]
    assert len(sectors) == 16
    total = wave.size / 2  # Parseval: sum of squares of a unit cosine
    # Ring 3 is the mean over its frequencies (every ω, and every (ky, kx) that rounds to
    # |k| = 3); all the power is at two of them.
    f = np.fft.fftfreq(16) * 16
    in_ring = int((np.rint(np.hypot(f[:, None], f[None, :])) == 3).sum())
    assert in_ring == 16  # (±3, 0), (0, ±3), (±1, ±3), (±3, ±1), (±2, ±2)
    assert rings[3] == pytest.approx(total / (in_ring * t), rel=1e-5)
    assert np.delete(rings, 3).max() < 1e-10
    assert (
        freqs[1] == pytest.approx(total / (2 * h * w), rel=1e-5)
        and np.delete(freqs, 1).max() < 1e-10
    )
    assert sectors.argmax() == 0 and np.delete(sectors, 0).max() < 1e-10
    # Reversing time reverses the direction: sector 8 (west).
    back = binned_power(torch.from_numpy(wave[::-1].copy())[None, None]).numpy()[0][14:]
    assert back.argmax() == 8


def test_columns_are_means_and_still_windows_have_no_sectors():
    table = bin_table(4, 8, 8)
    assert table.shape == (4 * 8 * 8, 5 + 3 + 16)
    np.testing.assert_allclose(table.sum(dim=0).numpy(), 1.0, rtol=1e-6)
    assert bin_table(1, 8, 8).shape[1] == 5 + 1  # T = 1: no motion, so no direction bins


def test_running_mean_of_the_real_bins():
    term = SpectralMatching(channels=2, window=(4, 8, 8))
    gen = torch.Generator().manual_seed(0)
    batches = [torch.randn(3, 2, 4, 8, 8, generator=gen) * (1 + i) for i in range(5)]
    for b in batches:
        term.observe(b)
    want = torch.stack([binned_power(b) for b in batches]).mean(dim=0)  # a plain mean at first
    torch.testing.assert_close(term.real_power, want)
    assert int(term.seen) == 5
    # Past 1 / (1 − DECAY) batches the mean becomes exponential.
    for _ in range(200):
        term.observe(batches[0])
    new = 10 * batches[0]
    before = term.real_power.clone()
    term.observe(new)
    torch.testing.assert_close(term.real_power, before + (1 - DECAY) * (binned_power(new) - before))


def test_zero_for_the_real_batch_itself_and_gradients_reach_only_the_fake():
    term = SpectralMatching(channels=1, window=(4, 8, 8))
    real = torch.randn(4, 1, 4, 8, 8)
    assert term(real.clone(), real).item() == pytest.approx(0.0, abs=1e-10)
    fake = (2 * real).requires_grad_()
    loss = term(fake, real)
    loss.backward()
    # Twice the amplitude is 4x the power: log 4 in every bin, squared, where the floor is
    # negligible: log((4p + f) / (p + f)) with f = FLOOR × the mean bin power.
    p = binned_power(real)
    f = FLOOR * p.mean()
    assert loss.item() == pytest.approx(
        torch.log((4 * p + f) / (p + f)).square().mean().item(), rel=1e-5
    )
    assert loss.item() == pytest.approx(math.log(4) ** 2, rel=0.01)
    assert fake.grad.abs().sum() > 0 and not real.requires_grad


def test_a_bin_the_data_leave_empty_costs_little_below_the_floor(monkeypatch):
    # Real frames of zero mean (the window-mean bin holds ~1e-14 of the mean bin power); the
    # fake adds a per-frame offset whose power there is 1e-4 of the mean bin power.
    real = torch.randn(16, 1, 8, 16, 16, generator=torch.Generator().manual_seed(0))
    real = real - real.mean(dim=(-2, -1), keepdim=True)
    term = SpectralMatching(channels=1, window=(8, 16, 16))
    term.observe(real)
    mean_power = term.real_power.mean()
    offset = torch.randn(16, 1, 8, 1, 1, generator=torch.Generator().manual_seed(1))
    offset *= (1e-4 * mean_power / binned_power(offset.expand(-1, -1, -1, 16, 16))[0, 0]).sqrt()
    fake = real + offset
    cheap = term(fake, real).item()
    # That bin alone: log(1 + 1e-4 / FLOOR)² ≈ 0.0091, over 30 bins (rings 0-8, |ω| 0-4, 16 sectors).
    assert bin_table(8, 16, 16).shape[1] == 30
    assert cheap == pytest.approx(math.log(1 + 1e-4 / FLOOR) ** 2 / 30, rel=0.1)
    monkeypatch.setattr("stgan.stabilization.spectral.FLOOR", 1e-6)
    assert term(fake, real).item() > 50 * cheap  # log(101)² / 30 ≈ 0.71


def _plane_waves(directions: list[int], t=8, h=16, w=16, seed=0) -> torch.Tensor:
    """One unit wave per window, of wavenumber 2 towards compass point 45°·d, random phase."""
    rng = np.random.default_rng(seed)
    tt, yy, xx = np.meshgrid(np.arange(t), np.arange(h), np.arange(w), indexing="ij")
    steps = {
        0: (1, 0),
        1: (1, 1),
        2: (0, 1),
        3: (-1, 1),
        4: (-1, 0),
        5: (-1, -1),
        6: (0, -1),
        7: (1, -1),
    }
    out = []
    for d in directions:
        kx, ky = (2 * s for s in steps[d])
        out.append(
            np.cos(2 * np.pi * (kx * xx / w + ky * yy / h - tt / t) + rng.uniform(0, 2 * np.pi))
        )
    return torch.from_numpy(np.stack(out)[:, None]).float()


def test_a_batch_that_drops_directions_costs_more_than_one_that_covers_them():
    real = _plane_waves(list(range(8)) * 2)
    term = SpectralMatching(channels=1, window=(8, 16, 16))
    term.observe(real)
    covering = term(_plane_waves(list(range(8)) * 2, seed=1), real)
    dropping = term(_plane_waves([0, 1] * 8, seed=1), real)
    # Equal power per window, so the rings and frequencies agree; 12 of 16 sectors are empty.
    assert covering.item() < 0.01 and dropping.item() > 100 * covering.item()


def test_the_term_alone_makes_white_noise_take_the_data_spectrum():
    gen = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.avg_pool3d(
        torch.randn(16, 1, 8, 40, 40, generator=gen), (3, 9, 9), stride=1
    )
    real = smooth[..., :6, :32, :32] / smooth.std()  # red in space and time
    fake = torch.randn(16, 1, 6, 32, 32, generator=gen).requires_grad_()
    term = SpectralMatching(channels=1, window=(6, 32, 32))

    def lsd() -> float:
        return log_spectral_distance(
            mean_rapsd(real[:, 0, 0].numpy())[0][1:],
            mean_rapsd(fake.detach()[:, 0, 0].numpy())[0][1:],
        )

    before = lsd()
    opt = torch.optim.Adam([fake], lr=0.05)
    for _ in range(150):
        loss = term(fake, real)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert before > 5 and lsd() < 1.0


def test_running_mean_per_class_next_to_the_mean_of_all():
    term = SpectralMatching(channels=1, window=(8, 16, 16), classes=3)
    batches = [(_plane_waves([0, 0, 2], seed=i), torch.tensor([0, 0, 1])) for i in range(3)]
    batches.append((_plane_waves([2, 2], seed=3), torch.tensor([1, 1])))
    for real, classes in batches:
        term.observe(real, classes)
    # Class 0 was in three batches, class 1 in four, class 2 in none: plain means of each
    # batch's windows of the class, batch by batch.
    want0 = torch.stack([binned_power(r[c == 0]) for r, c in batches[:3]]).mean(dim=0)
    want1 = torch.stack([binned_power(r[c == 1]) for r, c in batches]).mean(dim=0)
    torch.testing.assert_close(term.class_power[0], want0)
    torch.testing.assert_close(term.class_power[1], want1)
    assert term.class_seen.tolist() == [3, 4, 0] and int(term.seen) == 4
    assert term.class_power[2].abs().max() == 0
    torch.testing.assert_close(
        term.real_power, torch.stack([binned_power(r) for r, _ in batches]).mean(dim=0)
    )
    # A fake batch of classes 0, 0, 1 is compared with the mean of those classes' means; an
    # unseen class counts with the mean of all.
    torch.testing.assert_close(term.target(torch.tensor([0, 0, 1])), (2 * want0 + want1) / 3)
    torch.testing.assert_close(term.target(torch.tensor([2])), term.real_power)
    torch.testing.assert_close(term.target(None), term.real_power)


def test_a_batch_of_a_few_clusters_is_compared_with_those_clusters():
    # Real batches of all 8 directions, one class per direction; a fake batch that holds
    # three classes, each window a clean wave of its own class, drops nothing.
    term = SpectralMatching(channels=1, window=(8, 16, 16), classes=8)
    for seed in range(4):
        term.observe(_plane_waves(list(range(8)), seed=seed), torch.arange(8))
    fake_classes = torch.tensor([1, 4, 6])
    fake = _plane_waves(fake_classes.tolist(), seed=9)
    real = _plane_waves(list(range(8)), seed=10)
    per_class = term(fake, real, fake_classes, torch.arange(8))
    against_all = SpectralMatching(channels=1, window=(8, 16, 16))
    for seed in range(4):
        against_all.observe(_plane_waves(list(range(8)), seed=seed))
    # Against the mean of all data the same clean windows miss five directions.
    assert per_class.item() < 1e-3 and against_all(fake, real).item() > 1.0


def test_a_checkpoint_from_before_the_class_means_loads_with_them_empty():
    old = SpectralMatching(channels=1, window=(8, 16, 16))
    old.observe(_plane_waves([0, 2]))
    term = SpectralMatching(channels=1, window=(8, 16, 16), classes=4)
    term.load_state_dict(old.state_dict())  # strict: the missing class buffers are filled in
    torch.testing.assert_close(term.real_power, old.real_power)
    assert (
        int(term.seen) == 1
        and int(term.class_seen.sum()) == 0
        and term.class_power.abs().max() == 0
    )
    torch.testing.assert_close(term.target(torch.tensor([0, 3])), old.real_power)
