"""Running a sweep's markets serially, on local processes, or on a Dask cluster.

Every executor runs the same :func:`execute_run` on the same resolved configs (each with
its own seed, see :mod:`sim.sweep_config`), so a sweep's results do not depend on the
executor or the number of workers. Workers only compute and return a run's ``rounds``
table; the calling process alone writes the :class:`~sim.result_store.ResultStore`, so
Dask workers on other machines need no shared file system.

- ``serial``: one run after another in this process.
- ``processes``: ``concurrent.futures.ProcessPoolExecutor`` with ``workers`` processes
  started by ``spawn`` (a forked copy of a process that has used torch's thread pools can
  deadlock), each single-threaded (``SINGLE_THREAD_ENVIRONMENT``).
- ``dask``: ``dask.distributed``; with no ``scheduler`` an embedded ``LocalCluster`` of
  ``workers`` single-threaded processes, else ``Client(scheduler)`` on an existing cluster
  whose workers have prefmarket installed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
from tqdm.auto import tqdm

from sim.config import MarketConfig
from sim.result_store import ResultStore
from sim.sweep_config import RunSpec, SweepConfig

EXECUTORS = ("serial", "processes", "dask")
SINGLE_THREAD_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
"""Environment of local worker processes: one thread each for the BLAS and OpenMP pools and
the tokenizer, as ``dask.distributed`` sets for its own workers, so that ``workers``
processes use ``workers`` cores rather than competing for them."""
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


@dataclass
class SweepCounts:
    """How a sweep invocation went: runs computed, found already stored, and failed."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    failed_keys: list[str] = field(default_factory=list)


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
) -> SweepCounts:
    """Run every run of ``sweep`` not yet in ``store`` and store each result as it arrives.

    Parameters
    ----------
    sweep : SweepConfig
    store : ResultStore
        Holds finished runs; those are skipped. Failed runs are run again.
    executor : {"serial", "processes", "dask"}
    workers : int
        Processes for ``processes`` and for the embedded Dask ``LocalCluster``.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); only with ``dask``.
    progress : bool
        Show a progress bar over runs.
    source : str, optional
        Where the sweep came from (a file path), recorded in the plan.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"--executor: {executor!r} is not one of {', '.join(EXECUTORS)}")
    if workers < 1:
        raise ValueError(f"--workers: got {workers}; give at least 1")
    if scheduler is not None and executor != "dask":
        raise ValueError("--scheduler: only used with --executor dask; add it or drop --scheduler")
    specs = sweep.resolve()
    counts = SweepCounts()
    with store.writing():
        store.write_plan(_plan(sweep, specs, source))
        finished = store.finished_keys()
        pending = [spec for spec in specs if spec.key not in finished]
        counts.skipped = len(specs) - len(pending)
        by_key = {spec.key: spec for spec in pending}
        results = _EXECUTE[executor](pending, workers, scheduler)
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
    from sim.output import manifest

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


def _serial(specs: list[RunSpec], workers: int, scheduler: str | None) -> Iterator[RunResult]:
    for spec in specs:
        yield execute_run(spec.key, spec.config)


def _processes(specs: list[RunSpec], workers: int, scheduler: str | None) -> Iterator[RunResult]:
    if not specs:
        return
    context = multiprocessing.get_context("spawn")
    with (
        _environment(SINGLE_THREAD_ENVIRONMENT),
        ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool,
    ):
        futures = {pool.submit(execute_run, spec.key, spec.config): spec.key for spec in specs}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:
                yield _crashed(futures[future], exc)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (inherited by processes started meanwhile), then restore."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _dask(specs: list[RunSpec], workers: int, scheduler: str | None) -> Iterator[RunResult]:
    from dask import distributed

    if not specs:
        return
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            target = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
            )
        else:
            target = scheduler
        try:
            client = stack.enter_context(distributed.Client(target, timeout="30s"))
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"--scheduler: cannot reach {scheduler} ({exc})") from None
        futures = {
            client.submit(
                execute_run, spec.key, spec.config, key=f"run-{spec.key}", pure=False
            ): spec.key
            for spec in specs
        }
        for future in distributed.as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:
                yield _crashed(futures[future], exc)


_EXECUTE = {"serial": _serial, "processes": _processes, "dask": _dask}
