"""`stgan fit`: Lightning's own CLI (jsonargparse) around GANModule and the data module."""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.loggers import CSVLogger

from stgan.checkpoint import refuse_unsafe
from stgan.data.datamodule import SpaceTimeDataModule
from stgan.health import HealthMonitor
from stgan.old_keys import upgrade_hparams
from stgan.training.budget import CpuBudget
from stgan.training.callbacks import DomainMetrics
from stgan.training.checkpointing import ResumeCheckpoint, use_atomic_checkpoints
from stgan.training.loggers import logger_config, pop_logger_choice
from stgan.training.module import GANModule
from stgan.training.precision import fastest_precision
from stgan.training.rundir import RunRecord
from stgan.training.upgrade import show_notes, upgrade_argv

# The packaged presets, by name: demo.yaml is a whole run, every other file an overlay on it.
PRESETS = resources.files("stgan") / "configs"
BASE_PRESET = "demo"


def preset_names() -> list[str]:
    """The names of the packaged presets (``stgan/configs/NAME.yaml``), sorted."""
    return sorted(
        p.name.removesuffix(".yaml") for p in PRESETS.iterdir() if p.name.endswith(".yaml")
    )


def resolve_presets(args: list[str]) -> list[str]:
    """``--config NAME`` of a packaged preset (not a file here) replaced by the preset's file.

    When the first ``--config`` is an overlay preset (any but ``demo``), ``demo.yaml`` goes
    before it, as the presets are meant to be used: ``--config recommended`` means
    ``--config .../demo.yaml --config .../recommended.yaml``.
    """
    names = set(preset_names())
    out: list[str] = []
    first = True
    i = 0
    while i < len(args):
        flag, eq, value = args[i].partition("=")
        if flag not in ("--config", "-c") or (not eq and i + 1 == len(args)):
            out.append(args[i])
            i += 1
            continue
        value = value if eq else args[i + 1]
        i += 1 if eq else 2
        if value in names and not Path(value).exists():
            if first and value != BASE_PRESET:
                out += [flag, str(PRESETS / f"{BASE_PRESET}.yaml")]
            value = str(PRESETS / f"{value}.yaml")
        out += [flag, value]
        first = False
    return out


class StganCLI(LightningCLI):
    """LightningCLI with the data shape linked into the model, CSV (or TensorBoard) logs and
    step checkpoints.

    ``command`` is the command line recorded in ``run.json`` (default: this process's).
    """

    def __init__(self, *args, command: list[str] | None = None, **kwargs) -> None:
        self.command = command  # read by instantiate_trainer, which the base __init__ calls
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        """Link the data's shape into the model and add stgan's callback sections.

        ``data.num_channels``, ``data.window`` and ``data.periodic_x`` fill the model's
        ``channels``, ``window`` and ``periodic_x``; ``metrics``, ``checkpoint``, ``resume``,
        ``health`` and ``budget`` configure the callbacks, the best checkpoint kept by domain
        score.
        """
        # The number of variables and the window come from the data, so the model cannot
        # disagree with it; both are stored in the model's hyper-parameters and checkpoint.
        parser.link_arguments("data.num_channels", "model.channels", apply_on="instantiate")
        parser.link_arguments("data.window", "model.window", apply_on="instantiate")
        # A global longitude with whole-width windows: the networks wrap in x (pad periodically).
        parser.link_arguments("data.periodic_x", "model.periodic_x", apply_on="instantiate")
        # The conditions (data.conditions, data.static) both networks see.
        parser.link_arguments("data.condition_spec", "model.conditioning", apply_on="instantiate")
        parser.add_lightning_class_args(DomainMetrics, "metrics")
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        # last.ckpt every resume.every_n_train_steps steps, for --ckpt_path last.
        parser.add_lightning_class_args(ResumeCheckpoint, "resume")
        # Alarms that name a failing run (collapse, vanishing gradients, ...); health.json.
        parser.add_lightning_class_args(HealthMonitor, "health")
        # --budget.cpu_minutes: stop after this much CPU time, whatever the machine's load.
        parser.add_lightning_class_args(CpuBudget, "budget")
        # The best model is judged whenever the domain metrics are computed.
        parser.link_arguments("metrics.every_n_steps", "checkpoint.every_n_train_steps")
        parser.set_defaults(
            {
                # Keep the best model by domain score (GAN losses do not track quality), checked
                # whenever the domain metrics are computed, plus last.ckpt to resume from.
                "checkpoint.monitor": "val_domain_score",
                "checkpoint.mode": "min",
                "checkpoint.save_top_k": 1,
                "checkpoint.filename": "best-{step}-{val_domain_score:.3f}",
                "checkpoint.auto_insert_metric_name": False,
                # last.ckpt is the `resume` section's (every N steps and at the end), not this.
                "checkpoint.save_last": False,
                # None: the fastest precision that is correct on the run's accelerator (bf16
                # where native), chosen in before_instantiate_classes once the accelerator is known.
                "trainer.precision": None,
            }
        )

    def parse_arguments(self, parser: LightningArgumentParser, args) -> None:
        """Parse ``args``, turning the short ``--trainer.logger csv|tensorboard`` into a full logger."""
        # `--trainer.logger csv|tensorboard` is stgan's short form; the parsed config gets the
        # logger written out in full, so the run's config.yaml repeats it.
        choice = None
        if isinstance(args, (list, tuple)):  # run_fit's argv (a dict or Namespace is left alone)
            args, choice = pop_logger_choice(list(args))
        super().parse_arguments(parser, args)
        if choice is not None:
            trainer = self.config[self.config["subcommand"]]["trainer"]
            trainer["logger"] = logger_config(choice, trainer.get("default_root_dir") or ".")

    def _parse_ckpt_path(self) -> None:
        # As LightningCLI's own: --ckpt_path's hyper-parameters (weights_only=True) override the
        # model config, an earlier checkpoint's flat keys rewritten to the option groups first.
        subcommand = self.config.get("subcommand")
        ckpt_path = (self.config.get(subcommand or "", None) or {}).get("ckpt_path")
        if not (ckpt_path and Path(ckpt_path).is_file()):
            return
        with refuse_unsafe(ckpt_path):
            ckpt = torch.load(ckpt_path, weights_only=True, map_location="cpu")
        hparams = upgrade_hparams(ckpt.get("hyper_parameters") or {})
        hparams.pop("_instantiator", None)
        if hparams:
            self.config = self.parser.parse_object({subcommand: {"model": hparams}}, self.config)

    def before_instantiate_classes(self) -> None:
        """An unset ``trainer.precision`` becomes the fastest that is correct on the accelerator.

        Written into the config, so the run's ``config.yaml`` names the precision it trained in.
        """
        config = self.config.get(self.config.get("subcommand") or "", self.config)
        trainer = config["trainer"]
        if trainer.get("precision") is None:
            trainer["precision"] = fastest_precision(trainer.get("accelerator") or "auto")

    def instantiate_trainer(self, **kwargs):
        """The trainer with a CSV logger by default, atomic checkpoints and ``run.json``.

        ``strategy: ddp`` becomes ``ddp_find_unused_parameters_true`` (each phase trains one network).
        """
        # Logs go beside the checkpoints under trainer.default_root_dir, as CSV: no extra
        # dependency, readable anywhere.
        trainer_cfg = self._get(self.config_init, "trainer", default={})
        if trainer_cfg.get("logger") in (None, True):
            root = trainer_cfg.get("default_root_dir") or "."
            kwargs["logger"] = CSVLogger(save_dir=root, name="logs")
        if trainer_cfg.get("strategy") == "ddp":
            # Each phase backpropagates through one network only (D's step leaves G unused),
            # which plain DDP refuses; it must look for unused parameters on every backward.
            kwargs["strategy"] = "ddp_find_unused_parameters_true"
        trainer = super().instantiate_trainer(**kwargs)
        use_atomic_checkpoints(trainer)  # a kill mid-save leaves the old checkpoint, not half
        trainer.callbacks.append(RunRecord(self.command))  # run.json beside config.yaml
        return trainer


def checkpoints(trainer: pl.Trainer) -> tuple[str, str]:
    """The checkpoint to sample from (the best by domain score, else the last) and ``last.ckpt``.

    Either is ``""`` when there is none (a run that took no step).
    """
    last = next((c.last_model_path for c in trainer.checkpoint_callbacks if c.last_model_path), "")
    best = getattr(trainer.checkpoint_callback, "best_model_path", "")
    return best or last, last


def run_fit(
    args: list[str],
    *,
    command: list[str] | None = None,
    exit_on_error: bool = True,
    cli_class: type[StganCLI] = StganCLI,
) -> StganCLI:
    """Parse ``args`` as ``stgan fit`` arguments and train.

    Parameters
    ----------
    args : list of str
        ``stgan fit``'s arguments; ``--config NAME`` may name a packaged preset
        (:func:`resolve_presets`).
    command : list of str, optional
        The command line recorded in ``run.json`` (default: this process's).
    exit_on_error : bool
        True: a bad argument prints the usage and the parser's message and exits (status 2),
        as the command does; False: it raises :class:`jsonargparse.ArgumentError` with that
        message (:func:`stgan.fit`).
    cli_class : type
        :class:`StganCLI` or a subclass (:class:`stgan.training.best_of.ResolvedFit` parses
        without training).
    """
    # `stgan fit ...` hands its own argv over as `args`, which is what LightningCLI warns about.
    warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
    # Under manual optimisation ModelCheckpoint warns that it saves the state after the
    # optimiser step: that is the state the domain metrics judged, so it is the one to keep.
    warnings.filterwarnings("ignore", message="Using ModelCheckpoint with manual optimization")
    # Lightning's pytree shim warns about a torch deprecation that is not ours to fix.
    warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")
    # Earlier configs and flags name the model's options flat (model.d_steps, ...): rewritten
    # to the option groups before jsonargparse reads them, with a note naming the new form.
    args, notes = upgrade_argv(resolve_presets(list(args)))
    show_notes(notes)
    return cli_class(
        GANModule,
        SpaceTimeDataModule,
        args=["fit", *args],
        seed_everything_default=0,
        save_config_kwargs={"overwrite": True},
        command=command,
        parser_kwargs={
            "prog": "stgan",
            "exit_on_error": exit_on_error,
            # A short usage line: the full one lists hundreds of options on every error.
            "fit": {
                "usage": "stgan fit [--config FILE.yaml|PRESET] [--SECTION.OPTION VALUE ...] "
                "[--best-of N]  (stgan fit --help lists every option and its default)",
                "exit_on_error": exit_on_error,
            },
        },
        auto_configure_optimizers=False,
    )
