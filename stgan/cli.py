"""The `stgan` command: fit | generate | evaluate | make-data | survey | demo.

``fit`` is Lightning's own CLI (YAML configs, dotted overrides, ``--print_config``); the
others are small argparse commands. A user error prints one line, ``stgan: error: ...``, and
exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from stgan.errors import StganError

USAGE = """usage: stgan COMMAND [options]

commands:
  fit        train a GAN from a YAML config (stgan fit --help)
  generate   write samples from a checkpoint to NetCDF
  evaluate   compare generated with real data: metrics.json + report.md
  make-data  write a synthetic dataset with known statistics
  survey     show what stgan sees in a NetCDF dataset, and warn about problems
  inspect    the same as survey (its earlier name)
  report     draw a training run's loss, health and metric curves (PNG + report.md)
  demo       make-data -> fit -> generate -> evaluate on synthetic data

Run 'stgan COMMAND --help' for a command's options and defaults.
"""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Every default in the help, and examples printed as written."""


_EXAMPLES = {
    "generate": """examples:
  stgan generate --checkpoint run/logs/version_0/checkpoints/last.ckpt --num-samples 64 --output gen.nc
  stgan generate --checkpoint best.ckpt --num-samples 8 --length 120 --output long.nc""",
    "evaluate": """examples:
  stgan evaluate --real heldout.nc --generated gen.nc --output-dir evaluation
  stgan evaluate --real obs.nc --generated gen.nc --output-dir ev \
      --metrics spectrum acf --dims '{time: T}'
  stgan evaluate --real train.nc --test-split-of best.ckpt --generated gen.nc --output-dir ev""",
    "make-data": """examples:
  stgan make-data grf --output grf.nc --time 512 --height 32 --width 32
  stgan make-data waves --output waves.nc --modes 8""",
    "survey": """examples:
  stgan survey data.nc
  stgan survey 'archive/*.nc' --variables tas --select level=500 --window 8 32 32
  stgan survey station.nc --dims '{time: timestep, y: row, x: col}'""",
    "report": """examples:
  stgan report run                       # run = the fit's --trainer.default_root_dir
  stgan report run/logs/version_1 --output-dir curves""",
    "demo": """examples:
  stgan demo
  stgan demo --output-dir /tmp/demo --max-steps 200""",
}

_EXAMPLES["inspect"] = _EXAMPLES["survey"].replace("stgan survey", "stgan inspect")


def _parser() -> argparse.ArgumentParser:
    fmt = _HelpFormatter
    parser = argparse.ArgumentParser(prog="stgan", usage=USAGE, add_help=False)
    # prog: each command's usage line starts "stgan COMMAND", not the top-level usage text.
    sub = parser.add_subparsers(dest="command", prog="stgan")

    gen = sub.add_parser(
        "generate",
        formatter_class=fmt,
        help="samples from a checkpoint",
        epilog=_EXAMPLES["generate"],
    )
    gen.add_argument("--checkpoint", required=True, help="a .ckpt written by stgan fit")
    gen.add_argument("--num-samples", type=int, default=16, help="windows to generate")
    gen.add_argument(
        "--output", required=True, help="NetCDF file (.nc) or Zarr store (.zarr) to write"
    )
    gen.add_argument("--seed", type=int, default=0, help="seed of the latent noise")
    gen.add_argument("--batch-size", type=int, default=32, help="windows per forward pass")
    gen.add_argument(
        "--length",
        type=int,
        default=None,
        help="time steps per sample (default: the training window's)",
    )
    gen.add_argument(
        "--start-time",
        default=None,
        help="date of the first step (YYYY-MM-DD[THH:MM]), read in the training data's calendar "
        "(2030-02-30 is a 360_day date); monthly data start with the month holding it. "
        "Default: one step after the training record's last time stamp (models saved "
        "before stgan kept the time axis: offsets from the window start)",
    )
    gen.add_argument(
        "--full-grid",
        action="store_true",
        help="a model trained on patches: samples of the whole grid, from overlapping "
        "patches blended together",
    )
    gen.add_argument(
        "--overlap",
        type=int,
        default=None,
        help="with --full-grid: cells neighbouring patches share (default: a quarter of the patch)",
    )

    ev = sub.add_parser(
        "evaluate",
        formatter_class=fmt,
        help="metrics of generated vs real data",
        epilog=_EXAMPLES["evaluate"],
    )
    ev.add_argument(
        "--real",
        required=True,
        help="NetCDF of real data (time, y, x) to compare with: reference data, or with "
        "--test-split-of the model's training data",
    )
    ev.add_argument(
        "--generated", required=True, help="NetCDF file or Zarr store written by stgan generate"
    )
    ev.add_argument("--output-dir", required=True, help="folder for metrics.json, report.md, plots")
    ev.add_argument("--variables", nargs="+", default=None, help="variables (default: all shared)")
    ev.add_argument(
        "--dims",
        default=None,
        metavar="MAPPING",
        help="which dimension of the real data is which, e.g. '{time: T, y: LAT, x: LON}'",
    )
    ev.add_argument("--max-lag", type=int, default=10, help="largest ACF lag (capped at T-1)")
    ev.add_argument(
        "--metrics",
        nargs="+",
        default=None,
        metavar="KEY",
        help="metric registry keys (default: all): spectrum acf tpsd distribution "
        "gridpoint increments diversity prdc memorisation waves",
    )
    ev.add_argument(
        "--test-split-of",
        default=None,
        metavar="CHECKPOINT",
        help="compare only with the test split of --real, which must be the training data of "
        "this checkpoint; the report then calls the real data held-out (default: the whole "
        "--real file, called reference data)",
    )
    ev.add_argument(
        "--train",
        default=None,
        help="the training data, for the memorisation test (nearest training neighbours)",
    )
    ev.add_argument(
        "--wavenumbers",
        choices=["index", "physical"],
        default="index",
        help="RAPSD rings on non-square grids: pysteps' index rings or true frequencies",
    )

    make = sub.add_parser(
        "make-data",
        formatter_class=fmt,
        help="synthetic datasets with known statistics",
        epilog=_EXAMPLES["make-data"],
    )
    kinds = make.add_subparsers(dest="dataset", required=True)
    grf = kinds.add_parser(
        "grf", formatter_class=fmt, help="Gaussian random field, k^-slope spectrum, AR(1) in time"
    )
    grf.add_argument("--output", required=True, help="NetCDF file to write")
    grf.add_argument("--time", type=int, default=512, help="time steps")
    grf.add_argument("--height", type=int, default=32, help="grid rows (y)")
    grf.add_argument("--width", type=int, default=32, help="grid columns (x)")
    grf.add_argument("--slope", type=float, default=3.0, help="spectral slope: power ~ k^-slope")
    grf.add_argument("--phi", type=float, default=0.8, help="AR(1) coefficient: ACF = phi^k")
    grf.add_argument("--seed", type=int, default=0, help="random seed")
    grf.add_argument(
        "--mask",
        choices=["none", "island"],
        default="none",
        help="island: a static land mask (NaN at every step)",
    )
    grf.add_argument(
        "--missing-steps", type=int, default=0, help="whole steps set to NaN (outages)"
    )
    waves = kinds.add_parser(
        "waves",
        formatter_class=fmt,
        help="K travelling-wave modes, one per episode (for mode-collapse studies)",
    )
    waves.add_argument("--output", required=True, help="NetCDF file to write")
    waves.add_argument("--time", type=int, default=1024, help="time steps")
    waves.add_argument("--height", type=int, default=32, help="grid rows (y)")
    waves.add_argument("--width", type=int, default=32, help="grid columns (x)")
    waves.add_argument("--modes", type=int, default=8, help="number of modes K (directions)")
    waves.add_argument("--episode", type=int, default=32, help="steps each drawn mode lasts")
    waves.add_argument("--wavelength", type=float, default=8.0, help="wavelength in cells")
    waves.add_argument("--period", type=float, default=8.0, help="period in steps")
    waves.add_argument("--noise", type=float, default=0.1, help="std of added white noise")
    waves.add_argument("--seed", type=int, default=0, help="random seed")

    for name, summary in (
        ("survey", "what stgan sees in a dataset"),
        ("inspect", "the same as survey (its earlier name)"),
    ):
        ins = sub.add_parser(name, formatter_class=fmt, help=summary, epilog=_EXAMPLES[name])
        ins.add_argument("path", nargs="+", help="NetCDF file(s) or glob pattern(s)")
        ins.add_argument("--variables", nargs="+", help="variables (default: all on the time grid)")
        ins.add_argument(
            "--select",
            nargs="+",
            default=[],
            metavar="DIM=VALUE",
            help="one value of each extra dimension, e.g. level=500",
        )
        ins.add_argument(
            "--dims",
            default=None,
            metavar="MAPPING",
            help="which dimension is which, e.g. '{time: timestep, y: FNOCY, x: FNOCX}' "
            "(default: found from CF attributes and names)",
        )
        ins.add_argument(
            "--window",
            nargs=3,
            type=int,
            default=None,
            metavar=("T", "H", "W"),
            help="window size (default: 8 steps, whole grid)",
        )
        ins.add_argument("--batch-size", type=int, default=16, help="batch size to check against")

    rep = sub.add_parser(
        "report",
        formatter_class=fmt,
        help="curves of a training run",
        epilog=_EXAMPLES["report"],
    )
    rep.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        help="a stgan fit's --trainer.default_root_dir (or its logs/version_N)",
    )
    rep.add_argument(
        "--output-dir",
        default=None,
        help="where figures and report.md go (None: RUN_DIR/report)",
    )

    demo = sub.add_parser(
        "demo",
        formatter_class=fmt,
        help="the whole path on synthetic data",
        epilog=_EXAMPLES["demo"],
    )
    demo.add_argument("--output-dir", default="stgan_demo", help="where every output goes")
    demo.add_argument(
        "--max-steps", type=int, default=None, help="optimiser steps (default: the demo config's)"
    )
    demo.add_argument("--num-samples", type=int, default=64, help="windows to generate")
    return parser


def _make_data(args: argparse.Namespace) -> Path:
    from stgan.data.synthetic import make_grf
    from stgan.data.waves import make_waves
    from stgan.io.netcdf import write_dataset

    options = {k: v for k, v in vars(args).items() if k not in ("command", "dataset", "output")}
    make = {"grf": make_grf, "waves": make_waves}[args.dataset]
    return write_dataset(make(**options), args.output)


def _parse_select(items: list[str]) -> dict[str, float | str]:
    select = {}
    for item in items:
        dim, sep, value = item.partition("=")
        if not sep:
            raise StganError(f"--select takes DIM=VALUE, got {item!r}")
        try:
            select[dim] = float(value)
        except ValueError:
            select[dim] = value
    return select


def _parse_dims(text: str | None) -> dict[str, str] | None:
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


def _survey(args: argparse.Namespace) -> str:
    from stgan.survey import survey

    return survey(
        args.path,
        variables=args.variables,
        select=_parse_select(args.select),
        dims=_parse_dims(args.dims),
        window=args.window,
        batch_size=args.batch_size,
    )


def _demo(args: argparse.Namespace) -> None:
    out = Path(args.output_dir)
    config = resources.files("stgan") / "configs" / "demo.yaml"
    train, heldout = out / "train.nc", out / "heldout.nc"
    print(
        f"[1/5] training data (grf, seed 0)  -> {_run(['make-data', 'grf', '--output', str(train)])}"
    )
    # An independent realisation with the same statistics: real data the model never saw.
    print(
        f"[2/5] held-out data (grf, seed 1)  -> "
        f"{_run(['make-data', 'grf', '--output', str(heldout), '--seed', '1', '--time', '256'])}"
    )
    fit_args = [
        "--config",
        str(config),
        "--data.path",
        str(train),
        "--trainer.default_root_dir",
        str(out / "run"),
    ]
    if args.max_steps is not None:
        fit_args += ["--trainer.max_steps", str(args.max_steps)]
    print(f"[3/5] training: stgan fit {' '.join(fit_args)}")
    cli = _run(["fit", *fit_args])
    callback = cli.trainer.checkpoint_callback
    last = [c.last_model_path for c in cli.trainer.checkpoint_callbacks if c.last_model_path]
    ckpt = callback.best_model_path or (last[0] if last else "")
    score = (
        ""
        if callback.best_model_score is None
        else f" (best domain score {float(callback.best_model_score):.3f})"
    )
    print(f"      checkpoint -> {ckpt}{score}")
    generated = out / "generated.nc"
    _run(
        [
            "generate",
            "--checkpoint",
            ckpt,
            "--num-samples",
            str(args.num_samples),
            "--output",
            str(generated),
        ]
    )
    print(f"[4/5] {args.num_samples} generated windows -> {generated}")
    report = _run(
        [
            "evaluate",
            "--real",
            str(heldout),
            "--generated",
            str(generated),
            "--train",
            str(train),
            "--output-dir",
            str(out / "evaluation"),
        ]
    )
    print(
        f"[5/5] evaluation -> {report['metrics_path']}, {report['report_path']} and {report['html_path']}"
    )
    for name, m in report["metrics"]["variables"].items():
        print(
            f"      {name}: log-spectral distance {m['rapsd_lsd_db']:.2f} dB, "
            f"ACF RMSE {m['acf_rmse']:.3f}, W1 {m['w1']:.3f} {m['units']}, "
            f"diversity ratio {m['diversity_ratio']:.2f}"
        )


def _run(argv: list[str]):
    """Run one command in this process; return what it produced."""
    if argv[0] == "fit":
        from stgan.training.cli import run_fit

        return run_fit(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "generate":
        from stgan.sampling import generate

        generate(
            args.checkpoint,
            args.output,
            num_samples=args.num_samples,
            seed=args.seed,
            batch_size=args.batch_size,
            start_time=args.start_time,
            length=args.length,
            full_grid=args.full_grid,
            overlap=args.overlap,
        )
        return Path(args.output)
    if args.command == "evaluate":
        from stgan.report.evaluate import evaluate

        return evaluate(
            args.real,
            args.generated,
            args.output_dir,
            variables=args.variables,
            max_lag=args.max_lag,
            metrics=args.metrics,
            train_path=args.train,
            wavenumbers=args.wavenumbers,
            dims=_parse_dims(args.dims),
            test_split_of=args.test_split_of,
        )
    if args.command == "make-data":
        return _make_data(args)
    if args.command in ("survey", "inspect"):
        return _survey(args)
    if args.command == "report":
        from stgan.report.curves import report_run

        return report_run(args.run_dir, args.output_dir)
    if args.command == "demo":
        return _demo(args)
    print(USAGE, end="")
    raise SystemExit(0 if argv and argv[0] in ("-h", "--help") else 2)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 2
    try:
        result = _run(argv)
    except StganError as err:
        print(f"stgan: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stgan: interrupted", file=sys.stderr)
        return 130
    if argv[0] in ("generate", "make-data"):
        print(f"wrote {result}")
    elif argv[0] in ("survey", "inspect"):
        print(result)
    elif argv[0] == "report":
        print(f"wrote {result['report_path']} and {len(result['figures'])} figure(s)")
    elif argv[0] == "evaluate":
        print(f"wrote {result['metrics_path']}, {result['report_path']} and {result['html_path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
