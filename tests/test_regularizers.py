"""Each regulariser at a critic with a closed-form input gradient equals its formula."""

from __future__ import annotations

import pkgutil

import pytest
import torch
from torch import nn

from stgan.errors import StganError
from stgan.stabilization import penalties
from stgan.stabilization.augment import Augment
from stgan.stabilization.penalties import PENALTIES

SHAPE = (3, 2, 2, 4, 5)  # (B, C, T, H, W)
N = 2 * 2 * 4 * 5


def linear_critic(seed: int = 0):
    """D(x) = w·x: ∇_x D = w for every x, so ‖∇D‖ = ‖w‖ whatever the input."""
    g = torch.Generator().manual_seed(seed)
    w = nn.Parameter(torch.randn(N, generator=g, dtype=torch.float64))
    return w, lambda x: x.flatten(1) @ w


def batches(seed: int):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(SHAPE, generator=g, dtype=torch.float64),
        3 * torch.randn(SHAPE, generator=g, dtype=torch.float64) + 1,
    )


@pytest.mark.parametrize("key", ["gp", "dragan"])
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.known_answer("penalty", "gp", "dragan")
def test_unit_gradient_penalties_of_a_linear_critic(key, seed):
    # weight·(‖w‖ − 1)² exactly, for any real/fake and any interpolation / perturbation draw;
    # its gradient in w is weight·2(‖w‖ − 1)·w/‖w‖, which needs create_graph=True.
    w, d_fn = linear_critic()
    real, fake = batches(seed)
    reg = PENALTIES.build(key, weight=3.0)
    value = reg(d_fn, real, fake, generator=torch.Generator().manual_seed(seed))
    norm = w.detach().norm()
    assert value.item() == pytest.approx(3.0 * (norm.item() - 1) ** 2, rel=1e-12)
    (grad,) = torch.autograd.grad(value, w)
    torch.testing.assert_close(grad, 3.0 * 2 * (norm - 1) * w.detach() / norm, rtol=1e-12, atol=0)


@pytest.mark.parametrize("key", ["r1", "r2"])
@pytest.mark.known_answer("penalty", "r1", "r2")
def test_r1_r2_of_a_linear_critic_are_half_gamma_norm_squared(key):
    w, d_fn = linear_critic()
    real, fake = batches(3)
    value = PENALTIES.build(key, gamma=4.0)(d_fn, real, fake)
    assert value.item() == pytest.approx(0.5 * 4.0 * w.detach().norm().item() ** 2, rel=1e-12)
    (grad,) = torch.autograd.grad(value, w)  # d/dw (γ/2)‖w‖² = γ·w
    torch.testing.assert_close(grad, 4.0 * w.detach(), rtol=1e-12, atol=0)


def test_penalties_are_per_sample_norms():
    # D(x) = ½a‖x‖² has ∇D(x) = a·x, so the norms differ per sample. With real == fake the
    # GP interpolate is real whatever ε: GP = λ·mean_i (a‖x_i‖ − 1)², R1 = (γ/2)·mean_i a²‖x_i‖².
    a = 0.3
    real, _ = batches(4)
    norms = real.flatten(1).norm(dim=1)
    d_fn = lambda x: 0.5 * a * x.flatten(1).pow(2).sum(1)  # noqa: E731
    gp = PENALTIES.build("gp", weight=10.0)(d_fn, real, real.clone())
    r1 = PENALTIES.build("r1", gamma=10.0)(d_fn, real, real)
    assert gp.item() == pytest.approx(10 * ((a * norms - 1) ** 2).mean().item(), rel=1e-12)
    assert r1.item() == pytest.approx(5 * (a**2 * norms**2).mean().item(), rel=1e-12)


def test_r2_reads_fake_and_r1_reads_real():
    real, fake = batches(5)
    d_fn = lambda x: 0.5 * x.flatten(1).pow(2).sum(1)  # noqa: E731  ∇ = x
    r1 = PENALTIES.build("r1", gamma=2.0)(d_fn, real, fake)
    r2 = PENALTIES.build("r2", gamma=2.0)(d_fn, real, fake)
    assert r1.item() == pytest.approx(real.flatten(1).pow(2).sum(1).mean().item(), rel=1e-12)
    assert r2.item() == pytest.approx(fake.flatten(1).pow(2).sum(1).mean().item(), rel=1e-12)


def test_lazy_regularisation_is_due_every_k_steps_and_scaled_by_k():
    w, d_fn = linear_critic()
    real, fake = batches(6)
    plain = PENALTIES.build("r1")
    lazy = PENALTIES.build("r1", every=4)
    assert [s for s in range(10) if lazy.due(s)] == [0, 4, 8]
    assert all(plain.due(s) for s in range(10))
    assert lazy(d_fn, real, fake).item() == pytest.approx(
        4 * plain(d_fn, real, fake).item(), rel=1e-12
    )


@pytest.mark.known_answer("penalty", "cr")
def test_consistency_penalty_of_a_linear_critic():
    # λ·mean_i (w·x_i − w·aug(x_i))² with aug an x-flip, written out by hand.
    w, d_fn = linear_critic()
    real, fake = batches(7)
    expected = 2.0 * ((real.flatten(1) @ w - real.flip(-1).flatten(1) @ w) ** 2).mean().item()
    by_callable = PENALTIES.build("cr", weight=2.0, augment=lambda x: x.flip(-1))
    by_options = PENALTIES.build("cr", weight=2.0, augment={"flip_x": True, "p": 1.0})
    assert by_callable(d_fn, real, fake).item() == pytest.approx(expected, rel=1e-12)
    assert by_options(d_fn, real, fake).item() == pytest.approx(expected, rel=1e-12)


def test_consistency_default_augmentation_is_cutout_and_an_identity_is_refused():
    reg = PENALTIES.build("cr")
    assert isinstance(reg.augment, Augment) and reg.augment.cutout == 0.25 and reg.augment.p == 1.0
    # By hand: D(x) = Σx on a window of ones (B, C, T, H, W) = (3, 2, 2, 8, 8). Cutout zeroes a
    # square of side round(0.25·8) = 2 in every sample (p = 1), across C and T: D drops by
    # 2·2·2·2 = 16 wherever the square lies, so λ·E[(D(real) − D(aug))²] = 10·16² = 2560.
    real = torch.ones(3, 2, 2, 8, 8, dtype=torch.float64)
    value = reg(
        lambda x: x.flatten(1).sum(1), real, real, generator=torch.Generator().manual_seed(8)
    )
    assert value.item() == 2560.0
    with pytest.raises(StganError, match="enable one of roll_x, flip_x"):
        PENALTIES.build("cr", augment={})


@pytest.mark.known_answer("penalty", "clip")
def test_weight_clipping_bounds_every_discriminator_weight():
    torch.manual_seed(0)
    d = nn.Sequential(nn.Conv3d(2, 4, (1, 3, 3)), nn.LeakyReLU(0.2), nn.Flatten(), nn.LazyLinear(1))
    d(torch.randn(SHAPE))
    with torch.no_grad():
        for p in d.parameters():
            p.mul_(10)
    before = [p.detach().clone() for p in d.parameters()]
    clip = PENALTIES.build("clip", c=0.0625)  # exact in float32
    assert clip(lambda x: d(x.float()).squeeze(1), *batches(0)).item() == 0.0
    clip.after_discriminator_step(d)
    for p, p0 in zip(d.parameters(), before):
        assert p.abs().max().item() <= 0.0625
        torch.testing.assert_close(p, p0.clamp(-0.0625, 0.0625), rtol=0, atol=0)


@pytest.mark.parametrize("key", ["gp", "r1", "r2", "dragan", "cr"])
def test_penalties_leave_parameters_alone_after_the_step(key):
    w, _ = linear_critic()
    d = nn.Linear(N, 1)
    before = [p.detach().clone() for p in d.parameters()]
    PENALTIES.build(key).after_discriminator_step(d)
    assert all(torch.equal(p, p0) for p, p0 in zip(d.parameters(), before))


@pytest.mark.parametrize(
    ("key", "options", "message"),
    [
        ("gp", {"weight": -1.0}, "weight must be >= 0"),
        ("dragan", {"weight": -0.1}, "weight must be >= 0"),
        ("cr", {"weight": -2.0}, "weight must be >= 0"),
        ("r1", {"gamma": -1.0}, "gamma must be >= 0"),
        ("r2", {"gamma": -1.0}, "gamma must be >= 0"),
        ("r1", {"every": 0}, "every must be an integer >= 1"),
        ("clip", {"c": 0.0}, "c must be > 0"),
    ],
)
def test_bad_options_are_user_errors(key, options, message):
    with pytest.raises(StganError, match=message):
        PENALTIES.build(key, **options)


def test_registry_keys_and_documentation():
    assert PENALTIES.keys() == ["clip", "cr", "dragan", "gp", "r1", "r2"]
    for key in PENALTIES.keys():
        assert PENALTIES.get(key).__doc__, key
    with pytest.raises(StganError, match="valid penalty keys: clip, cr, dragan, gp, r1, r2"):
        PENALTIES.get("sn")


def test_every_module_of_the_penalty_package_registers_its_own_key():
    # One penalty, one file: the keys are exactly the package's public module names, so a new
    # file registers itself and a penalty cannot hide in another's file.
    modules = [
        m.name for m in pkgutil.iter_modules(penalties.__path__) if not m.name.startswith("_")
    ]
    assert sorted(modules) == PENALTIES.keys()
    for key in PENALTIES.keys():
        assert PENALTIES.get(key).__module__ == f"stgan.stabilization.penalties.{key}"
