"""The sweep result store: one Parquet file per finished run, written atomically.

Layout of a store folder::

    plan.json              the latest sweep: its definition, axes, and every run's key,
                           axis values and seed index (what ``report`` shows)
    runs/<key>.parquet     a finished run: its ``rounds`` table plus run_key, seed_index,
                           seed and config (JSON) columns
    failures/<key>.json    a run that raised: error type, message, traceback, config
    .lock                  held (``fcntl.flock``) while a sweep writes

``<key>`` is :func:`sim.experiments.sweep_config.run_key`, the sha256 of the run's resolved config
(seed included). Every file is written under a temporary name (``.<key>.<pid>.tmp``,
which no reader matches) in its final folder, flushed to disk and ``os.replace``d into
place, so a sweep killed at any moment leaves each run either complete or absent.

A run is finished only when its file is valid (:meth:`ResultStore.read_run`): a readable
Parquet table of at least one row with every column of the market's ``rounds`` table and
``RUN_COLUMNS``, whose ``run_key`` column is its file name throughout and whose one
``config`` hashes to that name. A file copied, truncated or damaged by hand fails this; a
sweep runs such a run again, and ``report`` leaves it out and names it.

Retry policy: a failed run keeps its failure record until a later sweep runs it again
(every sweep retries failures, since a crash may come from the machine rather than the
config); success removes the record. A record whose run is finished is ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.records import ROUND_METRICS
from sim.experiments.run_keys import config_key

PLAN_FILE = "plan.json"
RUNS_DIR = "runs"
FAILURES_DIR = "failures"
LOCK_FILE = ".lock"
TEMP_SUFFIX = ".tmp"
RUN_COLUMNS = ("run_key", "seed_index", "seed", "config")
"""Columns a run file adds to the ``rounds`` table."""
FAILURE_COLUMNS = ("run_key", "seed_index", "axes", "error", "message")
UNREADABLE_RECORD = "UnreadableFailureRecord"
"""The ``error`` shown for a failure record that cannot be read."""


class StoreBusyError(ValueError):
    """Another sweep holds the store's lock."""


class InvalidRunFileError(ValueError):
    """A run file that is not a valid finished run; ``problem`` says what is wrong."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class StoredRuns(NamedTuple):
    """The plan's finished runs, and the plan's run files that are invalid (key: problem)."""

    rounds: pd.DataFrame
    invalid: dict[str, str]


class ResultStore:
    """Read and write one sweep folder (see the module docstring for the layout)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.runs = self.root / RUNS_DIR
        self.failures = self.root / FAILURES_DIR

    # ------------------------------------------------------------------ writing

    def check_writable(self) -> None:
        """Refuse, without creating anything, a root that is a file or lies under one, and
        a folder of other files (not empty, and neither ``runs/`` nor ``.lock``: not a
        store), whose ``plan.json`` a sweep would overwrite."""
        refuse_file_on_path(self.root)
        is_store = self.runs.is_dir() or (self.root / LOCK_FILE).exists()
        if self.root.is_dir() and not is_store and any(self.root.iterdir()):
            raise ValueError(
                f"out: {self.root} holds files and is not a sweep store (no {RUNS_DIR}/ "
                "folder); give a new or empty folder, or a store to resume"
            )

    @contextlib.contextmanager
    def writing(self) -> Iterator[ResultStore]:
        """Hold the store's lock, creating the folders and removing stale temporary files.

        Temporary files can only be stale here: the lock guarantees no other writer, and a
        killed writer's lock is released by the kernel.
        """
        self.check_writable()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock = open(self.root / LOCK_FILE, "w")  # noqa: SIM115 (held for the block)
        except OSError as exc:
            raise ValueError(
                f"out: cannot write {self.root} ({exc.strerror or exc}); "
                "pick a folder you can write"
            ) from None
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusyError(
                    f"out: another sweep is writing to {self.root}; wait for it or pick "
                    "another folder"
                ) from None
            self.runs.mkdir(exist_ok=True)
            self.failures.mkdir(exist_ok=True)
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

    def stored_keys(self) -> set[str]:
        """Keys of every run file, valid or not."""
        return {path.stem for path in self.runs.glob("[!.]*.parquet")}

    def read_run(self, key: str) -> pd.DataFrame:
        """The run file of ``key``, checked (see the module docstring).

        Raises
        ------
        InvalidRunFileError
            Naming the file and what is wrong with it.
        """
        path = self.run_path(key)
        try:
            frame = pq.read_table(path).to_pandas()
        except (OSError, pa.ArrowException) as exc:
            raise InvalidRunFileError(path, f"not a readable Parquet file ({exc})") from None
        missing = [c for c in (*ROUND_METRICS, *RUN_COLUMNS) if c not in frame.columns]
        if missing:
            raise InvalidRunFileError(path, f"missing columns {', '.join(missing)}")
        if frame.empty:
            raise InvalidRunFileError(path, "holds no rounds")
        keys = set(frame["run_key"])
        if keys != {key}:
            other = sorted(str(k)[:12] for k in keys - {key})
            raise InvalidRunFileError(
                path, f"its run_key column names another run ({', '.join(other)})"
            )
        configs = set(frame["config"])
        if len(configs) != 1 or _config_key(configs.pop()) != key:
            raise InvalidRunFileError(
                path, "its config column is not the config its name is the key of"
            )
        return frame

    def check_runs(self, keys: Iterable[str]) -> tuple[set[str], dict[str, str]]:
        """Of ``keys``, the finished ones (a valid run file), and each invalid file's problem."""
        finished, invalid = set(), {}
        stored = self.stored_keys()
        for key in keys:
            if key not in stored:
                continue
            try:
                self.read_run(key)
            except InvalidRunFileError as exc:
                invalid[key] = exc.problem
            else:
                finished.add(key)
        return finished, invalid

    def read_plan(self) -> dict[str, Any]:
        """The plan, checked for the fields ``report`` reads.

        Raises
        ------
        ValueError
            Naming ``plan.json`` and the fix; when runs are stored, saying how many, so a
            broken plan is not taken for an empty store.
        """
        path = self.root / PLAN_FILE
        stored = len(self.stored_keys())
        kept = (
            f"; runs/ holds {stored} run files, which are kept: run `prefmarket sweep` with "
            f"the sweep's file and `out` {self.root} to write the plan again"
            if stored
            else "; run a sweep"
        )
        if not path.is_file():
            raise ValueError(f"DIR: {self.root} holds no sweep plan ({PLAN_FILE} missing){kept}")
        try:
            plan = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a readable sweep plan ({exc}){kept}") from None
        if (problem := _plan_problem(plan)) is not None:
            raise ValueError(f"{path}: not a sweep plan ({problem}){kept}")
        return plan

    def load_runs(self) -> StoredRuns:
        """Every round of every finished run in the plan, with its axis values as columns.

        Columns: the ``rounds`` table's, ``RUN_COLUMNS``, ``mechanism`` (its name) and one
        per axis (named as the axis). Invalid run files are left out and returned apart.
        """
        plan = self.read_plan()
        stored = self.stored_keys()
        frames, invalid = [], {}
        for run in plan["runs"]:
            if run["key"] not in stored:
                continue
            try:
                frame = self.read_run(run["key"])
            except InvalidRunFileError as exc:
                invalid[run["key"]] = exc.problem
                continue
            axes = {axis: _cell(value) for axis, value in run["axes"].items()}
            frames.append(frame.assign(mechanism=run["mechanism"], **axes))
        if not frames:
            empty = pd.DataFrame(columns=["round", *RUN_COLUMNS, "mechanism", *plan["axes"]])
            return StoredRuns(empty, invalid)
        return StoredRuns(pd.concat(frames, ignore_index=True), invalid)

    def load_failures(self, finished: Collection[str] = ()) -> pd.DataFrame:
        """Failure records of the plan's runs, except runs in ``finished``.

        A record that cannot be read is listed with error ``UNREADABLE_RECORD`` and a
        message naming its path, rather than stopping the report.
        """
        plan_keys = {run["key"] for run in self.read_plan()["runs"]} - set(finished)
        records = [
            _failure_record(path)
            for path in sorted(self.failures.glob("[!.]*.json"))
            if path.stem in plan_keys
        ]
        return pd.DataFrame(records, columns=list(FAILURE_COLUMNS))


def refuse_file_on_path(path: Path, option: str = "out") -> None:
    """Raise ``ValueError`` if ``path`` is a file or lies under one (it cannot be a folder)."""
    for folder in (path, *path.parents):
        if folder.exists():
            if not folder.is_dir():
                under = "" if folder == path else f", so {path} cannot be a folder"
                raise ValueError(f"{option}: {folder} is a file{under}; give a folder path")
            return


def _config_key(config: Any) -> str | None:
    try:
        return config_key(json.loads(config))
    except (TypeError, ValueError):
        return None


def _plan_problem(plan: Any) -> str | None:
    """What makes ``plan`` unusable by ``report``, or None."""
    if not isinstance(plan, dict):
        return f"a JSON {type(plan).__name__}, not an object"
    for field, kind in (("runs", list), ("axes", list), ("sweep", dict)):
        if not isinstance(plan.get(field), kind):
            return f"its {field!r} is missing or not a JSON {kind.__name__}"
    for i, run in enumerate(plan["runs"]):
        if not (
            isinstance(run, dict)
            and isinstance(run.get("key"), str)
            and isinstance(run.get("axes"), dict)
            and isinstance(run.get("mechanism"), str)
            and isinstance(run.get("seed_index"), int)
        ):
            return f"runs[{i}] lacks key, axes, mechanism or seed_index"
    return None


def _failure_record(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text())
        problem = None if isinstance(record, dict) else "not a JSON object"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = f"not readable JSON ({exc})"
    if problem is not None:
        return {
            **dict.fromkeys(FAILURE_COLUMNS),
            "run_key": path.stem,
            "error": UNREADABLE_RECORD,
            "message": f"{path}: {problem}",
        }
    return {**dict.fromkeys(FAILURE_COLUMNS), **record, "run_key": path.stem}


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
