"""Writing results so that nothing already written is lost or left half-written.

A run's output folder is assembled under a temporary sibling name and renamed into
place at the end (``os.replace`` is atomic on one file system), so a run that fails or
is killed leaves either the previous folder or none, never a partial one.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
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


def check_output_dir(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse a folder that exists and is not empty unless ``overwrite``; refuse a file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out: {path} is a file; give a folder path")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise ValueError(
            f"--out: {path} already holds results; pick a new folder or pass --overwrite"
        )
    return path


@contextlib.contextmanager
def staged_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` whole.

    On an exception the temporary folder is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if path.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
        os.replace(path, retired / path.name)
        os.replace(staging, path)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, path)


def write_tables(tables: dict[str, pd.DataFrame], directory: Path) -> None:
    """Each table as ``<name>.parquet`` in ``directory``."""
    for name, frame in tables.items():
        frame.to_parquet(directory / f"{name}.parquet", index=False)


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
