"""Training throughput of `stgan fit` vs a plain-PyTorch loop, and model FLOP utilisation.

Everything runs at the demo size of ``configs/demo.yaml``: a (512, 32, 32) grf file (the
demo's training data), windows (8, 32, 32), batch 16, one D and one G update per batch,
non-saturating loss, Adam(2e-4, (0.5, 0.999)).

(a) Throughput. ``stgan fit --config configs/demo.yaml`` (Lightning, in this process) against
    :class:`PlainGAN`, a plain loop written here with the same generator, discriminator, loss,
    optimisers, batch size, data module and masking. The two are interleaved batch by batch:
    a callback steps the plain loop between Lightning's batches and times each side on its
    own, so both share whatever load the machine has. Lightning's time runs from the end of
    one batch to the end of the next (its data loading, training step, callbacks, health
    monitor: all that ``stgan fit`` does), less the plain step in between. Neither computes
    domain metrics or logs (``--metrics.every_n_steps 0 --trainer.logger false``, no
    progress bar); Lightning's only checkpoint is written after the last timed step.
    Samples/s = real windows consumed per second over ``--steps`` iterations after
    ``--warmup``. One more run uses ``--trainer.precision bf16-mixed`` (``--bf16``: by
    default only where the CPU has native bf16).
(b) Model FLOP utilisation (MFU). Model FLOPs of one iteration (D forward+backward on a real
    and a fake batch, G forward for the fake, G forward+backward through D) counted by
    ``torch.utils.flop_counter.FlopCounterMode`` × iterations/s ÷ the fp32 matmul peak of this
    machine (best 2048² fp32 ``a @ b``, timed in every round of the run). For every G×D pair
    at the demo size (plain loop), ``stgan fit`` (the plain rate × its ratio from (a), as
    the load differs between (a) and (b)), and the default pair under
    variants that might raise it: channels-last-3d memory format, bf16 autocast, both (where
    bf16 runs), the fused Adam kernel, 1 thread. The plain variants are stepped in turn on every batch
    (round robin), so their ratios hold under a varying load.

Run: ``python benchmarks/bench_training.py`` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
import yaml
from bench_training_rows import json_rows
from pytorch_lightning.callbacks import Callback
from torch.utils.flop_counter import FlopCounterMode

from stgan.data.datamodule import SpaceTimeDataModule
from stgan.data.synthetic import make_grf
from stgan.io.netcdf import write_netcdf
from stgan.nn.discriminators import DISCRIMINATORS
from stgan.nn.generators import GENERATORS
from stgan.stabilization.losses import LOSSES
from stgan.training.memory_format import to_channels_last
from stgan.training.precision import native_bf16_cpu

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"
_MODEL = yaml.safe_load(CONFIG.read_text())["model"]
# The demo's model settings under the flat keys read below (the config nests them by part).
DEMO = {
    "generator_options": _MODEL["generator"]["options"],
    "discriminator_options": _MODEL["discriminator"]["options"],
    "loss": _MODEL["loss"]["name"],
    **_MODEL["optimizer"],
}
DEMO_DATA = {"time": 512, "height": 32, "width": 32, "seed": 0}  # `stgan demo`'s training file

# (label, generator key, its options, discriminator key, its options); the conv3d models take
# the demo options, the others their defaults (sized to cost about as much).
PAIRS = [
    (
        "conv3d × conv3d (default)",
        "conv3d",
        DEMO["generator_options"],
        "conv3d",
        DEMO["discriminator_options"],
    ),
    ("conv3d × convgru", "conv3d", DEMO["generator_options"], "convgru", {}),
    ("conv3d × spatiotemporal", "conv3d", DEMO["generator_options"], "spatiotemporal", {}),
    ("convgru × conv3d", "convgru", {}, "conv3d", DEMO["discriminator_options"]),
    ("convgru × convgru", "convgru", {}, "convgru", {}),
    ("convgru × spatiotemporal", "convgru", {}, "spatiotemporal", {}),
]


def demo_file(folder: Path) -> Path:
    path = folder / "grf_demo.nc"
    if not path.exists():
        write_netcdf(make_grf(**DEMO_DATA), path)
    return path


def demo_batches(path: Path, n: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n`` training batches from the data module ``stgan fit`` uses, with the demo settings."""
    torch.manual_seed(0)
    dm = SpaceTimeDataModule(str(path), window_length=8, batch_size=16, samples_per_epoch=16 * n)
    dm.setup("fit")
    # (real, valid) of each (real, valid, corner, time) batch: the plain loop is unconditional.
    return [(real, valid) for real, valid, *_ in dm.train_dataloader()]


class PlainGAN:
    """One D update then one G update per batch, as GANModule does with the demo settings.

    ``channels_last`` stores weights and activations as NDHWC; ``bf16`` runs forward passes
    under CPU autocast to bfloat16; ``fused`` uses Adam's fused kernel.
    """

    def __init__(
        self,
        g_key: str,
        g_opts: dict,
        d_key: str,
        d_opts: dict,
        *,
        channels_last: bool = False,
        bf16: bool = False,
        fused: bool = False,
    ) -> None:
        torch.manual_seed(0)
        self.g = GENERATORS.build(g_key, channels=1, **g_opts).train()
        self.d = DISCRIMINATORS.build(d_key, channels=1, **d_opts).train()
        self.memory_format = torch.channels_last_3d if channels_last else torch.contiguous_format
        if channels_last:  # as stgan fit does it (3D convolution weights only)
            to_channels_last(self.g, self.d)
        self.loss = LOSSES.get(DEMO["loss"])
        adam = {"fused": True} if fused else {}
        self.opt_g = torch.optim.Adam(
            self.g.parameters(), lr=DEMO["lr_g"], betas=DEMO["betas_g"], **adam
        )
        self.opt_d = torch.optim.Adam(
            self.d.parameters(), lr=DEMO["lr_d"], betas=DEMO["betas_d"], **adam
        )
        self.bf16 = bf16
        self.window = (8, 32, 32)

    def _autocast(self):
        if self.bf16:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _fake(self, n: int) -> torch.Tensor:
        z = torch.randn((n, *self.g.latent_shape(self.window)))
        return self.g(z, self.window)

    def step(self, real: torch.Tensor, valid: torch.Tensor) -> None:
        real = real.contiguous(memory_format=self.memory_format)
        # Discriminator: G's output without a graph, both batches masked like real data.
        with self._autocast():
            with torch.no_grad():
                fake = self._fake(real.shape[0])
            loss_d = self.loss.discriminator(
                self.d(real * valid, mask=valid), self.d(fake * valid, mask=valid)
            )
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.float().backward()
        self.opt_d.step()
        # Generator: D's weights frozen (as Lightning's toggle_optimizer does).
        self.d.requires_grad_(False)
        with self._autocast():
            loss_g = self.loss.generator(self.d(self._fake(real.shape[0]) * valid, mask=valid))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.float().backward()
        self.opt_g.step()
        self.d.requires_grad_(True)


def model_flops(gan: PlainGAN, batch) -> int:
    with FlopCounterMode(display=False) as counter:
        gan.step(*batch)
    return counter.get_total_flops()


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def round_robin(
    variants: dict[str, tuple[PlainGAN, int]], batches, warmup: int
) -> dict[str, float]:
    """Iterations/s of each ``name: (gan, threads)``, stepped in turn on every batch.

    Interleaving step by step gives every variant the same share of whatever else runs on
    the machine, so their ratios hold even when other processes compete for the cores. A
    2048² fp32 matmul is timed in each round as well (key ``"peak"``: its best FLOP/s).
    """
    spent = dict.fromkeys(variants, 0.0)
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    best_matmul = float("inf")
    default_threads = torch.get_num_threads()
    for i, (real, valid) in enumerate(batches):
        for name, (gan, threads) in variants.items():
            torch.set_num_threads(threads)
            seconds = _timed(lambda g=gan, x=real, v=valid: g.step(x, v))
            torch.set_num_threads(default_threads)
            if i >= warmup:
                spent[name] += seconds
        best_matmul = min(best_matmul, _timed(lambda: a @ b))
    rates = {name: (len(batches) - warmup) / t for name, t in spent.items()}
    rates["peak"] = 2 * 2048**3 / best_matmul
    return rates


class BatchClock(Callback):
    """Times Lightning's batches and, between them, steps a plain loop on its own batches.

    Lightning's time of a batch runs from the end of the previous batch to the end of this
    one (data loading, the training step, callbacks, logging: everything ``stgan fit`` does),
    less the plain step run in between, which is timed on its own. Both loops thus share the
    machine's load step by step.
    """

    def __init__(self) -> None:
        self.partner: tuple[PlainGAN, list] | None = None
        self.lightning: list[float] = []
        self.plain: list[float] = []
        self._mark: float | None = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self._mark is None:
            self._mark = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        now = time.perf_counter()
        self.lightning.append(now - self._mark)
        if self.partner is not None:
            gan, batches = self.partner
            batch = batches[len(self.plain) % len(batches)]
            with torch.autocast("cpu", enabled=False):  # outside any precision plugin's context
                self.plain.append(_timed(lambda: gan.step(*batch)))
        self._mark = time.perf_counter()


def lightning_vs_plain(
    path: Path, batches, warmup: int, root: Path, *extra: str
) -> tuple[float, float]:
    """Iterations/s of ``stgan fit`` (demo config, then ``extra``) and of the plain loop
    (default pair, fp32) stepped between its batches, over the batches after ``warmup``."""
    from stgan.training import cli as training_cli

    clock = BatchClock()
    clock.partner = (PlainGAN(*PAIRS[0][1:]), batches)

    class ClockedCLI(training_cli.StganCLI):
        def instantiate_trainer(self, **kwargs):
            kwargs["callbacks"] = [*kwargs.get("callbacks", []), clock]
            return super().instantiate_trainer(**kwargs)

    n = len(batches)
    args = [
        "fit",
        "--config",
        str(CONFIG),
        "--data.path",
        str(path),
        "--trainer.max_steps",
        str(n),
        "--data.samples_per_epoch",
        str(16 * (n + 1)),
        "--metrics.every_n_steps",
        "0",
        "--trainer.logger",
        "false",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.enable_model_summary",
        "false",
        "--trainer.default_root_dir",
        str(root),
        *extra,
    ]
    # run_fit's own warning filters and CLI options, with the clock added to the callbacks.
    original = training_cli.StganCLI
    training_cli.StganCLI = ClockedCLI
    try:
        training_cli.run_fit(args[1:])
    finally:
        training_cli.StganCLI = original
    steps = n - warmup
    return steps / sum(clock.lightning[warmup:]), steps / sum(clock.plain[warmup:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="timed iterations (default 10)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="untimed iterations first (default 3)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="stgan fit runs in (a)")
    parser.add_argument(
        "--dir", default=None, help="folder for the data file (default: a temporary one)"
    )
    parser.add_argument("--skip-pairs", action="store_true", help="only the default pair in (b)")
    parser.add_argument("--json", default=None, help="also write the ratios to this JSON file")
    parser.add_argument(
        "--bf16",
        choices=["auto", "on", "off"],
        default="auto",
        help="the bf16 rows: auto (default) runs them where the CPU has native bf16; emulated "
        "bf16 runs at about 1/50 of fp32, so on a CPU without it they would take half an hour",
    )
    args = parser.parse_args()
    with_bf16 = args.bf16 == "on" or (args.bf16 == "auto" and native_bf16_cpu())

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = demo_file(folder)
        batches = demo_batches(path, args.steps + args.warmup)
        threads = torch.get_num_threads()
        print(
            f"torch {torch.__version__}, {threads} CPU threads; demo size: window (8, 32, 32), "
            f"batch 16; {args.steps} timed iterations after {args.warmup}\n"
        )

        # (a) stgan fit vs the plain loop, interleaved batch by batch.
        runs = [
            lightning_vs_plain(path, batches, args.warmup, folder / f"fit{r}")
            for r in range(args.repeats)
        ]
        bf16 = (
            lightning_vs_plain(
                path, batches, args.warmup, folder / "fit_bf16", "--trainer.precision", "bf16-mixed"
            )
            if with_bf16
            else None
        )
        if not with_bf16:
            print("bf16 rows skipped: this CPU has no native bf16 (--bf16 on measures them anyway)")
        print(
            "(a) training throughput, default preset, samples/s = 16 × iterations/s "
            "(stgan fit and the plain loop interleaved batch by batch)"
        )
        print("| run | stgan fit | plain loop | stgan fit ÷ plain |")
        print("|---|---:|---:|---:|")
        for r, (lt, pl) in enumerate(runs, start=1):
            print(f"| {r} | {16 * lt:.1f} | {16 * pl:.1f} | {lt / pl:.3f} |")
        if bf16:
            print(
                f"| bf16-mixed fit vs fp32 loop | {16 * bf16[0]:.1f} | {16 * bf16[1]:.1f} | "
                f"{bf16[0] / bf16[1]:.3f} |"
            )
        print()

        # (b) MFU: every variant stepped in turn on every batch.
        default = tuple(PAIRS[0][1:])
        variants: dict[str, tuple[PlainGAN, int]] = {}
        for label, *gan_args in PAIRS[: 1 if args.skip_pairs else None]:
            variants[f"{label} | fp32"] = (PlainGAN(*gan_args), threads)
        label = PAIRS[0][0]
        for variant, options, n_threads in (
            ("channels-last-3d", {"channels_last": True}, threads),
            ("bf16 autocast", {"bf16": True}, threads),
            ("channels-last-3d + bf16", {"channels_last": True, "bf16": True}, threads),
            ("fused Adam", {"fused": True}, threads),
            ("fp32, 1 thread", {}, 1),
        ):
            if options.get("bf16") and not with_bf16:
                continue
            variants[f"{label} | {variant}"] = (PlainGAN(*default, **options), n_threads)
        flops = {
            name: model_flops(
                PlainGAN(*next(p[1:] for p in PAIRS if p[0] == name.split(" | ")[0])), batches[0]
            )
            for name in variants
        }
        rates = round_robin(variants, batches, args.warmup)
        peak = rates.pop("peak")
        # stgan fit ran at another time than the round robin, under another load: its rate
        # here is the plain fp32 loop's rate in the round robin times its ratio from (a).
        plain_fp32 = rates[f"{label} | fp32"]
        ratio = statistics.median(lt / pl for lt, pl in runs)
        rows = [
            (
                f"{label} | stgan fit, fp32 (plain × {ratio:.3f} from (a))",
                flops[f"{label} | fp32"],
                plain_fp32 * ratio,
            )
        ]
        if bf16:
            rows.append(
                (
                    f"{label} | stgan fit, bf16-mixed (plain × {bf16[0] / bf16[1]:.3f} from (a))",
                    flops[f"{label} | fp32"],
                    plain_fp32 * bf16[0] / bf16[1],
                )
            )
        rows += [(name, flops[name], rate) for name, rate in rates.items()]
        print(
            f"(b) model FLOP utilisation; fp32 matmul peak {peak / 1e9:.1f} GFLOP/s (best 2048² "
            f"a @ b on {threads} threads, timed between the variants' steps)"
        )
        print("| G × D | variant | GFLOP / iteration | iterations/s | GFLOP/s | MFU |")
        print("|---|---|---:|---:|---:|---:|")
        for name, f, rate in rows:
            print(
                f"| {name} | {f / 1e9:.2f} | {rate:.2f} | {f * rate / 1e9:.1f} | "
                f"{100 * f * rate / peak:.1f}% |"
            )
        if args.json:
            Path(args.json).write_text(
                json.dumps({"rows": json_rows(runs, bf16, rows, peak, label)})
            )


if __name__ == "__main__":
    main()
