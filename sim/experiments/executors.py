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
(``sim.experiments.worker_process.exit_at_once``).
- ``dask``: ``dask.distributed``; with no ``scheduler`` an embedded ``LocalCluster`` (see
  ``sim.experiments.dask_cluster``), else ``Client(scheduler)`` on an existing cluster
  whose workers have prefmarket installed. A market on a GPU (``reward_model.device``
  ``cuda`` or ``cuda:N``) asks for a worker's ``GPU`` resource (``sim.experiments.devices``).

On a GPU machine the local workers share its GPU: ``workers`` is also how many markets use
it at once. Each worker makes its own CUDA context; the sweep process starts none.

Order of a sweep: check the arguments and the size, build and validate every run, check
that ``--out`` can be a folder, start the executor (check the pending markets' devices
where they will run; connect to the scheduler), and only then lock the store and write the
plan, so a sweep that cannot start writes nothing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
import traceback
import typing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
from tqdm.auto import tqdm

from sim.config import MarketConfig
from sim.experiments.dask_cluster import dask_client
from sim.experiments.devices import check_devices, dask_resources
from sim.experiments.result_store import ResultStore
from sim.experiments.run_keys import RunSpec
from sim.experiments.sweep_config import MAX_RUNS, SweepConfig
from sim.experiments.worker_process import (
    SINGLE_THREAD_ENVIRONMENT,
    environment,
    exit_at_once,
    exit_with_parent,
)

Executor = Literal["serial", "processes", "dask"]
EXECUTORS: tuple[str, ...] = typing.get_args(Executor)
"""Where a sweep can run its markets; the command line offers the same names."""


@dataclass
class RunResult:
    """What a worker sends back: the market's result tables (``MarketModel.results``), or
    the error it raised."""

    key: str
    tables: dict[str, pd.DataFrame] | None = None
    error: str | None = None
    message: str | None = None
    traceback: str | None = None
    elapsed_s: float = 0.0

    @property
    def rounds(self) -> pd.DataFrame | None:
        """The ``rounds`` table (None for a failed run)."""
        return None if self.tables is None else self.tables["rounds"]


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
        tables = MarketModel(config).run().results()
    except Exception as exc:
        return RunResult(
            key,
            error=type(exc).__name__,
            message=str(exc),
            traceback=traceback.format_exc(),
            elapsed_s=time.perf_counter() - start,
        )
    return RunResult(key, tables=tables, elapsed_s=time.perf_counter() - start)


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
        Processes for ``processes`` and for the embedded Dask ``LocalCluster``; on a GPU
        machine also how many markets share the GPU at once.
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
        One line naming the argument or axis at fault, before anything is written; also
        (``ConfigError``) a ``reward_model.device`` the executor cannot run
        (:func:`sim.experiments.devices.check_devices`).
    """
    _check_arguments(sweep, executor, workers, scheduler, max_runs)
    specs = sweep.resolve()
    store.check_writable()
    finished, invalid = store.check_runs(spec.key for spec in specs)
    pending = [spec for spec in specs if spec.key not in finished]
    counts = SweepCounts(skipped=len(specs) - len(pending), invalid=invalid)
    by_key = {spec.key: spec for spec in pending}
    start = _START[executor if pending else "serial"]
    configs = [spec.config for spec in pending]
    with start(workers, scheduler, configs) as execute, store.writing():
        store.write_plan(_plan(sweep, specs, source))
        results = execute(pending)
        for result in tqdm(results, total=len(pending), desc="runs", disable=not progress):
            _store_result(store, by_key[result.key], result, counts)
    return counts


def _check_arguments(
    sweep: SweepConfig, executor: str, workers: int, scheduler: str | None, max_runs: int | None
) -> None:
    """Refuse an unknown executor, no workers, a scheduler without Dask, or a sweep that
    plans more than ``max_runs`` runs, before anything is built."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor: {executor!r} is not one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise ValueError(f"workers: got {workers}; give at least 1")
    if scheduler is not None and executor != "dask":
        raise ValueError("scheduler: only used with `executor` dask; set it or drop `scheduler`")
    if max_runs is not None and sweep.run_count > max_runs:
        raise ValueError(
            f"max_runs: the sweep plans {sweep.run_count:,} runs ({sweep.n_points:,} axis "
            f"points x {sweep.seeds:,} seeds), above the limit of {max_runs:,}; shrink the "
            f"grid, sample.n or seeds, or raise `max_runs` to {sweep.run_count}"
        )


def _store_result(
    store: ResultStore, spec: RunSpec, result: RunResult, counts: SweepCounts
) -> None:
    """Store the finished run of ``spec``, or its failure, and count it in ``counts``."""
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
# Each checks that the devices of ``configs`` (the markets it will run) exist where they
# will run, starts its workers (or connects) on entry and yields ``execute(specs)``, an
# iterator of results in the order they finish.


@contextlib.contextmanager
def _serial(workers: int, scheduler: str | None, configs: list[MarketConfig]) -> Iterator[Execute]:
    check_devices(configs)
    yield lambda specs: (execute_run(spec.key, spec.config) for spec in specs)


@contextlib.contextmanager
def _processes(
    workers: int, scheduler: str | None, configs: list[MarketConfig]
) -> Iterator[Execute]:
    check_devices(configs)
    context = multiprocessing.get_context("spawn")
    with environment(SINGLE_THREAD_ENVIRONMENT):
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
    exit_with_parent(parent)
    exit_at_once()


@contextlib.contextmanager
def _dask(workers: int, scheduler: str | None, configs: list[MarketConfig]) -> Iterator[Execute]:
    if scheduler is None:  # the embedded cluster's workers run on this machine
        check_devices(configs)
    with dask_client(workers, scheduler) as client:
        if scheduler is not None:
            check_devices(configs, client)
        yield lambda specs: _dask_results(client, specs)


def _dask_results(client, specs: list[RunSpec]) -> Iterator[RunResult]:
    from dask import distributed

    keys = _dask_submit(client, specs)
    for future in distributed.as_completed(keys):
        key = keys.pop(future)
        try:
            yield future.result()
        except Exception as exc:
            yield _crashed(key, exc)
        future.release()


def _dask_submit(client, specs: list[RunSpec]) -> dict:
    """Submit every run, a GPU market with the resources that place it on a GPU worker
    (:func:`~sim.experiments.devices.dask_resources`); each future -> its run's key. Only
    the returned dict holds the futures, so each is released once its result is taken."""
    groups: dict[tuple, list[RunSpec]] = {}
    for spec in specs:
        resources = dask_resources(spec.config) or {}
        groups.setdefault(tuple(sorted(resources.items())), []).append(spec)
    keys = {}
    for resources, group in groups.items():
        futures = client.map(
            execute_run,
            [spec.key for spec in group],
            [spec.config for spec in group],
            key=[f"run-{spec.key}" for spec in group],
            pure=False,
            resources=dict(resources) or None,
        )
        keys.update(zip(futures, [spec.key for spec in group], strict=True))
    return keys


_START = {"serial": _serial, "processes": _processes, "dask": _dask}


def execute_runs(specs: list, workers: int) -> Iterator[RunResult]:
    """Run ``specs`` (each with ``key`` and ``config``) in this process (``workers=1``) or on
    ``workers`` single-threaded local processes; results in the order they finish.

    Raises ``ConfigError`` before any run starts for a ``reward_model.device`` this machine
    lacks (:func:`~sim.experiments.devices.check_devices`)."""
    start = _serial if workers == 1 else _processes
    with start(workers, None, [spec.config for spec in specs]) as execute:
        yield from execute(specs)
