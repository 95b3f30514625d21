"""Generation speed of both generators, and a 10,000-step ConvGRU rollout in flat memory.

Models are trained for one step at the demo size (``configs/demo.yaml``, and with
``configs/convgru.yaml`` on top) on a (512, 32, 32) grf file: speed does not depend on the
weights. For each:

* ``generate_array``: windows (8, 32, 32) in physical units, in memory, batch 32;
* ``stgan generate``: the same through the command's entry function, NetCDF written (for
  ``convgru`` streamed and written chunk by chunk);

both as the best of ``--repeats`` calls of ``--samples`` windows after one warm-up call. Then
the ConvGRU generator's ``stream()`` rolls ``--rollout`` steps of ``--rollout-batch`` samples
on the 32 × 32 grid, with the resident set size (``/proc/self/statm``) read at the first
step, every 1,000 steps and at the end, on one thread.

Run: ``python benchmarks/bench_generation.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

import stgan
from stgan.checkpoint import load_checkpoint
from stgan.data.synthetic import make_grf
from stgan.io.netcdf import write_netcdf
from stgan.sampling import generate_array
from stgan.training.loading import load_module

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:  # fields: size resident ... in pages
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def train_one_step(data: Path, root: Path, overlay: str | None) -> Path:
    from stgan.training.cli import run_fit

    configs = ["--config", str(CONFIGS / "demo.yaml")]
    if overlay:
        configs += ["--config", str(CONFIGS / f"{overlay}.yaml")]
    run_fit(
        [
            *configs,
            "--data.path",
            str(data),
            "--trainer.max_steps",
            "1",
            "--metrics.every_n_steps",
            "0",
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.enable_model_summary",
            "false",
            "--trainer.default_root_dir",
            str(root),
        ]
    )
    return next(root.rglob("last.ckpt"))


def best_rate(fn, samples: int, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return samples / best


def rollout(ckpt: Path, steps: int, batch: int) -> dict:
    module = load_module(load_checkpoint(ckpt))
    g = module.generator.eval()
    rss, start = {}, time.perf_counter()
    stream = g.stream(
        batch, steps, (steps, *module.window[1:]), generator=torch.Generator().manual_seed(0)
    )
    for step, frame in enumerate(stream, start=1):  # noqa: B007 (the last frame is kept)
        if step == 1 or step % 1000 == 0:
            rss[step] = _rss_mib()
    seconds = time.perf_counter() - start
    return {
        "rss": rss,
        "seconds": seconds,
        "frames_per_s": steps * batch / seconds,
        "frame": tuple(frame.shape),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=256, help="windows per timed call")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls (best kept)")
    parser.add_argument("--rollout", type=int, default=10_000, help="ConvGRU rollout steps")
    parser.add_argument("--rollout-batch", type=int, default=1, help="samples in the rollout")
    parser.add_argument("--json", default=None, help="also write the ratios to this JSON file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "grf.nc"
        write_netcdf(make_grf(time=512, height=32, width=32, seed=0), data)
        ckpts = {
            key: train_one_step(data, tmp / key, overlay)
            for key, overlay in (("conv3d", None), ("convgru", "convgru"))
        }
        rows = []
        for key, ckpt in ckpts.items():
            module = load_module(load_checkpoint(ckpt))
            in_memory = best_rate(
                lambda m=module: generate_array(m, args.samples), args.samples, args.repeats
            )
            to_file = best_rate(
                lambda c=ckpt: stgan.load(c).write(tmp / "gen.nc", args.samples),
                args.samples,
                args.repeats,
            )
            rows.append((key, in_memory, to_file))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # thousands of small steps: hand-offs between threads cost more
        roll = rollout(ckpts["convgru"], args.rollout, args.rollout_batch)
        torch.set_num_threads(threads)

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; windows (8, 32, 32), "
        f"{args.samples} per call, best of {args.repeats}\n"
    )
    print("| generator | generate_array (windows/s) | stgan generate → NetCDF (windows/s) |")
    print("|---|---:|---:|")
    for key, in_memory, to_file in rows:
        print(f"| {key} | {in_memory:.1f} | {to_file:.1f} |")
    rss = roll["rss"]
    steps = sorted(rss)
    print(
        f"\nConvGRU stream(), 1 thread: {args.rollout:,} steps × {args.rollout_batch} samples, frames "
        f"{roll['frame']}, {roll['seconds']:.1f} s, {roll['frames_per_s']:.0f} frames/s"
    )
    print("RSS MiB at step " + ", ".join(f"{s:,}: {rss[s]:.1f}" for s in steps))
    print(
        f"growth from step 1,000 to {steps[-1]:,}: {rss[steps[-1]] - rss[min(1000, steps[-1])]:+.1f} MiB; "
        f"from step 1: {rss[steps[-1]] - rss[1]:+.1f} MiB"
    )

    if args.json:
        Path(args.json).write_text(json.dumps({"rows": json_rows(rows, roll)}))


def json_rows(rows: list[tuple[str, float, float]], roll: dict) -> list[dict]:
    """The figures as the rows ``benchmarks/all.py`` gathers: measured ÷ reference."""
    out = [
        {
            "what": f"{key}: stgan generate → NetCDF ÷ generate_array",
            "measured": to_file,
            "reference": in_memory,
            "unit": "windows/s",
            "ratio": to_file / in_memory,
        }
        for key, in_memory, to_file in rows
    ]
    rss = roll["rss"]
    last, settled = max(rss), min(1000, max(rss))  # flat memory: a ratio of 1
    out.append(
        {
            "what": f"ConvGRU stream() RSS at step {last:,} ÷ at step {settled:,}",
            "measured": rss[last],
            "reference": rss[settled],
            "unit": "MiB",
            "ratio": rss[last] / rss[settled],
        }
    )
    return out


if __name__ == "__main__":
    main()
