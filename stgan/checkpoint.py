"""Reading a checkpoint safely: ``torch.load(weights_only=True)`` and clear messages.

Both training (``--ckpt_path``) and sampling (``stgan generate``) read checkpoints through
here, so neither imports the other. A checkpoint holds tensors and plain data only: a file
that carries anything else (code to run while unpickling) is refused with a
:class:`~stgan.errors.CheckpointError`, and nothing in it runs.
"""

from __future__ import annotations

import os
import pickle
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from stgan.errors import CheckpointError


def unpickling_detail(err: Exception) -> str:
    """The object a weights-only load refused, e.g. ``unsupported global builtins.open``."""
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
    if found:
        return f"unsupported global {found.group(1)}"
    return re.sub(r"\x1b\[[0-9;]*m", "", str(err).splitlines()[0])


@contextmanager
def refuse_unsafe(path: Any) -> Iterator[None]:
    """Turn a weights-only load's refusal, or an unreadable file, into a :class:`CheckpointError`."""
    try:
        yield
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"refusing to load {str(path)!r}: it holds objects other than tensors and plain "
            f"data ({unpickling_detail(err)}); only load checkpoints written by stgan"
        ) from None
    except (
        RuntimeError,
        EOFError,
        OSError,
        ValueError,
        struct.error,
    ) as err:  # truncated, not torch
        raise CheckpointError(
            f"cannot read checkpoint {str(path)!r} ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else ''}); is it complete?"
        ) from None


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """An stgan checkpoint, loaded on the CPU with ``weights_only=True``.

    Parameters
    ----------
    path : path
        A ``.ckpt`` written by ``stgan fit``.

    Returns
    -------
    dict
        Lightning's checkpoint: ``state_dict``, ``hyper_parameters`` (as saved: an earlier
        checkpoint's flat keys are not yet upgraded, see :func:`stgan.old_keys.upgrade_hparams`)
        and ``stgan`` (format, data description, step counters).

    Raises
    ------
    CheckpointError
        The file is missing, unreadable, carries objects other than tensors and plain data,
        or was not written by stgan.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist; check the path")
    with refuse_unsafe(path):
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if (
        not isinstance(ckpt, dict)
        or "state_dict" not in ckpt
        or not ckpt.get("stgan", {}).get("data")
    ):
        raise CheckpointError(
            f"{str(path)!r} is not an stgan checkpoint (no model or data description)"
        )
    return ckpt
