"""The generator's upsampling convolution folded onto the coarse grid equals upsample-then-conv."""

from __future__ import annotations

import pytest
import torch

from stgan.nn.generators import GENERATORS
from stgan.nn.layers import conv3d_block
from stgan.nn.upsample import UpsampleBlock, folded_weight


def _outputs_and_grads(block, x):
    y = block(x)
    grads = torch.autograd.grad(y.square().sum(), [x, *block.parameters()])
    return y, grads


@pytest.mark.parametrize("scale", [(2, 2, 2), (1, 2, 2)])
@pytest.mark.parametrize("periodic_x", [False, True])
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_folded_block_equals_upsample_then_convolve(scale, periodic_x, spectral_norm):
    torch.manual_seed(0)
    opts = dict(periodic_x=periodic_x, spectral_norm=spectral_norm)
    block = UpsampleBlock(scale, conv3d_block(5, 4, **opts), conv3d_block(4, 3, **opts)).eval()
    assert block.folds
    x = torch.randn(2, 5, 3, 4, 6, requires_grad=True)  # odd and even sizes, T of 3
    y, grads = _outputs_and_grads(block, x)
    block.folds = False  # the plain path: nn.Upsample, then the convolution
    y_ref, grads_ref = _outputs_and_grads(block, x)
    assert y.shape == (2, 3, 3 * scale[0], 8, 12)
    torch.testing.assert_close(y, y_ref, rtol=1e-5, atol=1e-5)
    for g, g_ref in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(g, g_ref, rtol=1e-4, atol=1e-4 * float(g_ref.abs().max()))
    block.folds = True
    x_cl = x.detach().contiguous(memory_format=torch.channels_last_3d)
    y_cl = block(x_cl)
    assert y_cl.is_contiguous(memory_format=torch.channels_last_3d)
    torch.testing.assert_close(y_cl, y_ref, rtol=1e-5, atol=1e-5)


def test_folded_weight_sums_the_taps_each_phase_sees():
    # One input and output channel, taps 1..27: along a doubled axis phase 0 sees
    # (w0, w1 + w2) and phase 1 (w0 + w1, w2); an axis of scale 1 keeps its 3 taps.
    w = torch.arange(1.0, 28.0).view(1, 1, 3, 3, 3)
    folded = folded_weight(w, (1, 1, 2))
    assert folded.shape == (2, 1, 3, 3, 2)
    torch.testing.assert_close(
        folded[0, 0], torch.stack([w[0, 0, ..., 0], w[0, 0, ..., 1] + w[0, 0, ..., 2]], -1)
    )
    torch.testing.assert_close(
        folded[1, 0], torch.stack([w[0, 0, ..., 0] + w[0, 0, ..., 1], w[0, 0, ..., 2]], -1)
    )
    assert folded_weight(w, (2, 2, 2)).shape == (8, 1, 2, 2, 2)


def test_generator_keeps_its_state_dict_keys_and_factorised_blocks_fall_back():
    g = GENERATORS.build("conv3d", channels=1, width=4, latent_channels=4)
    assert all(isinstance(b, UpsampleBlock) and b.folds for b in g.blocks)
    assert "blocks.0.1.0.weight" in g.state_dict()  # the plain Sequential's keys
    f = GENERATORS.build("conv3d", channels=1, width=4, latent_channels=4, factorized=True)
    assert not any(b.folds for b in f.blocks)
    z = torch.randn(2, *f.latent_shape((4, 8, 8)))
    assert f(z, (4, 8, 8)).shape == (2, 1, 4, 8, 8)


def test_folded_path_passes_gradcheck_and_gradgradcheck():
    # The interleave's gradient is its adjoint, written by hand: checked numerically, twice.
    torch.manual_seed(1)
    block = UpsampleBlock((2, 2, 2), conv3d_block(2, 2), conv3d_block(2, 1)).double()
    x = torch.randn(1, 2, 2, 3, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(block, (x,))
    assert torch.autograd.gradgradcheck(block, (x,))
