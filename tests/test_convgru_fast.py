"""The batched ConvGRU (x parts convolved for all frames at once) equals the per-step form.

The reference is the cell's textbook form written out here, as the code had it before the x
parts were hoisted out of the time loop: per step, one convolution of ``[x, h]`` for both gates
and one of ``[x, r ⊙ h]`` for the candidate, through the cell's own (unsplit) layers.
"""

from __future__ import annotations

import pytest
import torch
from conftest import TINY_G

from stgan.nn.convgru import ConvGRUCell
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.nn.layers import center_crop

ATOL = 1e-5


def per_step_cell(cell: ConvGRUCell, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """One update as ``torch.cat`` of x and h through the whole gate convolutions."""
    r, u = torch.sigmoid(cell.gates(torch.cat([x, h], dim=1))).chunk(2, dim=1)
    h_new = torch.tanh(cell.candidate(torch.cat([x, r * h], dim=1)))
    return (1 - u) * h + u * h_new


def per_step_generator(g, z: torch.Tensor, window: tuple[int, int, int]) -> torch.Tensor:
    """Encode, update and decode one frame at a time."""
    state, frames = None, []
    for t in range(z.shape[2]):
        x_t = g.encode(z[:, :, t])
        state = g.initial_state(x_t) if state is None else state
        state = per_step_cell(g.cell, x_t, state)
        frames.append(g.decode(state))
    return center_crop(torch.stack(frames, dim=2), window)


def per_step_discriminator(d, x: torch.Tensor) -> torch.Tensor:
    """Encode every frame, run the cell frame by frame, average the states' spatial means."""
    x = d.flags.inputs(x, None)
    b, _, t = x.shape[:3]
    f = d.encoder(x.transpose(1, 2).flatten(0, 1)).unflatten(0, (b, t))
    state = f.new_zeros(b, d.cell.hidden, *f.shape[-2:])
    pooled = f.new_zeros(b, d.cell.hidden)
    for i in range(t):
        state = per_step_cell(d.cell, f[:, i], state)
        pooled = pooled + state.mean(dim=(2, 3))
    return d.head(pooled / t).squeeze(-1)


def grads(module: torch.nn.Module, out: torch.Tensor) -> list[torch.Tensor]:
    """Gradients of a fixed random projection of ``out`` with respect to every parameter."""
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
    return torch.autograd.grad((out * weights).sum(), list(module.parameters()))


@pytest.mark.parametrize("periodic_x", [False, True])
def test_cell_run_and_step_equal_the_per_step_form_with_gradients(periodic_x):
    torch.manual_seed(0)
    cell = ConvGRUCell(3, 5, periodic_x=periodic_x)
    x, h0 = (
        torch.randn(2, 4, 3, 6, 7),
        torch.randn(2, 5, 6, 7),
    )  # (B, T, c_in, H, W), (B, hidden, H, W)
    ref, h = [], h0
    for i in range(4):
        h = per_step_cell(cell, x[:, i], h)
        ref.append(h)
    ref = torch.stack(ref, dim=1)
    states = cell.run(x, h0)
    torch.testing.assert_close(states, ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(cell(x[:, 0], h0), ref[:, 0], atol=ATOL, rtol=0)
    for new, old in zip(grads(cell, states), grads(cell, ref), strict=True):
        torch.testing.assert_close(new, old, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("channels_last", [False, True])
def test_generator_equals_the_per_step_form(channels_last):
    torch.manual_seed(0)
    g = GENERATORS.build("convgru", channels=2, **TINY_G["convgru"])
    window = (5, 13, 18)
    z = torch.randn(3, *g.latent_shape(window))
    ref = per_step_generator(g, z, window)
    if channels_last:
        g = g.to(memory_format=torch.channels_last)
    out = g(z, window)
    assert out.shape == (3, 2, *window)
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)
    for new, old in zip(grads(g, out), grads(g, ref), strict=True):
        torch.testing.assert_close(new, old, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("options", [{}, {"periodic_x": True, "spectral_norm": True}], ids=str)
def test_discriminator_equals_the_per_step_form(options):
    torch.manual_seed(0)
    # eval: under spectral norm every read of a weight in train mode is a power iteration,
    # and the per-step form reads the cell's weights once per step.
    d = DISCRIMINATORS.build("convgru", channels=2, width=4, depth=2, **options).eval()
    x = torch.randn(3, 2, 6, 16, 12)
    ref = per_step_discriminator(d, x)
    out = d(x)
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)
    for new, old in zip(grads(d, out), grads(d, ref), strict=True):
        torch.testing.assert_close(new, old, atol=ATOL, rtol=1e-5)
