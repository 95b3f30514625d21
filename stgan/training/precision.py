"""Which precision ``stgan fit`` trains in by default, and the CPU bf16 convolution check.

The default ``trainer.precision`` is the fastest one that is correct on the device the run
trains on (:func:`fastest_precision` of ``trainer.accelerator``):

- a CUDA GPU (``gpu`` or ``cuda``, or ``auto`` where one is present): ``bf16-mixed`` where
  it computes in bfloat16 natively (Ampere and newer), else ``16-mixed`` with Lightning's
  gradient scaler;
- a CPU with native bfloat16 dot products (oneDNN reports them: AVX512-BF16 or AMX):
  ``bf16-mixed``, if oneDNN's bf16 3D convolution passes :func:`bf16_conv3d_error`;
- any other CPU: ``32-true``. Without native bfloat16, bf16 is emulated and bf16-mixed
  training is about 50× slower than float32.

A CPU run (``cpu``) on a machine with a GPU follows the CPU's rules.

An explicit ``--trainer.precision`` always wins. Losses, penalties and the health signals
are computed in float32 whatever the precision (see :mod:`stgan.training.steps` and
:mod:`stgan.stabilization.penalties`).

The check. With torch 2.13 on a CPU with AVX512-BF16, oneDNN's bf16 ``conv3d`` once returned
a wrong weight gradient (NaN or ~1e37) for 2-step inputs under a 3×3×3 kernel, and stgan
switched oneDNN off for every bf16 run, which cost it the bf16 speed-up. Now the one failing
case is probed instead: :func:`bf16_conv3d_error` computes that weight gradient under bf16
autocast with oneDNN and compares it with float64. Only where it is wrong does a bf16 run
train without oneDNN (:meth:`stgan.training.fit_start.FitStart.on_fit_start` says so).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

# bfloat16 keeps 8 bits of mantissa: a relative error of ~4e-3 per product, a few 1e-3 on
# a sum of many; the failure seen was NaN or off by orders of magnitude.
BF16_TOLERANCE = 0.05


def native_bf16_cpu() -> bool:
    """Whether this CPU computes bfloat16 natively (oneDNN's own test of the ISA)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch built without oneDNN
        return False


@functools.cache
def bf16_conv3d_error(onednn: bool = True) -> float:
    """Relative error of the bf16-autocast ``conv3d`` weight gradient on a 2-step input.

    The case that once failed: a (4, 8, 2, 8, 8) input, 16 output channels, a 3×3×3 kernel
    with padding 1 (2 time steps under a kernel of 3), under CPU bf16 autocast, with oneDNN
    on (``onednn=True``) or off. The reference is the same gradient in float64 from the same
    bf16-rounded values. Returns ``inf`` where the gradient is not finite.
    """
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, 8, 2, 8, 8, generator=generator).bfloat16().float()
    w = (0.1 * torch.randn(16, 8, 3, 3, 3, generator=generator)).bfloat16().float()
    # A loss whose gradient differs from output cell to output cell.
    ramp = torch.linspace(-1.0, 1.0, 4 * 16 * 2 * 8 * 8).view(4, 16, 2, 8, 8)

    def weight_grad(x: torch.Tensor, w: torch.Tensor, amp: bool) -> torch.Tensor:
        w = w.clone().requires_grad_()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            y = F.conv3d(x, w, padding=1)
        (y.to(x.dtype) * ramp.to(x.dtype)).sum().backward()
        return w.grad

    was = torch.backends.mkldnn.enabled
    try:
        torch.backends.mkldnn.enabled = onednn
        got = weight_grad(x, w, True).double()
    finally:
        torch.backends.mkldnn.enabled = was
    ref = weight_grad(x.double(), w.double(), False)
    if not torch.isfinite(got).all():
        return float("inf")
    return float((got - ref).norm() / ref.norm())


def onednn_off_for_bf16() -> str | None:
    """Why a CPU bf16 run should train without oneDNN here (its conv3d check fails), or None."""
    error = bf16_conv3d_error()
    if not error < BF16_TOLERANCE:
        return (
            f"its bf16 conv3d weight gradient is wrong on this machine (relative error "
            f"{error:.3g}); expect little speed-up over 32-true"
        )
    return None


def emulated_bf16_note() -> str | None:
    """A line for a CPU bf16 run on a CPU without native bfloat16, or None where it has it."""
    if native_bf16_cpu():
        return None
    return (
        "this CPU has no native bfloat16 (AVX512-BF16 or AMX): bf16 is emulated, and a demo "
        "training step ran about 50x slower than with --trainer.precision 32-true"
    )


def fastest_precision(accelerator: object = "auto") -> str:
    """The default ``trainer.precision`` for ``accelerator``: the fastest that is correct there.

    ``accelerator`` is ``trainer.accelerator`` as given (``"auto"``, ``"cpu"``, ``"gpu"``, ...);
    a run on the CPU of a machine with a GPU gets the CPU's rule (module docstring).
    """
    name = str(accelerator).lower()
    on_gpu = name in ("gpu", "cuda") or (name == "auto" and torch.cuda.is_available())
    if on_gpu and torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    if name not in ("auto", "cpu"):  # another accelerator (mps, tpu, an object): Lightning's own
        return "32-true"
    if native_bf16_cpu() and bf16_conv3d_error() < BF16_TOLERANCE:
        return "bf16-mixed"
    return "32-true"
