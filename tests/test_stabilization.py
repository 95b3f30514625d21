"""Known answers for the remedies on what the discriminator sees and how often it steps.

Instance noise, label smoothing and flipping, augmentation, and the adaptive G:D step balance;
regularisers are in test_regularizers, the generator-side remedies in
test_stabilization_generator.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from stgan.errors import StganError
from stgan.stabilization.augment import Augment
from stgan.stabilization.balance import AdaptiveSteps, discriminator_confidence
from stgan.stabilization.labels import bce_discriminator_loss, check_label_options
from stgan.stabilization.losses import LOSSES
from stgan.stabilization.noise import NOISE_SCHEDULES, InstanceNoise


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------- instance noise

# (schedule, step, σ) for σ = 0.2 over 100 steps, each from the formula in noise.py's docstring.
SCHEDULE_VALUES = [
    ("constant", 0, 0.2),
    ("constant", 500, 0.2),
    ("linear", 0, 0.2),
    ("linear", 25, 0.15),
    ("linear", 100, 0.0),
    ("linear", 150, 0.0),
    ("exponential", 0, 0.2),
    ("exponential", 20, 0.2 * math.exp(-1)),
    ("exponential", 99, 0.2 * math.exp(-4.95)),
    ("exponential", 100, 0.0),
    ("cosine", 0, 0.2),
    ("cosine", 25, 0.1 * (1 + math.sqrt(0.5))),
    ("cosine", 50, 0.1),
    ("cosine", 100, 0.0),
    ("cosine", 150, 0.0),
]


@pytest.mark.parametrize(("schedule", "step", "sigma"), SCHEDULE_VALUES)
@pytest.mark.known_answer("noise schedule", "constant", "linear", "exponential", "cosine")
def test_noise_schedule_values(schedule, step, sigma):
    noise = InstanceNoise(sigma=0.2, schedule=schedule, steps=100)
    assert noise.sigma_at(step) == pytest.approx(sigma, rel=1e-12, abs=1e-15)


def test_every_noise_schedule_has_known_answers():
    assert set(NOISE_SCHEDULES.keys()) == {s for s, _, _ in SCHEDULE_VALUES}


def test_instance_noise_has_the_scheduled_std():
    x = torch.full((4, 1, 8, 64, 64), 3.0)  # 131072 draws: std of the std estimate ≈ 0.2 %
    noisy = InstanceNoise(sigma=0.2, schedule="linear", steps=100)(x, 25, generator=gen(1))
    assert (noisy - x).std().item() == pytest.approx(0.15, rel=0.02)
    assert abs((noisy - x).mean().item()) < 0.002
    assert InstanceNoise(sigma=0.2, steps=100)(x, 100) is x  # annealed away: unchanged


def test_instance_noise_options_are_checked():
    with pytest.raises(
        StganError, match="valid noise schedule keys: constant, cosine, exponential, linear"
    ):
        InstanceNoise(schedule="step")
    with pytest.raises(StganError, match="sigma must be >= 0"):
        InstanceNoise(sigma=-0.1)
    with pytest.raises(StganError, match="steps must be an integer >= 1"):
        InstanceNoise(steps=0)


# ----------------------------------------------------------------------------- labels

REAL = torch.tensor([2.0, -1.0, 0.5, 4.0], dtype=torch.float64)
FAKE = torch.tensor([-3.0, 0.0, 1.5], dtype=torch.float64)


def bce(x: float, t: float) -> float:
    """−[t·log σ(x) + (1 − t)·log(1 − σ(x))] written out."""
    s = 1 / (1 + math.exp(-x))
    return -(t * math.log(s) + (1 - t) * math.log(1 - s))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def test_unsmoothed_unflipped_bce_is_the_plain_d_loss():
    plain = LOSSES.get("nonsaturating").discriminator(REAL, FAKE).item()
    assert bce_discriminator_loss(REAL, FAKE).item() == pytest.approx(plain, rel=1e-12)


def test_one_sided_smoothing_changes_only_the_real_targets():
    smoothed = bce_discriminator_loss(REAL, FAKE, real_target=0.9).item()
    expected = mean(bce(r, 0.9) for r in REAL.tolist()) + mean(bce(f, 0.0) for f in FAKE.tolist())
    assert smoothed == pytest.approx(expected, rel=1e-12)
    by_torch = F.binary_cross_entropy_with_logits(
        REAL, torch.full_like(REAL, 0.9)
    ) + F.binary_cross_entropy_with_logits(FAKE, torch.zeros_like(FAKE))
    assert smoothed == pytest.approx(by_torch.item(), rel=1e-12)
    # The fake part is the unsmoothed one: the difference is the real part's alone.
    plain = bce_discriminator_loss(REAL, FAKE).item()
    real_only = mean(bce(r, 0.9) - bce(r, 1.0) for r in REAL.tolist())
    assert smoothed - plain == pytest.approx(real_only, rel=1e-10)


def test_flip_one_swaps_every_target():
    flipped = bce_discriminator_loss(REAL, FAKE, real_target=0.9, flip=1.0, generator=gen()).item()
    expected = mean(bce(r, 0.0) for r in REAL.tolist()) + mean(bce(f, 0.9) for f in FAKE.tolist())
    assert flipped == pytest.approx(expected, rel=1e-12)


def test_flip_probability_is_per_sample():
    # Real logits of 20: BCE(20, 1) ≈ 2e-9 and BCE(20, 0) ≈ 20, so the real part ≈ 20·(flipped share).
    n, p = 100_000, 0.3
    real = torch.full((n,), 20.0, dtype=torch.float64)
    fake = torch.full((n,), -20.0, dtype=torch.float64)
    loss = bce_discriminator_loss(real, fake, flip=p, generator=gen(2)).item()
    assert loss / 20 == pytest.approx(2 * p, abs=0.01)  # both parts flip about 30 %


@pytest.mark.parametrize(
    ("loss", "smoothing", "flip", "message"),
    [
        (
            "hinge",
            0.1,
            0.0,
            "need a BCE loss, but the loss is 'hinge'; use loss minimax or nonsaturating",
        ),
        ("wgan", 0.0, 0.05, "need a BCE loss, but the loss is 'wgan'"),
        ("nonsaturating", 0.7, 0.0, r"label smoothing must be in \[0, 0.5\)"),
        ("nonsaturating", -0.1, 0.0, r"label smoothing must be in \[0, 0.5\)"),
        ("minimax", 0.0, 0.5, r"label flip must be in \[0, 0.5\)"),
    ],
)
def test_invalid_label_options_are_refused(loss, smoothing, flip, message):
    with pytest.raises(StganError, match=message):
        check_label_options(loss, smoothing, flip)


def test_valid_label_options_pass():
    check_label_options("nonsaturating", 0.1, 0.05)
    check_label_options("minimax", 0.0, 0.2)
    check_label_options("hinge", 0.0, 0.0)


# ----------------------------------------------------------------------------- augment


def window_and_mask(b: int = 16, h: int = 6, w: int = 6, seed: int = 0):
    """A window whose mask is a function of it, so mask(x_aug) == aug(mask) iff they moved alike."""
    x = torch.randn(b, 2, 3, h, w, generator=gen(seed), dtype=torch.float64)
    return x, (x[:, :1, :1] > 0).to(x.dtype)  # (B, 1, 1, H, W)


@pytest.mark.parametrize(
    "options",
    [
        {"flip_x": True},
        {"flip_y": True},
        {"roll_x": True},
        {"rot90": True},
        {"roll_x": True, "flip_x": True, "flip_y": True, "rot90": True},
    ],
)
def test_spatial_transforms_move_window_and_mask_alike(options):
    x, mask = window_and_mask()
    out, out_mask = Augment(**options, p=0.5)(x, mask, generator=gen(1))
    assert torch.equal(out_mask, (out[:, :1, :1] > 0).to(x.dtype))
    changed = [not torch.equal(out[i], x[i]) for i in range(len(x))]
    assert any(changed) and not all(changed)  # per sample, with probability ½


def test_each_sample_gets_one_of_the_allowed_transforms():
    x, _ = window_and_mask(b=12)
    rolled, _ = Augment(roll_x=True, p=1.0)(x, generator=gen(2))
    rotated, _ = Augment(rot90=True, p=1.0)(x, generator=gen(3))
    flipped, _ = Augment(flip_x=True, flip_y=True, p=1.0)(x, generator=gen(4))
    for i in range(len(x)):
        assert any(torch.equal(rolled[i], torch.roll(x[i], s, dims=-1)) for s in range(6))
        assert any(torch.equal(rotated[i], torch.rot90(x[i], k, dims=(-2, -1))) for k in (1, 2, 3))
        assert torch.equal(flipped[i], x[i].flip(-1, -2))


def test_p_zero_is_the_identity():
    x, mask = window_and_mask()
    aug = Augment(roll_x=True, flip_x=True, flip_y=True, rot90=True, cutout=0.5, p=0.0)
    out, out_mask = aug(x, mask, generator=gen())
    assert torch.equal(out, x) and torch.equal(out_mask, mask)


def test_rot90_needs_a_square_grid():
    x, mask = window_and_mask(h=4, w=6)
    with pytest.raises(StganError, match="rot90 needs a square grid, got H=4, W=6"):
        Augment(rot90=True)(x, mask)


def test_cutout_zeroes_one_square_across_channels_and_time():
    x = torch.ones(8, 2, 3, 16, 16)
    out, _ = Augment(cutout=0.25, p=1.0)(x, generator=gen(5))
    holes = out == 0
    assert torch.equal(holes, holes[:, :1, :1].expand_as(holes))  # same square in every (C, T)
    assert holes[:, 0, 0].sum(dim=(-2, -1)).tolist() == [16] * 8  # side round(0.25·16) = 4
    # With p = ½ the expected zero fraction is ½·4²/16² = 1/32.
    many = torch.ones(4000, 1, 1, 16, 16)
    share = (Augment(cutout=0.25, p=0.5)(many, generator=gen(6))[0] == 0).double().mean().item()
    assert share == pytest.approx(1 / 32, rel=0.05)


def test_augment_is_differentiable_and_a_mask_of_batch_one_is_shared():
    x, _ = window_and_mask(b=4)
    x.requires_grad_(True)
    mask = torch.ones(1, 1, 1, 6, 6, dtype=x.dtype)
    mask[..., 0] = 0
    out, out_mask = Augment(roll_x=True, flip_x=True, cutout=0.5, p=1.0)(x, mask, generator=gen(7))
    out.sum().backward()
    assert out_mask.shape == (4, 1, 1, 6, 6)
    assert x.grad.sum().item() == pytest.approx(4 * 2 * 3 * (36 - 9))  # 3×3 hole per sample
    with pytest.raises(StganError):
        Augment(p=1.5)
    with pytest.raises(StganError):
        Augment(cutout=1.0)


# ----------------------------------------------------------------------------- balance


def test_discriminator_confidence_is_the_mean_sign():
    assert discriminator_confidence(torch.tensor([2.0, -1.0, 0.5, 3.0])) == 0.5
    assert discriminator_confidence(torch.tensor([0.0, -1.0])) == -0.5


def test_adaptive_steps_follow_the_rule():
    # rate 0: r̄ = r_t. Under 0.4 → one more step (max 3); over 0.6 → one fewer (min 0);
    # after 2 skips a step is forced; None = D was skipped, nothing measured.
    steps = AdaptiveSteps(target=0.6, low=0, high=3, margin=0.2, rate=0.0, max_skip=2)
    r = [0.3, 0.3, 0.3, 0.5, 0.9, 0.9, 0.9, 0.9, None, None, None, None, 0.1, 0.1]
    assert [steps.update(x) for x in r] == [2, 3, 3, 3, 2, 1, 0, 0, 1, 0, 0, 1, 1, 2]


def test_adaptive_steps_smooth_the_confidence():
    steps = AdaptiveSteps(rate=0.5)
    assert steps.update(None) == 1 and steps.confidence is None  # nothing measured yet
    steps.update(1.0)
    steps.update(0.0)
    assert steps.confidence == 0.5
    steps.update(0.0)
    assert steps.confidence == 0.25
    with pytest.raises(StganError, match="0 <= low <= high"):
        AdaptiveSteps(low=3, high=2)
