"""Where ``stgan fit`` logs: ``--trainer.logger csv`` (the default) or ``tensorboard``.

Both write under ``<trainer.default_root_dir>/logs/version_N/``, beside the run's
``config.yaml``, ``run.json`` and ``checkpoints/``: ``metrics.csv`` for csv, an
``events.out.tfevents.*`` file for tensorboard. Lightning's own forms of ``trainer.logger``
(``false``, a class path with ``init_args``) keep working as Lightning documents them.
"""

from __future__ import annotations

from jsonargparse import Namespace

from stgan.errors import StganError

LOGGERS = {
    "csv": "pytorch_lightning.loggers.CSVLogger",  # no extra dependency, readable anywhere
    "tensorboard": "pytorch_lightning.loggers.TensorBoardLogger",
}
_FLAG = "--trainer.logger"


def pop_logger_choice(args: list[str]) -> tuple[list[str], str | None]:
    """Take ``--trainer.logger csv|tensorboard`` (or ``=``-joined) out of ``args``.

    Returns the other arguments and the choice (None when not given). Any other value of the
    flag (``false``, a class name) is left for Lightning's parser.
    """
    rest, choice, i = [], None, 0
    while i < len(args):
        arg = args[i]
        if arg == _FLAG and i + 1 < len(args) and args[i + 1].lower() in LOGGERS:
            choice, i = args[i + 1].lower(), i + 2
            continue
        if arg.startswith(_FLAG + "=") and arg.split("=", 1)[1].lower() in LOGGERS:
            choice, i = arg.split("=", 1)[1].lower(), i + 1
            continue
        rest.append(arg)
        i += 1
    return rest, choice


def logger_config(choice: str, root: str) -> Namespace:
    """``trainer.logger`` as Lightning's parser writes a logger: class path and arguments.

    Parameters
    ----------
    choice : str
        ``csv`` or ``tensorboard``.
    root : str
        The run's ``trainer.default_root_dir``; logs go to ``root/logs/version_N``.
    """
    if choice == "tensorboard":
        try:
            import tensorboard  # noqa: F401  (Lightning's TensorBoardLogger writes through it)
        except ImportError:
            raise StganError(
                "--trainer.logger tensorboard needs the tensorboard package: "
                "pip install stgan[tensorboard] (or use --trainer.logger csv, the default)"
            ) from None
    init_args = Namespace(save_dir=root, name="logs")
    if choice == "tensorboard":
        init_args.default_hp_metric = False  # a constant -1 "hp_metric" scalar says nothing
    return Namespace(class_path=LOGGERS[choice], init_args=init_args)
