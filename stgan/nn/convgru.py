"""Recurrent models: a ConvGRU cell, a generator stepping it through time, a critic reading with it.

The generator keeps its whole memory of the past in one coarse hidden state, so it can make a
window of any length, and :meth:`ConvGRUGenerator.stream` makes one frame at a time in memory
that does not grow with the length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from stgan.nn.discriminator_flags import DiscriminatorFlags, takes_flags
from stgan.nn.layers import (
    LEAKY_SLOPE,
    MinibatchStd,
    center_crop,
    conv,
    conv2d_block,
    pad_periodic_x,
    strided_blocks,
)
from stgan.nn.registry import DISCRIMINATORS, GENERATORS

__all__ = ["ConvGRUCell", "ConvGRUGenerator", "ConvGRUDiscriminator"]

NHWC = torch.channels_last  # the frames' layout inside both networks


class ConvGRUCell(nn.Module):
    """Convolutional GRU (Ballas et al. 2016): a GRU whose matrix products are 3×3 convolutions.

    With ``[a, b]`` channel concatenation, σ the logistic function and ⊙ the elementwise
    product::

        r  = σ(W_r ∗ [x, h]),   u = σ(W_u ∗ [x, h])        reset and update gates
        h̃  = tanh(W_h ∗ [x, r ⊙ h])                        candidate state
        h' = (1 − u) ⊙ h + u ⊙ h̃

    A convolution of ``[x, h]`` is the sum of a convolution of x by the weight's x columns and
    one of h by its h columns, so :meth:`run` convolves every input frame at once (one
    convolution for the three gates over all T steps) and only the h parts step in time. The
    weights are stored whole (``gates``, ``candidate``), as checkpoints have them.

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
        self.c_in = c_in
        self.hidden = hidden
        self.gates = conv(c_in + hidden, 2 * hidden, (3, 3), **opts)
        self.candidate = conv(c_in + hidden, hidden, (3, 3), **opts)

    def _weights(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """x weights of all three gates (3·hidden, c_in, 3, 3) with their biases, and the h
        weights of r, u (2·hidden, hidden, 3, 3) and of the candidate (hidden, hidden, 3, 3).

        Read once per call: under spectral norm each read of ``.weight`` is a power iteration.
        """
        w_g, w_c = self.gates.weight, self.candidate.weight
        c = self.c_in
        w_x = torch.cat([w_g[:, :c], w_c[:, :c]])
        b_x = torch.cat([self.gates.bias, self.candidate.bias])
        return w_x, b_x, w_g[:, c:].contiguous(), w_c[:, c:].contiguous()

    def _conv(
        self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``x`` convolved by ``weight`` with the cell's own padding (zeros or periodic in x)."""
        pad = self.gates.periodic_pad  # both convolutions pad alike
        if pad is not None:
            x = pad_periodic_x(x, pad)
        return F.conv2d(x, weight, bias, padding=self.gates.padding)

    def _update(
        self, xg: torch.Tensor, h: torch.Tensor, w_hg: torch.Tensor, w_hc: torch.Tensor
    ) -> torch.Tensor:
        """h' from the x parts ``xg`` (B, 3·hidden, H, W) of the gates and the state h."""
        k = 2 * self.hidden
        # In place on fresh convolution outputs: no buffer beyond the four a GRU step needs.
        r, u = self._conv(h, w_hg).add_(xg[:, :k]).sigmoid_().chunk(2, dim=1)
        h_new = self._conv(r * h, w_hc).add_(xg[:, k:]).tanh_()
        return torch.lerp(h, h_new, u)  # (1 − u) ⊙ h + u ⊙ h̃, (B, hidden, H, W)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One GRU update: input ``x`` (B, c_in, H, W), state ``h`` → h', each (B, hidden, H, W)."""
        w_x, b_x, w_hg, w_hc = self._weights()
        return self._update(self._conv(x, w_x, b_x), h, w_hg, w_hc)

    def run(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """T updates: inputs ``x`` (B, T, c_in, H, W), initial state ``h`` → states (B, T, hidden, H, W).

        The same states as T calls of :meth:`forward`, with the x parts convolved in one batch.
        """
        b = x.shape[0]
        h = h.contiguous(memory_format=NHWC)  # as the frames are: no mixed layouts in the sums
        w_x, b_x, w_hg, w_hc = self._weights()
        xg = self._conv(x.flatten(0, 1), w_x, b_x).unflatten(0, (b, -1))  # (B, T, 3·hidden, H, W)
        states = []
        for i in range(x.shape[1]):
            h = self._update(xg[:, i], h, w_hg, w_hc)
            states.append(h)
        return torch.stack(states, dim=1)


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
        # Only the cell's h convolutions step in time: the encoder, the cell's x convolutions and
        # the decoder each see all B·T frames at once.
        # Frames as NHWC, oneDNN's own layout for 2D convolutions on CPU: no reorders around
        # every convolution.
        frames = rearrange(z, "b c t h w -> (b t) c h w").contiguous(memory_format=NHWC)
        x = self.encode(frames).unflatten(0, (b, t))
        states = self.cell.run(x, self.initial_state(x[:, 0]))  # (B, T, hidden, h, w)
        states = states.flatten(0, 1).contiguous(memory_format=NHWC)  # (B·T, hidden, h, w)
        frames = self.decode(states)  # (B·T, C, H', W')
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
        frames = rearrange(x, "b c t h w -> (b t) c h w").contiguous(memory_format=NHWC)
        f = self.encoder(frames)  # (B·T, C', h, w)
        if self.minibatch_std is not None:
            f = self.minibatch_std(f, frames=t)
        f = f.unflatten(0, (b, t))  # (B, T, C', h, w)
        states = self.cell.run(f, f.new_zeros(b, self.cell.hidden, *f.shape[-2:]))
        pooled = states.mean(dim=(1, 3, 4))  # over time and space: (B, hidden)
        return self.head(pooled).squeeze(-1)  # (B,)
