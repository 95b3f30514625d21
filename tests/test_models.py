"""Generators and discriminators: shapes for odd windows, larger domains from one checkpoint."""

from __future__ import annotations

import pytest
import torch

from stgan.errors import StganError
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS


@pytest.mark.parametrize("window", [(8, 32, 32), (5, 17, 23), (1, 9, 40), (12, 16, 8)])
def test_conv3d_pair_shapes(window):
    g = GENERATORS.build("conv3d", channels=2, latent_channels=4, width=4)
    d = DISCRIMINATORS.build("conv3d", channels=2, width=4, depth=2)
    z = torch.randn(3, *g.latent_shape(window))
    x = g(z, window)
    assert x.shape == (3, 2, *window)
    assert d(x).shape == (3,)


def test_conv3d_generator_makes_a_larger_domain_with_the_same_weights():
    torch.manual_seed(0)
    # One ×2 stage in space and time: the receptive field is ±5 output cells (stem ±1 latent
    # cell = ±2, two convolutions ±2, head ±1).
    g = GENERATORS.build("conv3d", channels=1, latent_channels=4, width=4,
                         spatial_upsamples=1, temporal_upsamples=1).eval()
    small, large = (12, 16, 16), (16, 32, 40)
    z_large = torch.randn(1, *g.latent_shape(large))
    with torch.no_grad():
        out = g(z_large, large)
        assert out.shape == (1, 1, *large)
        # The same latent patch inside a larger grid gives the same output away from borders.
        zt, zh, zw = g.latent_shape(small)[1:]
        out_small = g(z_large[..., 1 : 1 + zt, 2 : 2 + zh, 3 : 3 + zw], small)
    # Patch offset (1, 2, 3) latent cells = (2, 4, 6) output cells; interior = [5, 11).
    torch.testing.assert_close(out_small[..., 5:7, 5:11, 5:11], out[..., 7:9, 9:15, 11:17])
    # ... while near the border the zero padding of the smaller grid shows.
    assert not torch.allclose(out_small[..., 0, 0, 0], out[..., 2, 4, 6])


def test_discriminator_scores_any_window_size():
    d = DISCRIMINATORS.build("conv3d", channels=1, width=4, depth=3)
    assert d(torch.randn(2, 1, 8, 32, 32)).shape == (2,)
    assert d(torch.randn(2, 1, 3, 7, 11)).shape == (2,)


def test_unknown_option_names_the_valid_ones():
    with pytest.raises(StganError, match="generator 'conv3d' has no option 'depth'.*width"):
        GENERATORS.build("conv3d", channels=1, depth=3)
