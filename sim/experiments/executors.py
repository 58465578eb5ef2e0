"""Running a sweep's markets serially, on local processes, or on a Dask cluster.

Every executor runs the same :func:`execute_run` on the same resolved configs (each with
its own seed, see :mod:`sim.experiments.sweep_config`), so a sweep's results do not depend on the
executor or the number of workers. Workers only compute and return a run's ``rounds``
table; the calling process alone writes the :class:`~sim.experiments.result_store.ResultStore`, so
Dask workers on other machines need no shared file system.

- ``serial``: one run after another in this process.
- ``processes``: ``concurrent.futures.ProcessPoolExecutor`` with ``workers`` processes
  started by ``spawn`` (a forked copy of a process that has used torch's thread pools can
  deadlock), each single-threaded (``SINGLE_THREAD_ENVIRONMENT``). A worker ends itself
  when the sweep process dies (:func:`_exit_with_parent`), so ``kill -9`` leaves none behind.

Local workers (processes, embedded Dask) skip the interpreter's teardown when they end
(:func:`_exit_at_once`).
- ``dask``: ``dask.distributed``; with no ``scheduler`` an embedded ``LocalCluster`` (see
  :func:`dask_client`), else ``Client(scheduler)`` on an existing cluster whose workers
  have prefmarket installed.

Order of a sweep: check the arguments and the size, build and validate every run, check
that ``--out`` can be a folder, start the executor (connect to the scheduler), and only
then lock the store and write the plan, so a sweep that cannot start writes nothing.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
from tqdm.auto import tqdm

from sim.config import MarketConfig
from sim.experiments.result_store import ResultStore
from sim.experiments.sweep_config import MAX_RUNS, RunSpec, SweepConfig

EXECUTORS = ("serial", "processes", "dask")
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
Executor = Literal["serial", "processes", "dask"]


@dataclass
class RunResult:
    """What a worker sends back: the ``rounds`` table, or the error it raised."""

    key: str
    rounds: pd.DataFrame | None = None
    error: str | None = None
    message: str | None = None
    traceback: str | None = None
    elapsed_s: float = 0.0


Execute = Callable[[list[RunSpec]], Iterator[RunResult]]
"""What an executor yields once started: run these specs, give results as they finish."""


@dataclass
class SweepCounts:
    """How a sweep invocation went: runs computed, found already stored, and failed.

    ``invalid`` maps the key of each stored run file found invalid (and so run again) to
    what was wrong with it.
    """

    done: int = 0
    skipped: int = 0
    failed: int = 0
    failed_keys: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)


def execute_run(key: str, config: MarketConfig) -> RunResult:
    """Run one market; an exception becomes a :class:`RunResult` carrying it."""
    from transformers.utils import logging as transformers_logging

    from sim.market import MarketModel

    transformers_logging.disable_progress_bar()
    start = time.perf_counter()
    try:
        rounds = MarketModel(config).run().results()["rounds"]
    except Exception as exc:
        return RunResult(
            key,
            error=type(exc).__name__,
            message=str(exc),
            traceback=traceback.format_exc(),
            elapsed_s=time.perf_counter() - start,
        )
    return RunResult(key, rounds=rounds, elapsed_s=time.perf_counter() - start)


def run_sweep(
    sweep: SweepConfig,
    store: ResultStore,
    executor: Executor = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = True,
    source: str | None = None,
    max_runs: int | None = MAX_RUNS,
) -> SweepCounts:
    """Run every run of ``sweep`` not yet in ``store`` and store each result as it arrives.

    Parameters
    ----------
    sweep : SweepConfig
    store : ResultStore
        Holds finished runs; those are skipped. Failed runs, and runs whose stored file
        is invalid, are run again.
    executor : {"serial", "processes", "dask"}
    workers : int
        Processes for ``processes`` and for the embedded Dask ``LocalCluster``.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tls://host:8786``); only with ``dask``.
    progress : bool
        Show a progress bar over runs.
    source : str, optional
        Where the sweep came from (a file path), recorded in the plan.
    max_runs : int, optional
        Refuse a sweep that plans more runs (None: no limit).

    Raises
    ------
    ValueError
        One line naming the argument or axis at fault, before anything is written.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"--executor: {executor!r} is not one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise ValueError(f"--workers: got {workers}; give at least 1")
    if scheduler is not None and executor != "dask":
        raise ValueError("--scheduler: only used with --executor dask; add it or drop --scheduler")
    if max_runs is not None and sweep.run_count > max_runs:
        raise ValueError(
            f"--max-runs: the sweep plans {sweep.run_count:,} runs ({sweep.n_points:,} axis "
            f"points x {sweep.seeds:,} seeds), above the limit of {max_runs:,}; shrink the "
            f"grid, sample.n or seeds, or pass --max-runs {sweep.run_count}"
        )
    specs = sweep.resolve()
    store.check_writable()
    finished, invalid = store.check_runs(spec.key for spec in specs)
    pending = [spec for spec in specs if spec.key not in finished]
    counts = SweepCounts(skipped=len(specs) - len(pending), invalid=invalid)
    by_key = {spec.key: spec for spec in pending}
    start = _START[executor if pending else "serial"]
    with start(workers, scheduler) as execute, store.writing():
        store.write_plan(_plan(sweep, specs, source))
        results = execute(pending)
        for result in tqdm(results, total=len(pending), desc="runs", disable=not progress):
            spec = by_key[result.key]
            if result.rounds is None:
                store.write_failure(spec.key, _failure_record(spec, result))
                counts.failed += 1
                counts.failed_keys.append(spec.key)
            else:
                store.write_run(
                    spec.key,
                    result.rounds,
                    spec.seed_index,
                    spec.config.seed,
                    spec.config.model_dump_json(),
                )
                counts.done += 1
    return counts


def _plan(sweep: SweepConfig, specs: list[RunSpec], source: str | None) -> dict:
    from sim.experiments.output import manifest

    return manifest(
        source=source,
        sweep=sweep.model_dump(mode="json"),
        axes=sweep.axes,
        runs=[
            {
                "key": spec.key,
                "axes": spec.axes,
                "seed_index": spec.seed_index,
                "seed": spec.config.seed,
                "mechanism": spec.config.mechanism.name,
            }
            for spec in specs
        ],
    )


def _failure_record(spec: RunSpec, result: RunResult) -> dict:
    return {
        "run_key": spec.key,
        "seed_index": spec.seed_index,
        "axes": spec.axes,
        "error": result.error,
        "message": result.message,
        "traceback": result.traceback,
        "config": spec.config.model_dump(mode="json"),
    }


def _crashed(key: str, exc: BaseException) -> RunResult:
    """A run whose worker died or could not return (no exception from the market itself)."""
    return RunResult(key, error=type(exc).__name__, message=str(exc) or "the worker died")


# ---------------------------------------------------------------------- executors
# Each starts its workers (or connects) on entry and yields ``execute(specs)``, an
# iterator of results in the order they finish.


@contextlib.contextmanager
def _serial(workers: int, scheduler: str | None) -> Iterator[Execute]:
    yield lambda specs: (execute_run(spec.key, spec.config) for spec in specs)


@contextlib.contextmanager
def _processes(workers: int, scheduler: str | None) -> Iterator[Execute]:
    context = multiprocessing.get_context("spawn")
    with _environment(SINGLE_THREAD_ENVIRONMENT):
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        try:
            yield lambda specs: _pool_results(pool, specs)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _pool_results(pool: ProcessPoolExecutor, specs: list[RunSpec]) -> Iterator[RunResult]:
    futures = {pool.submit(execute_run, spec.key, spec.config): spec.key for spec in specs}
    for future in as_completed(futures):
        try:
            yield future.result()
        except Exception as exc:
            yield _crashed(futures[future], exc)


def _start_worker(parent: int) -> None:
    """Pool initializer of the ``processes`` workers."""
    _exit_with_parent(parent)
    _exit_at_once()


def _exit_with_parent(parent: int) -> None:
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


def _exit_at_once() -> None:
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
def _environment(values: dict[str, str]) -> Iterator[None]:
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


@contextlib.contextmanager
def _dask(workers: int, scheduler: str | None) -> Iterator[Execute]:
    with dask_client(workers, scheduler) as client:
        yield lambda specs: _dask_results(client, specs)


def _dask_results(client, specs: list[RunSpec]) -> Iterator[RunResult]:
    from dask import distributed

    futures = client.map(
        execute_run,
        [spec.key for spec in specs],
        [spec.config for spec in specs],
        key=[f"run-{spec.key}" for spec in specs],
        pure=False,
    )
    keys = {future: spec.key for future, spec in zip(futures, specs, strict=True)}
    del futures
    for future in distributed.as_completed(keys):
        key = keys.pop(future)
        try:
            yield future.result()
        except Exception as exc:
            yield _crashed(key, exc)
        future.release()


EMBEDDED_DASK_CONFIG = {
    # Nothing is served over HTTP, even in the moment before the servers are stopped.
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
    # Every worker, and one the nanny restarts, runs ``dask_setup`` below.
    "distributed.worker.preload": ["sim.experiments.executors"],
    # Dask's statistical profiler samples the running task's stack 100 times a second; on
    # the sweep bench's runs its thread took a quarter as much CPU again as the run.
    "distributed.worker.profile.enabled": False,
    # Dask's event-loop watchdog (every 20 ms), system monitor (0.5 s) and memory monitor
    # (0.1 s) mostly feed a dashboard; at these rates an idle 2-worker cluster took 11% of
    # a core, at these 2%. Memory limits are still checked every second.
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.nanny.pre-spawn-environ": {
        **SINGLE_THREAD_ENVIRONMENT,
        # Dask's default 65536 makes glibc hand freed memory back at once, so torch's
        # large temporary tensors are mapped and unmapped again on every step (a tenth
        # more CPU per run on the bench).
        "MALLOC_TRIM_THRESHOLD_": None,
    },
}
"""Dask settings of the embedded cluster (merged into ``dask.config`` while it starts)."""


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[object]:
    """A ``distributed.Client``: to ``scheduler``, else to a new embedded ``LocalCluster``.

    The embedded cluster has ``workers`` single-threaded worker processes on 127.0.0.1
    and is closed to other local processes: its scheduler, nannies and workers speak TLS
    with a throw-away certificate (``Security.temporary()``), which only this client
    holds, so a plain or certificate-less client is refused; and no HTTP server listens
    (Dask starts one on the scheduler, at 8787, and on every worker even without a
    dashboard; they serve nothing and are stopped at once). Its workers end with this
    process, as Dask's do. With ``scheduler``, security is the cluster's: give a
    ``tls://`` address and a Dask ``Security`` config (see the README); the connection
    waits ``distributed.comm.timeouts.connect`` (30 s by default).

    Raises
    ------
    ValueError
        ``--scheduler`` cannot be reached, or TLS needs the ``cryptography`` package.
    """
    import dask
    from dask import distributed
    from distributed.security import Security

    if scheduler is not None:
        try:
            client = distributed.Client(scheduler)
        except Exception as exc:
            raise ValueError(
                f"--scheduler: cannot connect to {scheduler} ({type(exc).__name__}: {exc}); "
                "check the address, and for tls:// the Security config (README)"
            ) from None
        with client:
            yield client
        return
    try:
        security = Security.temporary()
    except ImportError:
        raise ValueError(
            "--executor dask: the embedded cluster needs the cryptography package for TLS; "
            "pip install cryptography"
        ) from None
    with (
        _environment({}),  # undoes the nanny's copy of pre-spawn-environ into os.environ
        dask.config.set(EMBEDDED_DASK_CONFIG),
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            security=security,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        cluster.scheduler.http_server.stop()
        yield client


def dask_setup(worker) -> None:
    """Preload hook of the embedded cluster's workers (``distributed.worker.preload``),
    run in each as it starts (a restarted one too): stop its HTTP server, and skip the
    interpreter's teardown at the end (:func:`_exit_at_once`)."""
    worker.http_server.stop()
    _exit_at_once()


_START = {"serial": _serial, "processes": _processes, "dask": _dask}
