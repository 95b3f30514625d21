"""Each adversarial loss at chosen logits equals its closed-form value."""

from __future__ import annotations

import math

import pytest
import torch

from stgan.errors import StganError
from stgan.stabilization.losses import LOSSES

REAL = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
FAKE = torch.tensor([-3.0, 0.0, 1.5], dtype=torch.float64)


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


REAL_MEAN, FAKE_MEAN = mean(REAL.tolist()), mean(FAKE.tolist())

# Expected values written out from the textbook formulas, element by element.
EXPECTED = {
    "minimax": (
        mean(-math.log(sig(r)) for r in REAL) + mean(-math.log(1 - sig(f)) for f in FAKE),
        mean(math.log(1 - sig(f)) for f in FAKE),
    ),
    "nonsaturating": (
        mean(-math.log(sig(r)) for r in REAL) + mean(-math.log(1 - sig(f)) for f in FAKE),
        mean(-math.log(sig(f)) for f in FAKE),
    ),
    "hinge": (
        mean(max(0.0, 1 - r) for r in REAL) + mean(max(0.0, 1 + f) for f in FAKE),
        -mean(FAKE.tolist()),
    ),
    "wgan": (mean(FAKE.tolist()) - mean(REAL.tolist()), -mean(FAKE.tolist())),
    "ragan": (
        mean(-math.log(sig(r - FAKE_MEAN)) for r in REAL)
        + mean(-math.log(1 - sig(f - REAL_MEAN)) for f in FAKE),
        mean(-math.log(sig(f - REAL_MEAN)) for f in FAKE)
        + mean(-math.log(1 - sig(r - FAKE_MEAN)) for r in REAL),
    ),
    "lsgan": (
        0.5 * mean((r - 1) ** 2 for r in REAL) + 0.5 * mean(f**2 for f in FAKE),
        0.5 * mean((f - 1) ** 2 for f in FAKE),
    ),
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
@pytest.mark.known_answer("loss", "minimax", "nonsaturating", "hinge", "wgan", "lsgan", "ragan")
def test_loss_equals_formula(key):
    loss = LOSSES.get(key)
    d_expected, g_expected = EXPECTED[key]
    assert loss.discriminator(REAL, FAKE).item() == pytest.approx(float(d_expected), rel=1e-12)
    assert loss.generator(FAKE, REAL).item() == pytest.approx(float(g_expected), rel=1e-12)


def test_piecewise_losses_by_hand():
    # REAL = (2, −1, 0.5), FAKE = (−3, 0, 1.5), worked on paper:
    # hinge D = mean(0, 2, 0.5) + mean(0, 1, 2.5) = 2.5/3 + 3.5/3 = 2; G = −mean(FAKE) = 0.5
    # wgan  D = mean(FAKE) − mean(REAL) = −0.5 − 0.5 = −1
    # lsgan D = ½·mean(1, 4, 0.25) + ½·mean(9, 0, 2.25) = 0.875 + 1.875 = 2.75;
    #       G = ½·mean(16, 1, 0.25) = 2.875
    hand = {"hinge": (2.0, 0.5), "wgan": (-1.0, 0.5), "lsgan": (2.75, 2.875)}
    for key, (d_value, g_value) in hand.items():
        loss = LOSSES.get(key)
        assert loss.discriminator(REAL, FAKE).item() == pytest.approx(d_value, rel=1e-15)
        assert loss.generator(FAKE).item() == pytest.approx(g_value, rel=1e-15)


def test_every_registered_loss_has_a_known_answer():
    assert set(LOSSES.keys()) == set(EXPECTED)


def test_bce_losses_are_finite_at_extreme_logits():
    big = torch.tensor([80.0, -80.0], dtype=torch.float32)
    for key in ("minimax", "nonsaturating"):
        loss = LOSSES.get(key)
        assert torch.isfinite(loss.discriminator(big, -big))
        assert torch.isfinite(loss.generator(big))


def test_minimax_generator_gradient_vanishes_where_nonsaturating_does_not():
    # When D confidently rejects a fake (logit -10), d/df log(1-σ(f)) = -σ(f) ≈ -4.5e-5,
    # while d/df [-log σ(f)] = σ(f) - 1 ≈ -1: the reason for the non-saturating loss.
    f = torch.tensor([-10.0], requires_grad=True)
    (g_minimax,) = torch.autograd.grad(LOSSES.get("minimax").generator(f), f)
    (g_ns,) = torch.autograd.grad(LOSSES.get("nonsaturating").generator(f), f)
    assert abs(g_minimax.item()) == pytest.approx(sig(-10.0), rel=1e-4)
    assert g_ns.item() == pytest.approx(sig(-10.0) - 1, rel=1e-4)


def test_unknown_loss_lists_valid_keys():
    with pytest.raises(StganError, match="valid loss keys: hinge, lsgan, minimax"):
        LOSSES.get("focal")
