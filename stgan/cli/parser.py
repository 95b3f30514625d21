"""The argparse side of the `stgan` command: every subcommand's options, help and examples.

``fit`` is not here: it is Lightning's own CLI (:mod:`stgan.training.cli`), with its own help.
"""

from __future__ import annotations

import argparse

from stgan.cli.tasks import add_task_commands

USAGE = """usage: stgan COMMAND [options]

commands:
  fit        train a GAN from a YAML config (stgan fit --help; --best-of N: N seeds, keep the best)
  generate   write samples from a checkpoint to NetCDF
  evaluate   compare generated with real data: metrics.json + report.md
  make-data  write a synthetic dataset with known statistics
  survey     show what stgan sees in a NetCDF dataset, and warn about problems
  inspect    the same as survey (its earlier name)
  report     draw a training run's loss, health and metric curves (PNG + report.md)
  plot       pictures of real vs generated data: animation, hovmoller, maps
  demo       make-data -> fit -> generate -> evaluate on synthetic data
  downscale  fine-grid samples of a coarse field (a downscaling model)
  nowcast    continue a record's last frames, any length (a nowcasting model)
  fill-gaps  fill the NaN cells of a record (a gap-filling model)

Run 'stgan COMMAND --help' for a command's options and defaults.
"""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
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
    "plot": """examples:
  stgan plot animation --real heldout.nc --generated gen.nc --output anim.gif
  stgan plot hovmoller --real era5.nc --generated gen.nc --lat-band -10 10 --output hov.png
  stgan plot maps --real heldout.nc --generated gen.nc --variable tas --output maps.png""",
    "demo": """examples:
  stgan demo
  stgan demo --output-dir /tmp/demo --seed 3""",
}

_EXAMPLES["inspect"] = _EXAMPLES["survey"].replace("stgan survey", "stgan inspect")


def _command(sub: argparse._SubParsersAction, name: str, summary: str) -> argparse.ArgumentParser:
    """The subcommand ``name``: every default in its help, its examples below."""
    return sub.add_parser(name, formatter_class=HelpFormatter, help=summary, epilog=_EXAMPLES[name])


def _add_generate(sub: argparse._SubParsersAction) -> None:
    """``stgan generate``: samples from a checkpoint."""
    gen = _command(sub, "generate", "samples from a checkpoint")
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
        help="with --full-grid: cells neighbouring patches share (default: half the patch side)",
    )
    gen.add_argument(
        "--month",
        type=int,
        default=None,
        help="a model conditioned on calendar or climatology: condition every step on this "
        "calendar month (1-12), e.g. 7 for a July",
    )
    gen.add_argument(
        "--year",
        type=float,
        default=None,
        help="a model conditioned on year: condition every step on this year, e.g. 2080 "
        "(default: each step's own date)",
    )


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    """``stgan evaluate``: metrics of generated against real data."""
    ev = _command(sub, "evaluate", "metrics of generated vs real data")
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
    ev.add_argument(
        "--max-real-windows",
        type=int,
        default=None,
        metavar="N",
        help="compare at most N real windows per variable, evenly spaced in time (default: as "
        "many as hold 2**24 values, which bounds memory for files larger than RAM)",
    )


def _add_make_data(sub: argparse._SubParsersAction) -> None:
    """``stgan make-data grf | waves``: synthetic datasets with known statistics."""
    make = _command(sub, "make-data", "synthetic datasets with known statistics")
    kinds = make.add_subparsers(dest="dataset", required=True)
    grf = kinds.add_parser(
        "grf",
        formatter_class=HelpFormatter,
        help="Gaussian random field, k^-slope spectrum, AR(1) in time",
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
        formatter_class=HelpFormatter,
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


def _add_survey(sub: argparse._SubParsersAction) -> None:
    """``stgan survey`` and its earlier name ``stgan inspect``."""
    for name, summary in (
        ("survey", "what stgan sees in a dataset"),
        ("inspect", "the same as survey (its earlier name)"),
    ):
        ins = _command(sub, name, summary)
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


def _add_report(sub: argparse._SubParsersAction) -> None:
    """``stgan report RUN_DIR``: curves of a training run."""
    rep = _command(sub, "report", "curves of a training run")
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


def _add_plot(sub: argparse._SubParsersAction) -> None:
    """``stgan plot {animation,hovmoller,maps}``: pictures of real vs generated data."""
    plot = _command(sub, "plot", "pictures of real vs generated data")
    plot.add_argument(
        "kind",
        choices=["animation", "hovmoller", "maps"],
        help="animation: windows side by side (.gif, or .mp4 with ffmpeg); hovmoller: time x "
        "along a row or latitude band (.png/.pdf/.svg); maps: mean and std maps (.png/.pdf/.svg)",
    )
    plot.add_argument("--real", required=True, help="NetCDF file or Zarr store of real data")
    plot.add_argument(
        "--generated", required=True, help="NetCDF file or Zarr store written by stgan generate"
    )
    plot.add_argument("--output", required=True, help="the picture to write (format by extension)")
    plot.add_argument("--variable", default=None, help="the field to draw (default: the only one)")
    plot.add_argument("--sample", type=int, default=0, help="which generated sample to draw")
    plot.add_argument(
        "--start", type=int, default=0, help="first step of the real window in the real record"
    )
    plot.add_argument("--fps", type=float, default=4, help="animation frames per second")
    where = plot.add_mutually_exclusive_group()
    where.add_argument(
        "--row", type=int, default=None, help="hovmoller: grid row (y index; default the middle)"
    )
    where.add_argument(
        "--lat-band",
        nargs=2,
        type=float,
        default=None,
        metavar=("LO", "HI"),
        help="hovmoller: mean over these latitudes (degrees north), cos(lat) weighted",
    )
    plot.add_argument(
        "--stat",
        nargs="+",
        choices=["mean", "std"],
        default=["mean", "std"],
        help="maps: one row per statistic",
    )
    plot.add_argument(
        "--dims",
        default=None,
        metavar="MAPPING",
        help="which dimension is which, e.g. '{time: T, y: LAT, x: LON}'",
    )


def _add_demo(sub: argparse._SubParsersAction) -> None:
    """``stgan demo``: the whole path on synthetic data."""
    demo = _command(sub, "demo", "the whole path on synthetic data")
    demo.add_argument("--output-dir", default="stgan_demo", help="where every output goes")
    demo.add_argument(
        "--max-steps", type=int, default=None, help="iterations (default: 900, ~2.5 min on 2 cores)"
    )
    demo.add_argument("--seed", type=int, default=0, help="training seed (the data stay the same)")
    demo.add_argument("--num-samples", type=int, default=64, help="windows to generate")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command but ``fit``."""
    parser = argparse.ArgumentParser(prog="stgan", usage=USAGE, add_help=False)
    # prog: each command's usage line starts "stgan COMMAND", not the top-level usage text.
    sub = parser.add_subparsers(dest="command", prog="stgan")
    for add in (
        _add_generate,
        _add_evaluate,
        _add_make_data,
        _add_survey,
        _add_report,
        _add_plot,
        _add_demo,
    ):
        add(sub)
    add_task_commands(sub, HelpFormatter)
    return parser
