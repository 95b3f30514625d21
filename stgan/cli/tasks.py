"""``stgan downscale | nowcast | fill-gaps``: a conditioned model's task on an input file.

Each is :meth:`stgan.Model.downscale` (``nowcast``, ``fill_gaps``) written with
:func:`stgan.io.netcdf.write_dataset` (atomically), and, with ``--truth``, the task's metric
table (:func:`stgan.tasks.tables.score`) printed.
"""

from __future__ import annotations

import argparse
from typing import Any

_EXAMPLES = {
    "downscale": """examples:
  stgan downscale --checkpoint down.ckpt --input coarse.nc --output fine.nc
  stgan downscale --checkpoint down.ckpt --input coarse.nc --output fine.nc -n 8 --truth fine_truth.nc""",
    "nowcast": """examples:
  stgan nowcast --checkpoint now.ckpt --input past.nc --length 24 --output forecast.nc
  stgan nowcast --checkpoint now.ckpt --input past.nc --length 24 --output ens.nc -n 16 --truth after.nc""",
    "fill-gaps": """examples:
  stgan fill-gaps --checkpoint gaps.ckpt --input gappy.nc --output filled.nc
  stgan fill-gaps --checkpoint gaps.ckpt --input gappy.nc --output filled.nc -n 8 --truth full.nc""",
}

_SUMMARIES = {
    "downscale": "fine-grid samples of a coarse field (a model trained with --config downscaling)",
    "nowcast": "continue a record's last frames, any length (a model trained with --config nowcasting)",
    "fill-gaps": "fill the NaN cells of a record (a model trained with --config gap-filling)",
}


def add_task_commands(sub: argparse._SubParsersAction, formatter: type) -> None:
    """Add the three task commands to the ``stgan`` subparsers ``sub``."""
    for name, summary in _SUMMARIES.items():
        p = sub.add_parser(name, formatter_class=formatter, help=summary, epilog=_EXAMPLES[name])
        p.description = summary
        p.add_argument("--checkpoint", required=True, help="the .ckpt of the trained model")
        p.add_argument(
            "--input",
            required=True,
            help="NetCDF with the training variables on the training grid"
            + (" (or on it coarsened by the model's factor)" if name == "downscale" else "")
            + (" (NaN cells are the gap)" if name == "fill-gaps" else ""),
        )
        if name == "nowcast":
            p.add_argument(
                "--length", type=int, required=True, help="steps to make after the input (any)"
            )
        p.add_argument("--output", required=True, help="NetCDF (or .zarr) to write")
        p.add_argument("-n", "--num-samples", type=int, default=1, help="ensemble members")
        p.add_argument("--seed", type=int, default=0, help="seed of the latent draw")
        p.add_argument("--batch-size", type=int, default=8, help="windows per forward pass")
        p.add_argument(
            "--truth",
            default=None,
            help="the true fields (nowcast: the steps after the input): print the metric table",
        )


def run_task(args: argparse.Namespace) -> dict[str, Any]:
    """Run a task command; returns the output path and the metric tables as text (or None)."""
    from stgan.api.model import load
    from stgan.errors import StganError
    from stgan.io.netcdf import write_dataset
    from stgan.tasks.tables import format_tables

    if args.num_samples < 1:
        raise StganError(f"--num-samples must be at least 1, got {args.num_samples}")
    model = load(args.checkpoint)
    common = {"n": args.num_samples, "seed": args.seed, "batch_size": args.batch_size}
    if args.command == "downscale":
        out = model.downscale(args.input, **common)
    elif args.command == "nowcast":
        out = model.nowcast(args.input, args.length, **common)
    else:
        out = model.fill_gaps(args.input, **common)
    tables = None
    if args.truth is not None:  # checked before anything is written
        tables = format_tables(model.score(args.command, out, args.input, args.truth))
    return {"output": write_dataset(out, args.output), "tables": tables}
