"""What each `stgan` command runs: a thin wrapper over a public function.

Each command imports its modules when it runs, so a command pays only for what it needs:
``generate``, ``evaluate``, ``make-data``, ``survey``, ``report`` and ``plot`` never import Lightning
(``fit`` does, and ``survey`` through its data module).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stgan.cli.parser import USAGE, build_parser
from stgan.cli.tasks import run_task
from stgan.errors import StganError


def parse_select(items: list[str]) -> dict[str, float | str]:
    """``--select level=500 member=a`` → ``{"level": 500.0, "member": "a"}``."""
    select: dict[str, float | str] = {}
    for item in items:
        dim, sep, value = item.partition("=")
        if not sep:
            raise StganError(f"--select takes DIM=VALUE, got {item!r}")
        try:
            select[dim] = float(value)
        except ValueError:
            select[dim] = value
    return select


def parse_dims(text: str | None) -> dict[str, str] | None:
    """``--dims '{time: T, y: LAT}'`` (YAML or JSON) → a dict."""
    if text is None:
        return None
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict):
        raise StganError(f"--dims takes a mapping like '{{time: T, y: LAT, x: LON}}', got {text!r}")
    return {str(k): str(v) for k, v in value.items()}


def _generate(args: argparse.Namespace) -> Path:
    from stgan.api.model import check_request, load

    check_request(args.num_samples, args.full_grid, args.overlap)  # before the checkpoint is read
    return load(args.checkpoint).write(
        args.output,
        args.num_samples,
        length=args.length,
        seed=args.seed,
        start_time=args.start_time,
        full_grid=args.full_grid,
        overlap=args.overlap,
        batch_size=args.batch_size,
        month=args.month,
        year=args.year,
    )


def _evaluate(args: argparse.Namespace) -> dict[str, Any]:
    from stgan.api.evaluation import evaluate

    evaluation = evaluate(
        args.real,
        args.generated,
        variables=args.variables,
        max_lag=args.max_lag,
        metrics=args.metrics,
        train=args.train,
        wavenumbers=args.wavenumbers,
        dims=parse_dims(args.dims),
        test_split_of=args.test_split_of,
        max_real_windows=args.max_real_windows,
    )
    return {"metrics": evaluation.to_dict(), **evaluation.save(args.output_dir)}


def _make_data(args: argparse.Namespace) -> Path:
    from stgan.data.synthetic import make_grf
    from stgan.data.waves import make_waves
    from stgan.io.netcdf import write_dataset

    options = {k: v for k, v in vars(args).items() if k not in ("command", "dataset", "output")}
    make = {"grf": make_grf, "waves": make_waves}[args.dataset]
    return write_dataset(make(**options), args.output)


def _survey(args: argparse.Namespace) -> str:
    from stgan.api.survey import survey

    return str(
        survey(
            args.path,
            variables=args.variables,
            select=parse_select(args.select),
            dims=parse_dims(args.dims),
            window=args.window,
            batch_size=args.batch_size,
        )
    )


def _report(args: argparse.Namespace) -> dict[str, Any]:
    from stgan.report.curves import report_run

    return report_run(args.run_dir, args.output_dir)


def _plot(args: argparse.Namespace) -> Path:
    from stgan.plots import animate, hovmoller, maps, save_figure
    from stgan.plots.save import check_figure_path

    common = {"variable": args.variable, "dims": parse_dims(args.dims)}
    window = {"sample": args.sample, "start": args.start}
    if args.kind == "animation":
        return animate(args.real, args.generated, args.output, fps=args.fps, **window, **common)
    check_figure_path(args.output)  # before the work, not after it
    if args.kind == "hovmoller":
        band = None if args.lat_band is None else tuple(args.lat_band)
        fig = hovmoller(args.real, args.generated, row=args.row, lat_band=band, **window, **common)
    else:
        fig = maps(args.real, args.generated, stat=args.stat, **common)
    return save_figure(fig, args.output)


def _demo(args: argparse.Namespace) -> None:
    from stgan.cli.demo import demo

    demo(args)


COMMANDS = {
    "generate": _generate,
    "evaluate": _evaluate,
    "make-data": _make_data,
    "survey": _survey,
    "inspect": _survey,  # survey's earlier name
    "report": _report,
    "plot": _plot,
    "demo": _demo,
    "downscale": run_task,
    "nowcast": run_task,
    "fill-gaps": run_task,
}


def run(argv: list[str]) -> Any:
    """Run one command in this process; return what it produced."""
    if argv[0] == "fit":
        from stgan.training.best_of import pop_best_of, run_best_of
        from stgan.training.cli import run_fit

        args, seeds = pop_best_of(argv[1:])
        return run_fit(args) if seeds is None else run_best_of(args, seeds)
    args = build_parser().parse_args(argv)
    if args.command in COMMANDS:
        return COMMANDS[args.command](args)
    print(USAGE, end="")
    raise SystemExit(0 if argv and argv[0] in ("-h", "--help") else 2)
