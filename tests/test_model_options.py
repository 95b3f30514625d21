"""Options of generators and discriminators: spectral norm, minibatch std, masks, frame choice,
latent vectors and categories, and the message for an unknown option."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import TINY_D, TINY_G
from torch.nn.utils import parametrize

from stgan.errors import StganError
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.nn.layers import minibatch_std


def _spectral_norms(model: torch.nn.Module) -> list[float]:
    norms = []
    for m in model.modules():
        if parametrize.is_parametrized(m, "weight"):
            w = m.weight
            norms.append(torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2).item())
    return norms


def _n_weighted_layers(model: torch.nn.Module) -> int:
    return sum(
        isinstance(m, (torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.Linear)) for m in model.modules()
    )


@pytest.mark.parametrize(
    "family, key", [("G", k) for k in GENERATORS.keys()] + [("D", k) for k in DISCRIMINATORS.keys()]
)
def test_spectral_norm_keeps_every_layer_near_unit_norm(family, key):
    torch.manual_seed(0)
    window = (4, 16, 16)
    if family == "G":
        model = GENERATORS.build(key, channels=1, **TINY_G[key], spectral_norm=True)
        run = lambda: model(torch.randn(2, *model.latent_shape(window)), window)  # noqa: E731
    else:
        model = DISCRIMINATORS.build(key, channels=1, **TINY_D, spectral_norm=True)
        run = lambda: model(torch.randn(2, 1, *window))  # noqa: E731
    for _ in range(5):  # each training forward does one power iteration per layer
        run()
    model.eval()
    norms = _spectral_norms(model)
    assert len(norms) == _n_weighted_layers(model) > 0  # every conv and linear is wrapped
    assert max(abs(n - 1) for n in norms) < 0.05
    plain = (GENERATORS if family == "G" else DISCRIMINATORS).build(
        key, channels=1, **(TINY_G[key] if family == "G" else TINY_D)
    )
    assert _spectral_norms(plain) == []


def test_minibatch_std_feature_known_values():
    # Identical samples: std 0 (√eps = 1e-4 from the stabilising epsilon).
    same = minibatch_std(torch.randn(1, 3, 2, 4, 4).expand(4, -1, -1, -1, -1))
    assert same.shape == (4, 4, 2, 4, 4)
    assert same[:, -1].abs().max() < 2e-4
    # B = 5, groups of ≤ 4 → two groups, sample i in group i mod 2: {0, 2, 4} and {1, 3}.
    # Constant samples 0, 0, 3, 2, 6: group 0 holds 0, 3, 6 (biased std √6), group 1 0, 2 (1).
    x = torch.tensor([0.0, 0, 3, 2, 6]).view(5, 1, 1, 1).expand(5, 2, 3, 3)
    feature = minibatch_std(x)[:, -1, 0, 0]
    torch.testing.assert_close(feature, torch.tensor([6**0.5, 1, 6**0.5, 1, 6**0.5]))
    # frames=2: rows (sample, frame) = (0,0) (0,1) (1,0) (1,1); one group of two samples.
    rows = torch.tensor([0.0, 0, 2, 2]).view(4, 1, 1, 1).expand(4, 1, 2, 2)
    torch.testing.assert_close(minibatch_std(rows, frames=2)[:, -1, 0, 0], torch.ones(4))


@pytest.mark.parametrize("key", DISCRIMINATORS.keys())
def test_minibatch_std_makes_scores_depend_on_the_rest_of_the_batch(key):
    torch.manual_seed(0)
    x = torch.randn(4, 1, 4, 16, 16)
    changed = x.clone()
    changed[1] += torch.randn_like(x[1])
    for on in (True, False):
        d = DISCRIMINATORS.build(key, channels=1, **TINY_D, minibatch_std=on).eval()
        with torch.no_grad():
            before, after = d(x), d(changed)
        diff = (before[[0, 2, 3]] - after[[0, 2, 3]]).abs().max()  # untouched samples
        assert (diff > 1e-6) if on else (diff == 0)
    # With identical inputs the appended channel is zero inside the model too.
    d = DISCRIMINATORS.build("conv3d", channels=1, **TINY_D, minibatch_std=True)
    seen = []
    d.features[-2].register_forward_hook(lambda m, i, out: seen.append(out[:, -1]))
    d(x[:1].expand(4, -1, -1, -1, -1))
    assert seen[0].abs().max() < 2e-4


@pytest.mark.parametrize("key", DISCRIMINATORS.keys())
def test_mask_channel_lets_the_discriminator_see_the_mask(key):
    torch.manual_seed(0)
    x = torch.randn(2, 1, 4, 16, 16)
    land = torch.ones(2, 1, 1, 16, 16)
    land[..., 4:9, 3:12] = 0
    for on in (True, False):
        d = DISCRIMINATORS.build(key, channels=1, **TINY_D, mask_channel=on).eval()
        with torch.no_grad():
            masked, unmasked, none = d(x, land), d(x, torch.ones_like(land)), d(x)
        assert ((masked - unmasked).abs().min() > 1e-6) if on else torch.equal(masked, unmasked)
        torch.testing.assert_close(none, unmasked)  # no mask = every cell valid


def test_spatiotemporal_frames_random_in_training_evenly_spaced_in_eval():
    torch.manual_seed(0)
    d = DISCRIMINATORS.build("spatiotemporal", channels=1, **TINY_D, n_frames=4)
    draws = [d.frame_indices(3, 8, torch.device("cpu")) for _ in range(5)]
    for idx in draws:
        assert idx.shape == (3, 4) and (idx.diff(dim=1) > 0).all() and idx.max() < 8
    assert len({tuple(r.tolist()) for idx in draws for r in idx}) > 1
    d.eval()
    assert d.frame_indices(2, 8, torch.device("cpu")).tolist() == [[0, 2, 5, 7]] * 2
    assert d.frame_indices(1, 3, torch.device("cpu")).tolist() == [[0, 1, 2]]  # T < n_frames


def test_spatiotemporal_spatial_part_sees_only_its_frames():
    torch.manual_seed(0)
    d = DISCRIMINATORS.build("spatiotemporal", channels=1, **TINY_D).eval()
    x = torch.randn(2, 1, 8, 16, 16)
    with torch.no_grad():
        spatial, temporal = d.scores(x)
        torch.testing.assert_close(d(x), spatial + temporal)
        torch.testing.assert_close(d(x), d(x))  # deterministic in eval mode
        for frame, judged in ((1, False), (2, True)):  # eval frames are 0, 2, 5, 7
            y = x.clone()
            y[:, :, frame] = torch.randn(2, 1, 16, 16)
            s, t = d.scores(y)
            assert torch.equal(s, spatial) != judged
            assert (t - temporal).abs().min() > 1e-6  # the temporal part sees every frame


def test_unknown_option_names_the_valid_ones():
    with pytest.raises(StganError, match="generator 'conv3d' has no option 'depth'.*width"):
        GENERATORS.build("conv3d", channels=1, depth=3)
    with pytest.raises(StganError, match="discriminator 'spatiotemporal' has no option"):
        DISCRIMINATORS.build("spatiotemporal", channels=1, factorized=True)


def test_convgru_latent_shape_is_one_coarse_frame_per_step():
    g = GENERATORS.build("convgru", channels=1, spatial_upsamples=2)
    assert g.latent_shape((5, 17, 23)) == (16, 5, math.ceil(17 / 4), math.ceil(23 / 4))
    assert g.length_note


def test_latent_vector_couples_every_cell_to_the_whole_latent():
    torch.manual_seed(0)
    window = (4, 32, 32)  # the grid generator's receptive field is ±11 cells
    vec = GENERATORS.build(
        "conv3d", channels=1, latent_channels=4, width=4, latent_vector=8, window=window
    ).eval()
    grid = GENERATORS.build("conv3d", channels=1, latent_channels=4, width=4).eval()
    assert vec.latent_shape(window) == (8, 1, 1, 1) and vec.max_length == 4
    with torch.no_grad():
        for g in (vec, grid):
            z = torch.randn(1, *g.latent_shape(window))
            z2 = z.clone()
            z2.view(-1)[0] += 1.0  # one latent number: a whole vector entry, or one grid cell
            delta = (g(z2, window) - g(z, window)).abs()[0, 0]
            far = delta[:, -4:, -4:]  # the corner opposite the perturbed grid cell
            if g is vec:
                assert (far > 0).all()  # every cell depends on every latent entry
            else:
                assert delta[:, :4, :4].max() > 0 and far.max() == 0  # local receptive field
    with pytest.raises(ValueError, match="up to"):
        vec(torch.randn(1, 8, 1, 1, 1), (8, 32, 32))
    with pytest.raises(ValueError, match="training window"):
        GENERATORS.build("conv3d", channels=1, latent_vector=8)
    from stgan.errors import StganError

    for bad in (-1, 2.5):
        with pytest.raises(StganError, match="latent_vector must be an integer >= 0"):
            GENERATORS.build("conv3d", channels=1, latent_vector=bad, window=window)


def test_latent_categories_split_the_latent_into_disconnected_parts():
    from stgan.errors import StganError

    torch.manual_seed(0)
    window = (4, 16, 16)
    g = GENERATORS.build(
        "conv3d",
        channels=1,
        latent_channels=4,
        width=4,
        latent_vector=8,
        latent_categories=3,
        window=window,
    ).eval()
    z = torch.randn(64, 8, 1, 1, 1)
    with torch.no_grad():
        out = g(z, window)
        # The first 3 entries count only through their argmax: rescaling them changes nothing.
        scaled = z.clone()
        scaled[:, :3] = scaled[:, :3] * 3.0 + 10.0
        assert torch.equal(g(scaled, window), out)
        # Swapping which of them is largest moves the sample to another category: a jump.
        swapped = z.clone()
        swapped[:, [0, 1, 2]] = z[:, [1, 2, 0]]
        moved = z[:, :3].argmax(1) != swapped[:, :3].argmax(1)
        assert moved.all()
        assert ((g(swapped, window) - out).abs().amax(dim=(1, 2, 3, 4)) > 1e-4).all()
    # Standard normal latents pick each category about equally often.
    counts = torch.bincount(torch.randn(30000, 3).argmax(1), minlength=3) / 30000
    assert torch.allclose(counts, torch.full((3,), 1 / 3), atol=0.01)
    for bad in (1, -1, 8, 2.5):
        with pytest.raises(StganError, match="latent_categories must be 0 or an integer from 2"):
            GENERATORS.build(
                "conv3d", channels=1, latent_vector=8, latent_categories=bad, window=window
            )
    with pytest.raises(StganError, match="it needs latent_vector"):
        GENERATORS.build("conv3d", channels=1, latent_categories=4)


def test_training_module_gives_a_latent_vector_generator_its_window():
    from stgan.errors import StganError
    from stgan.sampling import check_length
    from stgan.training.module import GANModule

    module = GANModule(
        window=(4, 16, 16), generator_options={"latent_channels": 4, "width": 4, "latent_vector": 8}
    )
    assert module.sample(module.sample_latent(2)).shape == (2, 1, 4, 16, 16)
    assert check_length(module, 4) is None
    with pytest.raises(StganError, match="at most 4 steps"):
        check_length(module, 5)
