"""``prefmarket sweep`` and ``prefmarket report``: run a sweep into a store, report a store.

Both commands print bad input as one line ``error: ...`` on stderr and exit 2, before any
run starts. ``sweep`` exits 1 when some runs failed (they are recorded and retried by the
next ``sweep`` into the same folder), else 0. ``python -m sim.sweep_cli`` runs the two
commands on their own.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sim.cli_errors import usage_error
from sim.result_store import ResultStore
from sim.sweep import run_sweep
from sim.sweep_config import SweepConfig


class ExecutorName(StrEnum):
    serial = "serial"
    processes = "processes"
    dask = "dask"


def sweep_command(
    config: Annotated[Path, typer.Argument(help="Sweep file (TOML): base config, axes, seeds.")],
    out: Annotated[Path, typer.Option("--out", help="Result store folder; re-use it to resume.")],
    executor: Annotated[
        ExecutorName, typer.Option("--executor", help="Where to run the markets.")
    ] = ExecutorName.serial,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Local processes or LocalCluster workers.")
    ] = 2,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Existing Dask scheduler, e.g. tcp://host:8786."),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar.")
    ] = True,
) -> None:
    """Run every (axis point, seed) of a sweep not yet in --out; store each run as it ends."""
    try:
        sweep = SweepConfig.from_toml(config)
        counts = run_sweep(
            sweep,
            ResultStore(out),
            executor=executor.value,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            source=str(config),
        )
    except ValueError as exc:
        raise usage_error(exc) from None
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
        Path | None, typer.Option("--out", help="Report folder [default: DIR/report].")
    ] = None,
) -> None:
    """Summary tables (CSV, Markdown) and figures with 95% CIs across seeds, plus a manifest."""
    from analysis.sweep_report import write_report
    from sim.output import manifest, staged_dir, write_json

    target = directory / "report" if out is None else out
    try:
        store = ResultStore(directory)
        plan = store.read_plan()
        rounds = store.load_runs()
        failures = store.load_failures()
    except ValueError as exc:
        raise usage_error(exc) from None
    if rounds.empty:
        raise usage_error(f"DIR: {directory} holds no finished run yet; run the sweep first")
    with staged_dir(target) as staging:
        files = write_report(rounds, plan["axes"], failures, staging)
        write_json(
            manifest(
                command="report",
                store=str(directory),
                sweep=plan["sweep"],
                source=plan.get("source"),
                runs_finished=int(rounds["run_key"].nunique()),
                runs_failed=len(failures),
                runs_planned=len(plan["runs"]),
                files=[str(f) for f in files],
            ),
            staging / "manifest.json",
        )
    typer.echo(f"report: {target / 'report.md'} ({len(files)} files)")


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("sweep")(sweep_command)
app.command("report")(report_command)

if __name__ == "__main__":
    app()
