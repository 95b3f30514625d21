"""Generators and discriminators: shapes for odd windows, larger domains from one checkpoint,
streaming in flat memory, periodic padding, spectral norm, minibatch std, masks, frame choice."""

from __future__ import annotations

import gc
import math
import os
import warnings

import pytest
import torch
from torch.nn.utils import parametrize

from stgan.errors import StganError
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.nn.layers import conv3d, minibatch_std, pad_periodic_x

WINDOWS = [(8, 32, 32), (5, 17, 23), (3, 12, 40)]
TINY_G = {
    "conv3d": dict(latent_channels=4, width=4),
    "convgru": dict(latent_channels=4, hidden_channels=8, width=4),
}
TINY_D = dict(width=4, depth=2)
G_FLAGS = ["factorized", "periodic_x", "spectral_norm"]
G_OPTIONS = [
    ("conv3d", o) for o in [{}, *({f: True} for f in G_FLAGS), dict.fromkeys(G_FLAGS, True)]
]
G_OPTIONS += [("convgru", o) for o in ({}, {"periodic_x": True}, {"spectral_norm": True})]
D_FLAGS = ["periodic_x", "spectral_norm", "minibatch_std", "mask_channel"]
D_OPTIONS = [
    (k, o)
    for k in DISCRIMINATORS.keys()
    for o in [{}, *({f: True} for f in D_FLAGS), dict.fromkeys(D_FLAGS, True)]
]
D_OPTIONS += [("conv3d", {"factorized": True})]


def test_every_key_is_covered():
    assert {k for k, _ in G_OPTIONS} == set(GENERATORS.keys()) == {"conv3d", "convgru"}
    assert set(DISCRIMINATORS.keys()) == {"conv3d", "convgru", "spatiotemporal"}


@pytest.mark.parametrize("key, options", G_OPTIONS, ids=str)
def test_generator_shapes(key, options):
    g = GENERATORS.build(key, channels=2, **TINY_G[key], **options)
    for window in [*WINDOWS, (1, 9, 40)]:
        x = g(torch.randn(3, *g.latent_shape(window)), window)
        assert x.shape == (3, 2, *window)
        assert torch.isfinite(x).all() and x.std() > 0


@pytest.mark.parametrize("key, options", D_OPTIONS, ids=str)
def test_discriminator_shapes(key, options):
    d = DISCRIMINATORS.build(key, channels=2, **TINY_D, **options)
    for window in [*WINDOWS, (1, 1, 1)]:
        x = torch.randn(5, 2, *window)
        mask = (torch.rand(5, 1, 1, *window[1:]) > 0.3).float()
        for score in (d(x), d(x, mask)):
            assert score.shape == (5,) and torch.isfinite(score).all()


def test_default_conv3d_pair_keeps_its_checkpoint_layout():
    # The layers grew options; with none on, the state-dict keys are those of plain
    # nn.Conv3d/nn.Linear modules as before, so old checkpoints still load.
    d = DISCRIMINATORS.build("conv3d", channels=1, width=4, depth=2)
    keys = [f"features.{i}.0.{p}" for i in range(3) for p in ("weight", "bias")]
    assert list(d.state_dict()) == [*keys, "head.weight", "head.bias"]
    g = GENERATORS.build("conv3d", channels=1, width=4, spatial_upsamples=1)
    assert list(g.state_dict())[:2] == ["stem.0.weight", "stem.0.bias"]
    assert list(g.state_dict())[-2:] == ["head.weight", "head.bias"]


def test_conv3d_generator_makes_a_larger_domain_with_the_same_weights():
    torch.manual_seed(0)
    # One ×2 stage in space and time: the receptive field is ±5 output cells (stem ±1 latent
    # cell = ±2, two convolutions ±2, head ±1).
    g = GENERATORS.build(
        "conv3d", channels=1, latent_channels=4, width=4, spatial_upsamples=1, temporal_upsamples=1
    ).eval()
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


def test_factorized_conv_is_2plus1d_with_the_parameters_of_the_full_kernel():
    full, split = conv3d(16, 16), conv3d(16, 16, factorized=True)
    kernels = [tuple(m.weight.shape[2:]) for m in split.modules() if hasattr(m, "weight")]
    assert kernels == [(1, 3, 3), (3, 1, 1)]
    # Middle width ⌊27·16·16 / (9·16 + 3·16)⌋ = 36: 6,964 parameters against 6,928.
    n_full, n_split = (sum(p.numel() for p in m.parameters()) for m in (full, split))
    assert (n_full, n_split) == (27 * 16 * 16 + 16, 9 * 16 * 36 + 36 + 3 * 36 * 16 + 16)


def test_convgru_stream_equals_forward_on_the_same_latents():
    torch.manual_seed(0)
    g = GENERATORS.build("convgru", channels=2, **TINY_G["convgru"]).eval()
    window = (6, 13, 18)
    frames = list(g.stream(3, 6, window, generator=torch.Generator().manual_seed(7)))
    rng = torch.Generator().manual_seed(7)  # the same draws, in the same order
    z = torch.stack(
        [
            torch.randn(
                (3, *g.latent_shape(window)[:1], *g.latent_shape(window)[2:]), generator=rng
            )
            for _ in range(6)
        ],
        dim=2,
    )
    with torch.no_grad():
        whole = g(z, window)
    torch.testing.assert_close(torch.stack(frames, dim=2), whole)
    assert not any(f.requires_grad for f in frames)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:  # fields: size resident shared ... in pages
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _tensor_bytes() -> int:
    """Bytes of the distinct storages of every tensor the garbage collector can reach."""
    gc.collect()  # count only what is still referenced
    with warnings.catch_warnings():  # isinstance() pokes deprecated torch.distributed names
        warnings.simplefilter("ignore")
        storages = {
            o.untyped_storage().data_ptr(): o.untyped_storage().nbytes()
            for o in gc.get_objects()
            if isinstance(o, torch.Tensor)
        }
    return sum(storages.values())  # views share a storage: count each storage once


def _growth(frames, keep: bool = False) -> tuple[int, int]:
    """(live-tensor bytes, resident bytes) at frame 1,000 minus at frame 100."""
    kept, sizes = [], {}
    for step, frame in enumerate(frames, start=1):
        if keep:
            kept.append(frame)
        if step in (100, 1000):
            sizes[step] = _tensor_bytes(), _rss_bytes()
    return sizes[1000][0] - sizes[100][0], sizes[1000][1] - sizes[100][1]


@pytest.fixture
def one_thread():
    # 3,000 steps of tiny convolutions: thread-pool hand-offs would dominate, and stall when
    # other processes hold the cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_convgru_streams_1000_steps_in_flat_memory(one_thread):
    # Two measures between step 100 and step 1,000 of a 4 × 32 × 32 stream:
    # * bytes of every tensor Python can reach (gc.get_objects()): exact, and catches frames,
    #   states or latents that stay referenced; a control that keeps its frames grows by
    #   exactly 900 × 4·32·32 floats.
    # * the resident set size (/proc/self/statm): catches what Python cannot see, chiefly an
    #   autograd graph chained through the state; freed memory is reused, so a flat stream
    #   moves it by well under a MiB (observed), while a control stepping with autograd on
    #   grows it by ~90 MiB.
    torch.manual_seed(0)
    g = GENERATORS.build("convgru", channels=1, **TINY_G["convgru"]).eval()

    def stream():
        return g.stream(4, 1000, (1, 32, 32), generator=torch.Generator().manual_seed(0))

    slack = 4 * 2**20  # allocator and interpreter noise, several times what was observed
    tensors, rss = _growth(stream())
    assert tensors == 0 and rss < slack
    assert _growth(stream(), keep=True)[0] == 900 * 4 * 32 * 32 * 4

    def with_autograd():
        state = None
        for _ in range(1000):
            frame, state = g.step(torch.randn(4, 4, 8, 8), state)
            yield frame

    assert _growth(with_autograd())[1] > slack


@pytest.mark.parametrize("key", ["conv3d", "convgru"])
def test_periodic_x_makes_the_generator_equivariant_to_a_longitude_roll(key):
    torch.manual_seed(0)
    window, k = (4, 12, 32), 3  # 32 = latent width 8 × f = 4: the output wraps the globe once
    rolled = {}
    for periodic in (True, False):
        g = GENERATORS.build(key, channels=1, **TINY_G[key], periodic_x=periodic).eval()
        z = torch.randn(2, *g.latent_shape(window))
        assert z.shape[-1] * g.spatial_factor == window[-1]
        with torch.no_grad():
            out, out_of_rolled = g(z, window), g(torch.roll(z, k, dims=-1), window)
        rolled[periodic] = (torch.roll(out, k * g.spatial_factor, dims=-1), out_of_rolled)
    torch.testing.assert_close(*rolled[True], rtol=1e-5, atol=1e-6)
    # Zero padding marks the edges, so a rolled latent does not just roll the output.
    assert (rolled[False][0] - rolled[False][1]).abs().max() > 1e-2


def test_periodic_padding_wraps_x_replicates_y_and_zero_pads_time():
    x = torch.arange(6.0).view(1, 1, 1, 2, 3)  # one frame [[0, 1, 2], [3, 4, 5]]
    padded = pad_periodic_x(x, (1, 1, 1))
    assert padded.shape == (1, 1, 3, 4, 5)
    assert padded[0, 0, 1].tolist() == [
        [2, 0, 1, 2, 0],
        [2, 0, 1, 2, 0],
        [5, 3, 4, 5, 3],
        [5, 3, 4, 5, 3],
    ]
    assert padded[0, 0, [0, 2]].abs().sum() == 0


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
