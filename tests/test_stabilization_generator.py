"""Known answers for the remedies aimed at the generator and its samples' diversity.

The EMA of the generator's weights, the unrolled discriminator, packing (PacGAN) and the
mode-seeking loss; the discriminator-side remedies are in test_stabilization.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from stgan.errors import StganError
from stgan.stabilization.diversity import mode_seeking_loss, pack
from stgan.stabilization.ema import EMA
from stgan.stabilization.losses import LOSSES
from stgan.stabilization.unrolled import unrolled_generator_loss

# ----------------------------------------------------------------------------- EMA


def test_ema_equals_the_closed_form_weighted_average():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).double()
    values = [0.5, 2.0, -1.0, 4.0, 3.0]  # p_0 … p_4: every parameter set to the constant p_k
    beta = 0.9

    def set_params(v: float) -> None:
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(v)

    set_params(values[0])
    ema = EMA(model, decay=beta)
    for v in values[1:]:
        set_params(v)
        model(torch.randn(4, 3, dtype=torch.float64))  # moves the BN running statistics
        ema.update(model)
    n = len(values) - 1
    expected = beta**n * values[0] + sum(
        (1 - beta) * beta ** (n - k) * values[k] for k in range(1, n + 1)
    )
    for p in ema.module.parameters():
        torch.testing.assert_close(p, torch.full_like(p, expected), rtol=1e-12, atol=0)
        assert not p.requires_grad
    for b_ema, b in zip(ema.module.buffers(), model.buffers()):
        assert torch.equal(b_ema, b)
    assert int(ema.num_updates) == n and "num_updates" in ema.state_dict()
    assert all(torch.equal(p, torch.full_like(p, values[-1])) for p in model.parameters())


def test_ema_warmup_and_bad_decay():
    ema = EMA(nn.Linear(2, 2), decay=0.999, warmup=True)
    assert [ema.decay_at(n) for n in (0, 10)] == [pytest.approx(0.1), pytest.approx(11 / 20)]
    assert EMA(nn.Linear(2, 2)).decay_at(0) == 0.999
    with pytest.raises(StganError, match=r"decay must be in \[0, 1\)"):
        EMA(nn.Linear(2, 2), decay=1.0)


# ----------------------------------------------------------------------------- unrolled

LOSS = LOSSES.get("nonsaturating")


def tiny_gan(seed: int = 0):
    torch.manual_seed(seed)
    g = nn.Linear(4, 18).double()
    d = nn.Sequential(
        nn.Flatten(), nn.Linear(18, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0)
    ).double()
    z = torch.randn(6, 4, dtype=torch.float64)
    real = torch.randn(6, 1, 2, 3, 3, dtype=torch.float64) + 1
    return g, d, z, real


def g_grads(loss: torch.Tensor, g: nn.Module) -> list[torch.Tensor]:
    return list(torch.autograd.grad(loss, list(g.parameters())))


def test_zero_unrolled_steps_is_the_ordinary_generator_step():
    g, d, z, real = tiny_gan()
    fake = g(z).view(6, 1, 2, 3, 3)
    ordinary = LOSS.generator(d(fake))
    unrolled = unrolled_generator_loss(
        d, LOSS.discriminator, LOSS.generator, real, fake, steps=0, lr=0.1
    )
    assert torch.equal(unrolled, ordinary)
    ordinary_grads = g_grads(LOSS.generator(d(g(z).view(6, 1, 2, 3, 3))), g)
    for a, b in zip(g_grads(unrolled, g), ordinary_grads):
        assert torch.equal(a, b)


def test_one_unrolled_step_equals_an_sgd_step_on_a_copy():
    g, d, z, real = tiny_gan()
    fake = g(z).view(6, 1, 2, 3, 3)
    copy_d = copy.deepcopy(d)
    opt = torch.optim.SGD(copy_d.parameters(), lr=0.5)
    LOSS.discriminator(copy_d(real), copy_d(fake.detach())).backward()
    opt.step()
    expected = LOSS.generator(copy_d(fake)).item()
    value = unrolled_generator_loss(
        d, LOSS.discriminator, LOSS.generator, real, fake, steps=1, lr=0.5
    )
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_unrolling_leaves_the_discriminator_and_its_optimiser_untouched():
    g, d, z, real = tiny_gan()
    opt = torch.optim.Adam(d.parameters(), lr=1e-3)
    LOSS.discriminator(d(real), d(g(z).view(6, 1, 2, 3, 3).detach())).backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    state = copy.deepcopy(d.state_dict())
    opt_state = copy.deepcopy(opt.state_dict())
    d.requires_grad_(False)  # as Lightning's toggle_optimizer leaves D during the G step
    fake = g(z).view(6, 1, 2, 3, 3)
    loss = unrolled_generator_loss(
        d, LOSS.discriminator, LOSS.generator, real, fake, steps=3, lr=0.5
    )
    loss.backward()
    for key, value in d.state_dict().items():  # parameters and BN buffers, bit for bit
        assert torch.equal(value, state[key]), key
    assert all(p.grad is None for p in d.parameters())
    after = opt.state_dict()
    for i, s in opt_state["state"].items():
        for name, value in s.items():
            assert torch.equal(after["state"][i][name], value)
    assert after["param_groups"] == opt_state["param_groups"]
    assert all(p.grad is not None for p in g.parameters())


def test_unrolling_changes_the_generator_gradient():
    g, d, z, real = tiny_gan()
    fake = g(z).view(6, 1, 2, 3, 3)
    plain = g_grads(
        unrolled_generator_loss(d, LOSS.discriminator, LOSS.generator, real, fake, steps=0, lr=0.5),
        g,
    )
    fake = g(z).view(6, 1, 2, 3, 3)
    ahead = g_grads(
        unrolled_generator_loss(d, LOSS.discriminator, LOSS.generator, real, fake, steps=3, lr=0.5),
        g,
    )
    assert not torch.allclose(plain[0], ahead[0], rtol=1e-3)
    with pytest.raises(StganError, match="steps must be an integer >= 0"):
        unrolled_generator_loss(d, LOSS.discriminator, LOSS.generator, real, fake, steps=-1, lr=0.1)


# ----------------------------------------------------------------------------- diversity


def test_pack_stacks_consecutive_samples_along_channels():
    x = torch.arange(4 * 2 * 1 * 2 * 2).reshape(4, 2, 1, 2, 2)
    packed = pack(x, 2)
    assert packed.shape == (2, 4, 1, 2, 2)
    assert torch.equal(packed[0, :2], x[0]) and torch.equal(packed[0, 2:], x[1])
    assert torch.equal(packed[1, :2], x[2]) and torch.equal(packed[1, 2:], x[3])
    assert torch.equal(pack(x, 1), x)
    with pytest.raises(StganError, match="batch size 4 is not divisible by the pack size 3"):
        pack(x, 3)


def test_mode_seeking_loss_by_hand():
    g1 = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    g2 = torch.tensor([[0.0, 2.0], [3.0, 1.0]], dtype=torch.float64)  # mean |Δ| = (1+0+0+3)/4 = 1
    z1 = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    z2 = torch.tensor([[1.0], [4.0]], dtype=torch.float64)  # mean |Δz| = (1+3)/2 = 2
    assert mode_seeking_loss(g1, g2, z1, z2).item() == pytest.approx(1 / (0.5 + 1e-5), rel=1e-12)
    assert mode_seeking_loss(g1, g2, z1, z2, eps=0.5).item() == pytest.approx(1.0, rel=1e-12)
