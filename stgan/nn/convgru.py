"""Recurrent models: a ConvGRU cell, a generator stepping it through time, a critic reading with it.

The generator keeps its whole memory of the past in one coarse hidden state, so it can make a
window of any length, and :meth:`ConvGRUGenerator.stream` makes one frame at a time in memory
that does not grow with the length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from einops import rearrange
from torch import nn

from stgan.nn.discriminator_flags import DiscriminatorFlags, takes_flags
from stgan.nn.layers import (
    LEAKY_SLOPE,
    MinibatchStd,
    center_crop,
    conv,
    conv2d_block,
    strided_blocks,
)
from stgan.nn.registry import DISCRIMINATORS, GENERATORS

__all__ = ["ConvGRUCell", "ConvGRUGenerator", "ConvGRUDiscriminator"]


class ConvGRUCell(nn.Module):
    """Convolutional GRU (Ballas et al. 2016): a GRU whose matrix products are 3×3 convolutions.

    With ``[a, b]`` channel concatenation, σ the logistic function and ⊙ the elementwise
    product::

        r  = σ(W_r ∗ [x, h]),   u = σ(W_u ∗ [x, h])        reset and update gates
        h̃  = tanh(W_h ∗ [x, r ⊙ h])                        candidate state
        h' = (1 − u) ⊙ h + u ⊙ h̃

    Parameters
    ----------
    c_in : int
        Channels of the input x (B, c_in, H, W).
    hidden : int
        Channels of the state h (B, hidden, H, W).
    periodic_x, spectral_norm : bool
        Padding and normalisation of the two convolutions (see :func:`stgan.nn.layers.conv`).
    """

    def __init__(
        self, c_in: int, hidden: int, *, periodic_x: bool = False, spectral_norm: bool = False
    ) -> None:
        super().__init__()
        opts = dict(periodic_x=periodic_x, spectral_norm=spectral_norm)
        self.hidden = hidden
        self.gates = conv(c_in + hidden, 2 * hidden, (3, 3), **opts)
        self.candidate = conv(c_in + hidden, hidden, (3, 3), **opts)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One GRU update: input ``x`` (B, c_in, H, W), state ``h`` → h', each (B, hidden, H, W)."""
        r, u = torch.sigmoid(self.gates(torch.cat([x, h], dim=1))).chunk(2, dim=1)
        h_new = torch.tanh(self.candidate(torch.cat([x, r * h], dim=1)))
        return (1 - u) * h + u * h_new  # (B, hidden, H, W)


@GENERATORS.register("convgru")
class ConvGRUGenerator(nn.Module):
    """A ConvGRU state carried through time, fed a fresh latent frame at every step.

    The latent is ``(latent_channels, T, ⌈H/f⌉, ⌈W/f⌉)`` with ``f = 2^spatial_upsamples``. At
    step ``t`` a 3×3 convolution encodes ``z_t``, the ConvGRU cell updates the coarse state
    (zeros before the first step) and a decoder of ``spatial_upsamples`` blocks (nearest ×2,
    two 3×3 convolutions, the width halving down to ``width``) and a linear 3×3 head maps the
    state to a (C, H, W) frame, centre-cropped to the window. Nothing but the state links one
    step to the next, so :meth:`stream` can make arbitrarily long series frame by frame.

    Parameters
    ----------
    channels : int
        Output channels: one per variable.
    latent_channels : int
        Channels of each latent frame.
    hidden_channels : int
        Channels of the recurrent state; also the width of the first decoder block's input.
        64 with ``width=16`` costs about what the ``conv3d`` demo generator does.
    width : int
        Channels of the last decoder block; earlier blocks have ``width·2^k``.
    spatial_upsamples : int
        ×2 upsampling blocks of the decoder (``f = 2^spatial_upsamples``).
    periodic_x : bool
        Wrap in x and replicate in y instead of zero padding, for global grids.
    spectral_norm : bool
        Spectrally normalise every convolution (Miyato et al. 2018).
    """

    length_note = (
        "the ConvGRU steps its state once per frame; beyond the training window it "
        "runs the recurrence longer than it was trained to"
    )

    def __init__(
        self,
        channels: int,
        latent_channels: int = 16,
        hidden_channels: int = 64,
        width: int = 16,
        spatial_upsamples: int = 2,
        periodic_x: bool = False,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        opts = dict(periodic_x=periodic_x, spectral_norm=spectral_norm)
        self.latent_channels = latent_channels
        self.spatial_factor = 2**spatial_upsamples
        self.encode = nn.Sequential(
            conv(latent_channels, hidden_channels, (3, 3), **opts), nn.LeakyReLU(LEAKY_SLOPE)
        )
        self.cell = ConvGRUCell(hidden_channels, hidden_channels, **opts)
        blocks: list[nn.Module] = []
        c = hidden_channels
        for i in range(spatial_upsamples):
            c_next = width * 2 ** (spatial_upsamples - 1 - i)
            blocks += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                conv2d_block(c, c_next, **opts),
                conv2d_block(c_next, c_next, **opts),
            ]
            c = c_next
        # Linear output: the data are standardised, so no squashing nonlinearity.
        blocks.append(conv(c, channels, (3, 3), **opts))
        self.decode = nn.Sequential(*blocks)

    def latent_shape(self, window: tuple[int, int, int]) -> tuple[int, int, int, int]:
        """Shape of one latent sample (without batch) that generates ``window`` = (T, H, W)."""
        t, h, w = window
        f = self.spatial_factor
        return (self.latent_channels, t, math.ceil(h / f), math.ceil(w / f))

    def initial_state(self, z_t: torch.Tensor) -> torch.Tensor:
        """The state before the first step: zeros, (B, hidden, h, w) for a latent frame z_t."""
        b, _, h, w = z_t.shape
        return z_t.new_zeros(b, self.cell.hidden, h, w)

    def step(
        self,
        z_t: torch.Tensor,
        state: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: latent frame (B, latent, h, w) → (uncropped frame (B, C, h·f, w·f), state).

        ``state`` None starts from :meth:`initial_state`.
        """
        state = self.initial_state(z_t) if state is None else state
        state = self.cell(self.encode(z_t), state)
        return self.decode(state), state

    def forward(self, z: torch.Tensor, window: tuple[int, int, int]) -> torch.Tensor:
        """Latent ``z`` (B, latent_channels, T, h, w) → windows (B, C, T, H, W) cropped to ``window``.

        The state starts at zeros and is updated once per latent frame; each state is decoded into
        one frame.
        """
        b, _, t = z.shape[:3]
        # Encoder and decoder see every frame at once; only the cell has to loop over time.
        x = rearrange(
            self.encode(rearrange(z, "b c t h w -> (b t) c h w")), "(b t) c h w -> t b c h w", b=b
        )
        state = self.initial_state(x[0])
        states = []
        for x_t in x:
            state = self.cell(x_t, state)
            states.append(state)
        frames = self.decode(rearrange(torch.stack(states, dim=1), "b t c h w -> (b t) c h w"))
        return center_crop(rearrange(frames, "(b t) c h w -> b c t h w", b=b), window)

    @torch.no_grad()
    def stream(
        self,
        n: int,
        length: int,
        window: tuple[int, int, int],
        *,
        generator: torch.Generator | None = None,
    ) -> Iterator[torch.Tensor]:
        """Yield ``length`` frames (n, C, H, W) one at a time, drawing each latent frame as needed.

        Runs without autograd and keeps only the current state, so memory does not grow with
        ``length``; ``window[0]`` is ignored (the length is ``length``). Latent frames are
        drawn with ``torch.randn(..., generator=generator)`` in step order, so stacking them
        along time and calling :meth:`forward` gives the same frames. Put the model in eval
        mode first if it uses spectral norm (train mode updates its power iteration).
        """
        _, _, h, w = self.latent_shape(window)
        device = next(self.parameters()).device
        state = None
        for _ in range(length):
            z_t = torch.randn(
                (n, self.latent_channels, h, w),
                generator=generator,
                device=generator.device if generator is not None else device,
            )
            frame, state = self.step(z_t.to(device), state)
            yield center_crop(frame, window[1:])


@DISCRIMINATORS.register("convgru")
@takes_flags
class ConvGRUDiscriminator(nn.Module):
    """Per-frame 2D encoder, a ConvGRU over time at the coarse resolution, pooling, a score.

    Each frame goes through a stride-1 stem and ``depth`` stride-2 blocks (width doubling up
    to ``max_width``); the cell reads the encoded frames in time order from a zero state. The
    states of *all* steps are averaged over time and space before the linear head, so every
    frame has a short gradient path to the score rather than only through the last state.

    Parameters
    ----------
    channels : int
        Input channels: one per variable.
    width : int
        Channels after the first convolution.
    depth : int
        Strided 2D blocks of the frame encoder.
    hidden_channels : int
        Channels of the recurrent state.
    max_width : int
        Upper bound on the encoder's channels.
    **flags : bool
        ``periodic_x``, ``spectral_norm``, ``minibatch_std``, ``mask_channel``, as for
        :class:`stgan.nn.discriminators.Conv3dDiscriminator`; minibatch std is taken on the
        encoded frames (all frames of a sample count as its features) and fed to the cell as
        one more channel.
    """

    def __init__(
        self,
        channels: int,
        width: int = 16,
        depth: int = 3,
        hidden_channels: int = 32,
        max_width: int = 256,
        **flags: bool,
    ) -> None:
        super().__init__()
        self.flags = DiscriminatorFlags(**flags)
        opts = self.flags.conv_options
        layers, c = strided_blocks(
            self.flags.in_channels(channels), width, depth, max_width=max_width, dims=2, **opts
        )
        self.encoder = nn.Sequential(*layers)
        self.minibatch_std = MinibatchStd() if self.flags.minibatch_std else None
        self.cell = ConvGRUCell(c + int(self.flags.minibatch_std), hidden_channels, **opts)
        self.head = self.flags.head(hidden_channels)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Scores (B,) of windows ``x`` (B, C, T, H, W), ``mask`` (B, 1, 1, H, W) or None.

        Every frame is encoded by the 2D blocks, the ConvGRU reads the encoded frames in time
        order, and the linear head scores the state's spatial mean averaged over the T steps.
        """
        x = self.flags.inputs(x, mask)  # (B, C[+1], T, H, W)
        b, _, t = x.shape[:3]
        f = self.encoder(rearrange(x, "b c t h w -> (b t) c h w"))  # (B·T, C', h, w)
        if self.minibatch_std is not None:
            f = self.minibatch_std(f, frames=t)
        f = rearrange(f, "(b t) c h w -> t b c h w", b=b)
        state = f.new_zeros(b, self.cell.hidden, *f.shape[-2:])
        pooled = f.new_zeros(b, self.cell.hidden)
        for f_t in f:
            state = self.cell(f_t, state)
            pooled = pooled + state.mean(dim=(2, 3))
        return self.head(pooled / t).squeeze(-1)  # (B,)
