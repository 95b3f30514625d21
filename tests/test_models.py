"""Generators and discriminators: shapes for odd windows, larger domains from one checkpoint,
streaming in flat memory, periodic padding (their options: test_model_options)."""

from __future__ import annotations

import ctypes
import gc
import os
import warnings

import pytest
import torch
from conftest import TINY_D, TINY_G

from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.nn.layers import conv3d, pad_periodic_x

WINDOWS = [(8, 32, 32), (5, 17, 23), (3, 12, 40)]
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


def _release_free_heap() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim), so that memory a
    test run earlier in this process freed is not reused unseen by a leak measured after."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: nothing to release
        pass


def _growth(frames, keep: bool = False) -> tuple[int, int]:
    """(live-tensor bytes, resident bytes) at frame 1,000 minus at frame 100."""
    kept, sizes = [], {}
    for step, frame in enumerate(frames, start=1):
        if keep:
            kept.append(frame)
        if step == 100:
            _release_free_heap()
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
