"""Parameters and CPU speed of every generator and discriminator at the demo size.

The demo size is ``configs/demo.yaml``'s: window (T, H, W) = (8, 32, 32), one channel, batch
16; the conv3d pair uses the demo options (G: latent_channels 16, width 16, spatial_upsamples
2, temporal_upsamples 1; D: width 16, depth 3), the recurrent and spatiotemporal models their
defaults (chosen to cost about as much). Extra rows show the conv3d pair with (2+1)D
factorised convolutions and the options that add work (spectral norm, minibatch std).

Times are the median of ``--repeats`` calls after ``--warmup`` calls, in milliseconds, in
train mode (as during fitting: spectral norm runs its power iteration, the spatiotemporal D
draws random frames). "fwd+bwd" is the forward pass plus ``out.mean().backward()`` into the
parameters. Run: ``python benchmarks/bench_models.py`` (prints a markdown table).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS

WINDOW = (8, 32, 32)
BATCH = 16
DEMO_G = dict(latent_channels=16, width=16, spatial_upsamples=2, temporal_upsamples=1)
DEMO_D = dict(width=16, depth=3)

# (family, key, options, label of the options)
CASES: list[tuple[str, str, dict, str]] = [
    ("G", "conv3d", DEMO_G, "demo"),
    ("G", "conv3d", {**DEMO_G, "factorized": True}, "demo + factorized"),
    ("G", "conv3d", {**DEMO_G, "spectral_norm": True}, "demo + spectral_norm"),
    ("G", "convgru", {}, "defaults"),
    ("D", "conv3d", DEMO_D, "demo"),
    ("D", "conv3d", {**DEMO_D, "factorized": True}, "demo + factorized"),
    (
        "D",
        "conv3d",
        {**DEMO_D, "spectral_norm": True, "minibatch_std": True},
        "demo + spectral_norm + minibatch_std",
    ),
    ("D", "convgru", {}, "defaults"),
    ("D", "spatiotemporal", {}, "defaults"),
]


def median_ms(fn: Callable[[], object], warmup: int, repeats: int) -> float:
    for _ in range(warmup):  # thread pool spin-up, oneDNN primitive caches
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def bench(family: str, key: str, options: dict, warmup: int, repeats: int) -> dict:
    torch.manual_seed(0)
    registry = GENERATORS if family == "G" else DISCRIMINATORS
    model = registry.build(key, channels=1, **options).train()
    if family == "G":
        z = torch.randn(BATCH, *model.latent_shape(WINDOW))
        forward = lambda: model(z, WINDOW)  # noqa: E731
    else:
        x = torch.randn(BATCH, 1, *WINDOW)
        forward = lambda: model(x)  # noqa: E731

    def forward_backward() -> None:
        model.zero_grad(set_to_none=True)
        forward().mean().backward()

    with torch.no_grad():
        t_fwd = median_ms(forward, warmup, repeats)
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "fwd": t_fwd,
        "fwd_bwd": median_ms(forward_backward, warmup, repeats),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed calls (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    args = parser.parse_args()

    print(
        f"window {WINDOW}, 1 channel, batch {BATCH}; torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU threads; median of {args.repeats} after "
        f"{args.warmup} warm-up calls\n"
    )
    print("| model | key | options | parameters | forward (ms) | forward+backward (ms) |")
    print("|---|---|---|---:|---:|---:|")
    for family, key, options, label in CASES:
        r = bench(family, key, options, args.warmup, args.repeats)
        name = "generator" if family == "G" else "discriminator"
        print(
            f"| {name} | {key} | {label} | {r['params']:,} | {r['fwd']:.1f} | {r['fwd_bwd']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
