"""``prefmarket run`` and ``prefmarket demo``: run a file's markets and write the report."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from sim.cli.errors import usage_error

WORKERS_HELP = (
    "Worker processes [default: one per CPU, at most 4]; on a GPU machine also how many "
    "markets share the GPU at once. Results do not depend on it."
)


def _print_summary(summary, title: str) -> None:
    """Rows as table rows, each outcome ``mean ± half-width`` of its 95% interval."""
    table = Table(title=title)
    table.add_column("row", no_wrap=True)
    for column in summary.columns:
        table.add_column(str(column), justify="right")
    for name, row in summary.iterrows():
        table.add_row(str(name), *[str(value) for value in row])
    Console(width=max(120, Console().width)).print(table)


def _write_comparison(out: str, overwrite: bool, plan, title: str, workers: int | None) -> None:
    from transformers.utils import logging as transformers_logging

    from sim.experiments.comparison import write_comparison
    from sim.experiments.output import check_output_dir

    transformers_logging.disable_progress_bar()  # one "Loading weights" bar per market is noise

    try:
        path = check_output_dir(out, overwrite)
        summary = write_comparison(path, plan, title=title, overwrite=overwrite, workers=workers)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    _print_summary(summary, title)
    typer.echo(
        f"wrote {path / 'report.md'} and report.html (figures, summary.csv, differences.csv, "
        "results/*.parquet, manifest.json beside them)"
    )


def run(
    config: str = typer.Argument(..., help="A run file: a MarketConfig TOML (see examples/)."),
    out: str = typer.Option(None, "--out", "-o", help="Output folder [default: out/<config>]."),
    fast: bool = typer.Option(False, "--fast", help="Apply the file's [fast] overrides."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out."),
    workers: int = typer.Option(None, "--workers", min=1, help=WORKERS_HELP),
) -> None:
    """Run a market from a TOML config, or compare mechanisms on it; write the report."""
    from pathlib import Path

    target = out or str(Path("out") / Path(config).stem)
    _run_file(config, target, fast, overwrite, f"prefmarket run {config}", workers)


def demo(
    out: str = typer.Option("out/demo", "--out", "-o", help="Output folder."),
    fast: bool = typer.Option(False, "--fast", help="The [fast] table: head mode (about 2 min)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out."),
    workers: int = typer.Option(None, "--workers", min=1, help=WORKERS_HELP),
) -> None:
    """Compare mechanisms over seeds and budgets with a real MiniLM reward model.

    The rows, seeds, budgets and scenarios are the run file examples/demo.toml.
    """
    from sim.experiments.comparison import DEMO_FILE

    title = "prefmarket demo" + (" (--fast)" if fast else "")
    _run_file(DEMO_FILE, out, fast, overwrite, title, workers)


def _run_file(config, out: str, fast: bool, overwrite: bool, title: str, workers) -> None:
    """Load the run file and check its markets' devices on this machine before --out is
    touched or a progress bar drawn; then run it and write the report."""
    from sim.experiments.devices import check_devices
    from sim.experiments.run_file import load_run_file

    try:
        plan = load_run_file(config, fast=fast)
        check_devices(run.config for run in plan.runs())
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    _write_comparison(out, overwrite, plan, title, workers)
