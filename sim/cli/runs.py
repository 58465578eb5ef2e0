"""``prefmarket run`` and ``prefmarket demo``: run a file's markets and write the report."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from sim.cli.errors import usage_error


def _print_summary(summary, title: str) -> None:
    """Metrics as rows and mechanisms as columns, so six mechanisms fit 80 columns."""
    from analysis.outcomes import LABELS

    table = Table(title=title)
    table.add_column("metric", no_wrap=True)
    for name in summary.index:
        table.add_column(str(name).replace("_", " "), justify="right")
    for column in summary.columns:
        values = [f"{value:.3g}" for value in summary[column]]
        table.add_row(LABELS.get(column, column), *values)
    Console().print(table)


def _write_comparison(out: str, overwrite: bool, base, mechanisms: dict, title: str) -> None:
    from transformers.utils import logging as transformers_logging

    from sim.experiments.comparison import write_comparison
    from sim.experiments.output import check_output_dir

    transformers_logging.disable_progress_bar()  # one "Loading weights" bar per market is noise

    try:
        path = check_output_dir(out, overwrite)
        summary = write_comparison(path, base, mechanisms, title=title, overwrite=overwrite)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    _print_summary(summary, title)
    typer.echo(f"wrote {path / 'report.md'} (figures, results/*.parquet, manifest.json beside it)")


def run(
    config: str = typer.Argument(..., help="A MarketConfig TOML file (see examples/)."),
    out: str = typer.Option(None, "--out", "-o", help="Output folder [default: out/<config>]."),
    fast: bool = typer.Option(False, "--fast", help="Apply the file's [fast] overrides."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out."),
) -> None:
    """Run a market from a TOML config, or compare mechanisms on it; write the report."""
    from pathlib import Path

    target = out or str(Path("out") / Path(config).stem)
    _run_file(config, target, fast, overwrite, f"prefmarket run {config}")


def demo(
    out: str = typer.Option("out/demo", "--out", "-o", help="Output folder."),
    fast: bool = typer.Option(False, "--fast", help="Head mode and 4 rounds (about 1-2 min)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out."),
) -> None:
    """Compare six mechanisms on one population and budget with a real MiniLM reward model.

    The mechanisms and settings are the run file examples/demo.toml.
    """
    from sim.experiments.comparison import DEMO_FILE

    title = "prefmarket demo" + (" (--fast)" if fast else "")
    _run_file(DEMO_FILE, out, fast, overwrite, title)


def _run_file(config, out: str, fast: bool, overwrite: bool, title: str) -> None:
    from sim.experiments.comparison import load_run_file

    try:
        market, mechanisms = load_run_file(config, fast=fast)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    _write_comparison(out, overwrite, market, mechanisms, title)
