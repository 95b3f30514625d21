"""Atomic file output: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces ``path`` in one rename.

    A crash or kill mid-write leaves the old file (or none) and at most a hidden
    ``.<name>.<pid>.<random>.tmp`` file, never a truncated ``path``. Such leftovers of dead
    processes are removed by the next write of the same ``path``.

    With ``directory=True`` the temporary is an empty folder (for a Zarr store). An old folder
    at ``path`` is first renamed aside, then deleted once the new one is in place: a crash
    between those two renames, a moment long, leaves no folder at ``path`` and never a partial one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    prefix = f".{path.name}.{os.getpid()}."
    if directory:
        tmp = tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    else:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
        os.close(fd)
    old = None
    try:
        yield Path(tmp)
        # mkstemp/mkdtemp make the result private (0600/0700); give it the mode a plain
        # open()/mkdir() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, (0o777 if directory else 0o666) & ~umask)
        if directory and path.is_dir():
            # rename() cannot replace a non-empty folder: move the old one out of the way first,
            # under a temporary's name, so a crash right here leaves it to the stale clean-up.
            old = tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=path.parent)
            os.replace(path, old)
            try:
                os.replace(tmp, path)
            except OSError:
                os.replace(old, path)  # put the old store back rather than delete it
                old = None
                raise
        else:
            os.replace(tmp, path)
    finally:
        for leftover in (tmp, old):
            if leftover is not None:
                _remove(Path(leftover))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the temporaries (files or folders) of writes of ``path`` whose process has died; return them."""
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            _remove(tmp)
            removed.append(tmp)
    return removed


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: the old file or the whole new one, never half.

    Returns
    -------
    Path
        ``path``.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
