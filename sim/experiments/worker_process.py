"""What every local worker process of a sweep does: run single-threaded, end with its
parent, and skip the interpreter's slow teardown."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator

SINGLE_THREAD_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
"""Environment of local worker processes: one thread each for the BLAS and OpenMP pools and
the tokenizer, so that ``workers`` processes use ``workers`` cores rather than competing
for them."""
PARENT_POLL_S = 0.5
"""How often a local worker checks that the sweep process that started it is alive."""


def exit_with_parent(parent: int) -> None:
    """End this worker process as soon as ``parent`` (the sweep process) is gone.

    A process whose parent dies is re-parented, so ``os.getppid()`` changes; a daemon
    thread polls it every ``PARENT_POLL_S`` and then exits the process at once (its run
    could not be stored anyway). Unlike Linux's ``PR_SET_PDEATHSIG`` this works on any
    POSIX system and whichever thread of the parent started the worker.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def exit_at_once() -> None:
    """Make this worker process end as soon as its exit handlers have run.

    A worker holds nothing to save when it ends (its results went back to the sweep
    process), but tearing down torch and transformers module by module took 2 to 4 s per
    worker at the end of every sweep, and Dask's nanny kills a worker still finalising
    after 4 s, with a warning. Exit handlers registered later (by what a run imports) run
    first; standard streams are flushed.
    """

    def exit_now() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    atexit.register(exit_now)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (inherited by processes started meanwhile); on exit put
    the environment back as it was, undoing what libraries changed meanwhile too."""
    before = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        for name in set(os.environ) - set(before):
            del os.environ[name]
        os.environ.update(before)
