"""The sweep result store: one Parquet file per finished run, written atomically.

Layout of a store folder::

    plan.json              the latest sweep: its definition, axes, and every run's key,
                           axis values and seed index (what ``report`` shows)
    runs/<key>.parquet     a finished run: its ``rounds`` table plus run_key, seed_index,
                           seed and config (JSON) columns
    failures/<key>.json    a run that raised: error type, message, traceback, config
    .lock                  held (``fcntl.flock``) while a sweep writes

``<key>`` is :func:`sim.sweep_config.run_key`, the sha256 of the run's resolved config
(seed included). Every file is written under a temporary name (``.<key>.<pid>.tmp``,
which no reader matches) in its final folder, flushed to disk and ``os.replace``d into
place, so a sweep killed at any moment leaves each run either complete or absent.

Retry policy: a run is finished only when its Parquet file exists. A failed run keeps its
failure record until a later sweep runs it again (every sweep retries failures, since a
crash may come from the machine rather than the config); success removes the record.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

PLAN_FILE = "plan.json"
RUNS_DIR = "runs"
FAILURES_DIR = "failures"
LOCK_FILE = ".lock"
TEMP_SUFFIX = ".tmp"
RUN_COLUMNS = ("run_key", "seed_index", "seed", "config")
"""Columns a run file adds to the ``rounds`` table."""


class StoreBusyError(ValueError):
    """Another sweep holds the store's lock."""


class ResultStore:
    """Read and write one sweep folder (see the module docstring for the layout)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.runs = self.root / RUNS_DIR
        self.failures = self.root / FAILURES_DIR

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def writing(self) -> Iterator[ResultStore]:
        """Hold the store's lock, creating the folders and removing stale temporary files.

        Temporary files can only be stale here: the lock guarantees no other writer, and a
        killed writer's lock is released by the kernel.
        """
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"--out: {self.root} is a file; give a folder path")
        self.runs.mkdir(parents=True, exist_ok=True)
        self.failures.mkdir(exist_ok=True)
        with open(self.root / LOCK_FILE, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusyError(
                    f"--out: another sweep is writing to {self.root}; wait for it or pick "
                    "another folder"
                ) from None
            for folder in (self.root, self.runs, self.failures):
                for stale in folder.glob(f".*{TEMP_SUFFIX}"):
                    stale.unlink()
            yield self

    def write_plan(self, plan: dict[str, Any]) -> None:
        _atomic_write(
            self.root / PLAN_FILE,
            lambda path: path.write_text(json.dumps(plan, indent=2, default=str) + "\n"),
        )

    def write_run(self, key: str, rounds: pd.DataFrame, seed_index: int, seed: int, config: str):
        """Store a finished run's ``rounds`` table; clear any earlier failure of it."""
        frame = rounds.assign(run_key=key, seed_index=seed_index, seed=seed, config=config)
        _atomic_write(self.run_path(key), lambda path: frame.to_parquet(path, index=False))
        (self.failures / f"{key}.json").unlink(missing_ok=True)

    def write_failure(self, key: str, record: dict[str, Any]) -> None:
        _atomic_write(
            self.failures / f"{key}.json",
            lambda path: path.write_text(json.dumps(record, indent=2, default=str) + "\n"),
        )

    # ------------------------------------------------------------------ reading

    def run_path(self, key: str) -> Path:
        return self.runs / f"{key}.parquet"

    def finished_keys(self) -> set[str]:
        """Keys of every stored run."""
        return {path.stem for path in self.runs.glob("[!.]*.parquet")}

    def read_plan(self) -> dict[str, Any]:
        path = self.root / PLAN_FILE
        if not path.is_file():
            raise ValueError(f"DIR: {self.root} holds no sweep ({PLAN_FILE} missing); run a sweep")
        return json.loads(path.read_text())

    def load_runs(self) -> pd.DataFrame:
        """Every round of every finished run in the plan, with its axis values as columns.

        Columns: the ``rounds`` table's, ``RUN_COLUMNS``, ``mechanism`` (its name) and one
        per axis (named as the axis).
        """
        plan = self.read_plan()
        finished = self.finished_keys()
        frames = []
        for run in plan["runs"]:
            if run["key"] in finished:
                frame = pq.read_table(self.run_path(run["key"])).to_pandas()
                axes = {axis: _cell(value) for axis, value in run["axes"].items()}
                frames.append(frame.assign(mechanism=run["mechanism"], **axes))
        if not frames:
            return pd.DataFrame(columns=["round", *RUN_COLUMNS, "mechanism", *plan["axes"]])
        return pd.concat(frames, ignore_index=True)

    def load_failures(self) -> pd.DataFrame:
        """Failure records of the plan's runs that have not since succeeded."""
        plan_keys = {run["key"] for run in self.read_plan()["runs"]}
        records = [
            json.loads(path.read_text())
            for path in sorted(self.failures.glob("[!.]*.json"))
            if path.stem in plan_keys
        ]
        return pd.DataFrame(records, columns=["run_key", "seed_index", "axes", "error", "message"])


def _cell(value: Any) -> Any:
    """Axis values as DataFrame cells: tables and lists become their JSON text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _atomic_write(path: Path, write) -> None:
    """``write(temporary path)``, fsync it, then ``os.replace`` it onto ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        write(temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
