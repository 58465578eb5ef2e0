"""The corpus a market config names (``[corpus]``): the built-in corpus, or a user's preference
file identified by the sha256 of its bytes, so that a run's key changes when the data does.

A file's corpus is loaded once per process and content (path, seed and digest), as config
validation needs it (to check that the judges suit the data) and so does every market run on
it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from pathlib import Path

from sim.corpus import Corpus, DataFileError, builtin_corpus, load_preferences

RACY_SECONDS = 2.0
"""A file modified this recently is hashed again on every call: a write within the file
system's timestamp granularity could leave its size and mtime unchanged (git's "racily
clean" entries)."""

_digests: dict[tuple, str] = {}


def file_sha256(path: str | Path) -> str | None:
    """The sha256 (hex) of a file's bytes; None when ``path`` is not a readable file.

    Cached per path, inode, size and modification time, except for files modified in the
    last :data:`RACY_SECONDS`.
    """
    try:
        stat = os.stat(path)
        key = (os.fspath(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key in _digests:
            return _digests[key]
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
    if time.time_ns() - stat.st_mtime_ns > RACY_SECONDS * 1e9:
        _digests[key] = digest
    return digest


def load_corpus(path: str | None, seed: int, sha256: str | None = None) -> Corpus:
    """The built-in corpus (``path`` None) or the preference file at ``path``.

    Parameters
    ----------
    path : str or None
        A preference file (``sim.corpus.load_preferences``), or None for
        ``sim.corpus.builtin_corpus``.
    seed : int
        The corpus seed (pair order and train/test split).
    sha256 : str, optional
        The digest the file must have (the config's ``corpus.sha256``).

    Raises
    ------
    DataFileError
        The file is missing or malformed (field ``path``, ``record``, ...), or its content
        is not the one ``sha256`` names (field ``sha256``).
    """
    if path is None:
        return builtin_corpus(seed)
    digest = file_sha256(path)
    if digest is None:
        return load_preferences(path, seed=seed)
    if sha256 is not None and digest != sha256:
        raise DataFileError(
            path,
            "sha256",
            f"the file's content has changed (its sha256 is now {digest}); plan the run again "
            "or restore the file",
        )
    return _load_file(os.fspath(path), seed, digest)


@functools.lru_cache(maxsize=4)
def _load_file(path: str, seed: int, digest: str) -> Corpus:
    """The file's corpus; ``digest`` only keys the cache, so new content loads anew."""
    return load_preferences(path, seed=seed)
