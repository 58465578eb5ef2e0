"""``prefmarket sweep`` and ``prefmarket report``: run a sweep into a store, report a store.

Both commands print bad input as one line ``error: ...`` on stderr and exit 2, before any
run starts and before anything is written. ``sweep`` exits 1 when some runs failed (they
are recorded and retried by the next ``sweep`` into the same folder), else 0.

``report`` never replaces what it did not write: its ``--out`` may not be the store, lie
inside it (except the default ``DIR/report``) or hold it, and a folder that exists must be
empty or an earlier report (its ``manifest.json`` says ``"command": "report"``). An invalid
run file is left out of the report with a warning naming it and its problem, and listed
among the report's failed runs; the next ``sweep`` into the store runs it again.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from sim.cli.errors import usage_error
from sim.experiments.executors import EXECUTORS, SweepCounts, run_sweep
from sim.experiments.result_store import (
    FAILURE_COLUMNS,
    PLAN_FILE,
    ResultStore,
    refuse_file_on_path,
)
from sim.experiments.sweep_config import MAX_RUNS, SweepConfig

REPORT_DIR = "report"
"""The default report folder inside the store."""
INVALID_RUN = "InvalidRunFile"
"""The ``error`` listed in a report for a run whose stored file is invalid."""


ExecutorName = StrEnum("ExecutorName", {name: name for name in EXECUTORS})
"""``--executor`` choices: the executors of ``sim.experiments.executors``."""


def sweep_command(
    config: Annotated[Path, typer.Argument(help="Sweep file (TOML): base config, axes, seeds.")],
    out: Annotated[Path, typer.Option("--out", help="Result store folder; re-use it to resume.")],
    executor: Annotated[
        ExecutorName, typer.Option("--executor", help="Where to run the markets.")
    ] = ExecutorName.serial,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Local processes or LocalCluster workers; on a GPU machine also how many "
            "markets share the GPU at once.",
        ),
    ] = 2,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Existing Dask scheduler, e.g. tls://host:8786."),
    ] = None,
    max_runs: Annotated[
        int, typer.Option("--max-runs", min=1, help="Refuse a sweep that plans more runs.")
    ] = MAX_RUNS,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar.")
    ] = True,
) -> None:
    """Run every (axis point, seed) of a sweep not yet in --out; store each run as it ends."""
    try:
        sweep = SweepConfig.from_toml(config)
        typer.echo(
            f"sweep: {sweep.run_count:,} runs planned "
            f"({sweep.n_points:,} axis points x {sweep.seeds:,} seeds)"
        )
        if scheduler is not None and scheduler.startswith("tcp://"):
            _warn_unencrypted(scheduler)
        counts = run_sweep(
            sweep,
            ResultStore(out),
            executor=executor.value,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            source=str(config),
            max_runs=max_runs,
        )
    except ValueError as exc:
        raise usage_error(exc) from None
    _tell_counts(out, counts)


def _warn_unencrypted(scheduler: str) -> None:
    """Warn on stderr that a ``tcp://`` scheduler lets whoever reaches it run code."""
    typer.echo(
        f"warning: --scheduler {scheduler} is neither encrypted nor authenticated: "
        "whoever reaches it can run code on its workers; prefer tls:// (see README)",
        err=True,
    )


def _tell_counts(out: Path, counts: SweepCounts) -> None:
    """Say how the sweep went: each invalid stored run that was run again, the runs done,
    skipped and failed, and where failures are recorded (then exit 1)."""
    store = ResultStore(out)
    for key, problem in counts.invalid.items():
        typer.echo(
            f"warning: {store.run_path(key)} was invalid ({problem}); its run was run again",
            err=True,
        )
    total = counts.done + counts.skipped + counts.failed
    typer.echo(
        f"{total} runs: {counts.done} done, {counts.skipped} skipped (already stored), "
        f"{counts.failed} failed; results in {out}"
    )
    if counts.failed:
        typer.echo(
            f"failed runs are recorded in {out / 'failures'} and retried by the next sweep",
            err=True,
        )
        raise typer.Exit(1)


def report_command(
    directory: Annotated[Path, typer.Argument(help="A sweep's result store (its --out folder).")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Report folder, new or an earlier report [default: DIR/report]."
        ),
    ] = None,
) -> None:
    """Summary tables (CSV, Markdown) and figures with 95% CIs across seeds, plus a manifest."""
    from analysis.sweep_report import write_report
    from sim.experiments.output import manifest, staged_dir, write_json

    store = ResultStore(directory)
    try:
        plan = store.read_plan()
        target = _report_target(directory, out)
        runs = store.load_runs()
        failures = store.load_failures(finished=set(runs.rounds["run_key"]))
    except ValueError as exc:
        raise usage_error(exc) from None
    for key, problem in runs.invalid.items():
        typer.echo(
            f"warning: {store.run_path(key)}: {problem}; left out of the report "
            f"(the next sweep into {directory} runs it again)",
            err=True,
        )
    if runs.rounds.empty:
        raise usage_error(_no_finished_run(store, plan, runs.invalid))
    if runs.invalid:
        failures = pd.concat([failures, _invalid_rows(store, plan, runs.invalid)])
    try:
        with staged_dir(target, overwrite=_is_report(target)) as staging:
            files = write_report(runs.rounds, plan["axes"], failures, staging)
            write_json(
                manifest(
                    command="report",
                    store=str(directory),
                    sweep=plan["sweep"],
                    source=plan.get("source"),
                    runs_finished=int(runs.rounds["run_key"].nunique()),
                    runs_failed=len(failures) - len(runs.invalid),
                    runs_invalid={str(store.run_path(k)): p for k, p in runs.invalid.items()},
                    runs_planned=len(plan["runs"]),
                    files=[str(f) for f in files],
                ),
                staging / "manifest.json",
            )
    except OSError as exc:
        raise usage_error(f"--out: cannot write {target} ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise usage_error(exc) from None
    typer.echo(f"report: {target / 'report.md'} ({len(files)} files)")


def _report_target(directory: Path, out: Path | None) -> Path:
    """The report folder: ``DIR/report``, or ``--out`` if writing it can lose nothing.

    Refused: a file or a path under one; the store itself, a folder inside it other than
    ``DIR/report``, or a folder that holds the store; an existing folder that is neither
    empty nor an earlier report.
    """
    default = directory / REPORT_DIR
    target = default if out is None else out
    store, chosen = directory.resolve(), target.resolve()
    if chosen != default.resolve():
        if chosen == store or store in chosen.parents:
            raise ValueError(
                f"--out: {out} is inside the store {directory}; give a folder outside it, "
                f"or leave out --out to write {default}"
            )
        if chosen in store.parents:
            raise ValueError(
                f"--out: {out} holds the store {directory}, which the report would replace; "
                "give a folder outside it"
            )
    refuse_file_on_path(target)
    if target.is_dir() and any(target.iterdir()) and not _is_report(target):
        raise ValueError(
            f"--out: {target} holds files that are not a report; give a new or empty folder "
            "(an earlier report is replaced)"
        )
    return target


def _is_report(folder: Path) -> bool:
    """Whether ``folder`` holds a report: its manifest.json says ``"command": "report"``."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(manifest, dict) and manifest.get("command") == "report"


def _no_finished_run(store: ResultStore, plan: dict, invalid: dict[str, str]) -> str:
    """Why there is nothing to report, without calling a store with runs on disk empty."""
    stored = len(store.stored_keys())
    if invalid:
        return (
            f"DIR: every stored run of the plan is invalid ({len(invalid)} files, named "
            f"above); run the sweep again into {store.root} to redo them"
        )
    if stored:
        return (
            f"DIR: none of the {len(plan['runs'])} runs in {store.root / PLAN_FILE} is "
            f"stored, though runs/ holds {stored} run files of another sweep; run that "
            f"sweep's file again into {store.root} to make its plan the current one"
        )
    return f"DIR: {store.root} holds no finished run yet; run the sweep first"


def _invalid_rows(store: ResultStore, plan: dict, invalid: dict[str, str]) -> pd.DataFrame:
    """Report rows (as failures) for the plan's runs whose stored file is invalid."""
    runs = {run["key"]: run for run in plan["runs"]}
    return pd.DataFrame(
        [
            {
                "run_key": key,
                "seed_index": runs[key]["seed_index"],
                "axes": runs[key]["axes"],
                "error": INVALID_RUN,
                "message": f"{store.run_path(key)}: {problem}",
            }
            for key, problem in invalid.items()
        ],
        columns=list(FAILURE_COLUMNS),
    )
