"""Writing results so that nothing already written is lost or left half-written.

A run's output folder is assembled in a hidden sibling (``.<name>.stage-<pid>-<hex>``)
and renamed into place at the end, so a run that fails or is killed leaves either the
previous folder or none, never a partial one; a later run cleans up after a killed one
(:func:`recover_staging`). Output folders respect the umask.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

MANIFEST_FILE = "manifest.json"
REPORTED_PACKAGES = (
    "prefmarket",
    "numpy",
    "scipy",
    "pandas",
    "mesa",
    "torch",
    "transformers",
    "matplotlib",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape results."""
    found = {}
    for name in REPORTED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_revision() -> str | None:
    """The checkout's commit (with ``-dirty`` for local changes), or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def manifest(**content) -> dict:
    """``content`` plus package versions, git revision, Python, platform and time."""
    return {
        **content,
        "packages": package_versions(),
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


STAGE_TAG = "stage"
RETIRED_TAG = "old"
_HIDDEN = re.compile(r"^\.(?P<name>.+)\.(?P<tag>stage|old)-(?P<pid>\d+)-[0-9a-f]+$")


class OutputDirError(ValueError):
    """An output folder cannot be written, or is taken; the message names ``out``."""


def check_output_dir(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse a folder that cannot receive results, before any work is done.

    Refused: a file; a folder that exists and is not empty (unless ``overwrite``); a path
    under a file; a parent folder that cannot be created or written. The parent is
    created and probed with a hidden folder that is removed at once, so a run that
    could not write its results fails before computing them.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputDirError(f"out: {path} is a file; give a folder path")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise OutputDirError(
            f"out: {path} already holds results; pick a new folder or set `overwrite`"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _make_hidden(path, STAGE_TAG).rmdir()
    except OSError as exc:
        raise OutputDirError(
            f"out: cannot write {path} ({exc.strerror or exc}); pick a folder you can write"
        ) from None
    return path


@contextlib.contextmanager
def staged_dir(path: str | os.PathLike, overwrite: bool = True) -> Iterator[Path]:
    """Yield a hidden folder beside ``path``; on success it becomes ``path``.

    - On an exception the hidden folder is removed and ``path`` is left as it was.
    - ``overwrite=False``: if a non-empty ``path`` appeared while the work ran (another
      run into the same new folder), nothing is replaced: the results are moved to a
      visible sibling ``<path>.conflict-<pid>`` and :class:`OutputDirError` says so.
    - ``overwrite=True``: an existing ``path`` is swapped out in one atomic
      ``renameat2(RENAME_EXCHANGE)`` where Linux offers it, else by two renames. Either
      way the old folder is parked as ``.<name>.old-<pid>-<hex>`` until the new one is in
      place, and a later call recovers from a kill at any moment
      (:func:`recover_staging`).

    Folders are created with ``os.mkdir``, so they respect the umask.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover_staging(path)
    staging = _make_hidden(path, STAGE_TAG)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if path.exists() and overwrite:
        _swap_into_place(staging, path)
        return
    try:
        os.rename(staging, path)  # replaces an empty folder; fails on a non-empty one
    except OSError:
        kept = path.with_name(f"{path.name}.conflict-{os.getpid()}")
        os.rename(staging, kept)
        raise OutputDirError(
            f"out: {path} was filled by another run while this one computed; "
            f"this run's results are in {kept}"
        ) from None


def recover_staging(path: str | os.PathLike) -> None:
    """Clean up after writers of ``path`` that were killed (their process is gone).

    A dead writer's staging folder is removed. Its parked old folder is moved back to
    ``path`` when ``path`` is missing (killed between the two renames), else removed
    (the new folder was already in place).
    """
    path = Path(path)
    if not path.parent.is_dir():
        return
    for entry in path.parent.iterdir():
        match = _HIDDEN.match(entry.name)
        if not match or match["name"] != path.name or _alive(int(match["pid"])):
            continue
        if match["tag"] == RETIRED_TAG and not path.exists():
            os.rename(entry, path)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _make_hidden(path: Path, tag: str) -> Path:
    hidden = path.with_name(f".{path.name}.{tag}-{os.getpid()}-{secrets.token_hex(4)}")
    os.mkdir(hidden)
    return hidden


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_into_place(staging: Path, path: Path) -> None:
    """Put ``staging`` at ``path`` and discard what ``path`` held."""
    retired = staging.with_name(staging.name.replace(f".{STAGE_TAG}-", f".{RETIRED_TAG}-", 1))
    if _exchange(staging, path):
        os.rename(staging, retired)  # staging now holds the old folder
    else:
        os.rename(path, retired)
        os.rename(staging, path)
    shutil.rmtree(retired, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2``; False where it is unavailable."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return result == 0


@functools.cache
def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def write_tables(tables: dict[str, pd.DataFrame], directory: Path) -> None:
    """Each table as ``<name>.parquet`` in ``directory``."""
    for name, frame in tables.items():
        frame.to_parquet(directory / f"{name}.parquet", index=False)


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
