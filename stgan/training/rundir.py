"""The run record: ``run.json`` beside the resolved ``config.yaml`` of every ``stgan fit``.

LightningCLI saves the resolved configuration as ``config.yaml`` in the trainer's log folder
(``<default_root_dir>/logs/version_N``). :class:`RunRecord` adds ``run.json`` there: the
seed, the command line, the package versions and a fingerprint of every data file, so a run
can be repeated, or a difference between two runs traced to its cause.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from stgan.io.atomic import write_text

PACKAGES = ("torch", "pytorch-lightning", "numpy", "xarray", "netCDF4", "jsonargparse", "stgan")

# Files up to this size are hashed whole; larger ones (a 100 GB archive) by their size, mtime
# and first and last MiB, which catches replaced, appended or truncated files in milliseconds.
FULL_HASH_BYTES = 1024**3
_MIB = 1024**2


def package_versions() -> dict[str, str | None]:
    """Python's and each of :data:`PACKAGES`' installed version (None when missing)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def fingerprint(path: str | os.PathLike, *, full_limit: int = FULL_HASH_BYTES) -> dict[str, Any]:
    """SHA-256 of a file's bytes, streamed; above ``full_limit`` bytes, of a sample of them.

    Returns ``{path, bytes, sha256, method}`` where ``method`` is ``"sha256"`` (every byte)
    or ``"sha256(size,mtime_ns,first MiB,last MiB)"`` for large files.
    """
    path = Path(path)
    stat = path.stat()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        if stat.st_size <= full_limit:
            method = "sha256"
            for block in iter(lambda: f.read(_MIB), b""):
                digest.update(block)
        else:
            method = "sha256(size,mtime_ns,first MiB,last MiB)"
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
            digest.update(f.read(_MIB))
            f.seek(-_MIB, os.SEEK_END)
            digest.update(f.read(_MIB))
    return {
        "path": str(path.resolve()),
        "bytes": stat.st_size,
        "sha256": digest.hexdigest(),
        "method": method,
    }


class RunRecord(Callback):
    """Write ``run.json`` into the trainer's log folder when fitting starts (rank zero only).

    Written at ``on_fit_start``, after a resumed run has restored its checkpoint, so
    ``resumed_from`` names it. ``command`` is the command line to record (default: this
    process's, which in a notebook is the kernel's, not a ``stgan fit``).
    """

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Write ``run.json`` into the log folder (rank zero).

        It holds the time, command, seed, package versions, data fingerprints, world size and
        the checkpoint resumed from.
        """
        log_dir = trainer.log_dir  # a collective call under DDP: every rank asks
        if not trainer.is_global_zero or log_dir is None:
            return
        dm = getattr(trainer, "datamodule", None)
        paths = list(getattr(getattr(dm, "source", None), "paths", []))
        seed = os.environ.get("PL_GLOBAL_SEED")  # what seed_everything set
        record = {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": self.command or ["stgan", *sys.argv[1:]],
            "seed": None if seed is None else int(seed),
            "config": "config.yaml",
            "versions": package_versions(),
            "data": [fingerprint(p) for p in paths],
            "world_size": trainer.world_size,
            "resumed_from": str(trainer.ckpt_path) if trainer.ckpt_path else None,
        }
        write_text(Path(log_dir) / "run.json", json.dumps(record, indent=2) + "\n")
