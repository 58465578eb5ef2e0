"""``prefmarket run`` and ``prefmarket demo``: run a file's markets and write the report."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from sim.cli.errors import usage_error

WORKERS_HELP = (
    "Worker processes [default: one per CPU, at most 4, or 16 where torch sees a GPU]; on a "
    "GPU machine also how many markets share the GPU at once. Results do not depend on it."
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

    findings: list[str] = []
    try:
        path = check_output_dir(out, overwrite)
        summary = write_comparison(
            path,
            plan,
            title=title,
            overwrite=overwrite,
            workers=workers,
            show_findings=findings.append,
        )
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    _print_summary(summary, title)
    typer.echo("\n".join(findings))
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
    fast: bool = typer.Option(
        None,
        "--fast/--full",
        help="--fast: a frozen backbone (the default where torch sees no GPU, minutes on two "
        "cores); --full: MiniLM's top two layers fine-tuned (the default with a GPU; hours on "
        "a CPU, estimated before the first market).",
        show_default=False,
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out."),
    workers: int = typer.Option(None, "--workers", min=1, help=WORKERS_HELP),
) -> None:
    """Which way of buying labels trains the best reward model for the money? The study.

    Seven rows on 10 seeds and three budgets (examples/study.toml): fine-tuned where a GPU is,
    on a frozen backbone where not.
    """
    from sim.experiments.comparison import DEMO_FILE
    from sim.reward.devices import gpu_count

    if fast is None:
        fast = gpu_count() == 0
        where = "torch sees no GPU here" if fast else "on the GPU torch sees"
        kind = "a frozen backbone (--full fine-tunes)" if fast else "MiniLM fine-tuned"
        typer.echo(f"prefmarket demo: the study with {kind}, as {where}")
    title = "prefmarket demo" + (" (frozen backbone)" if fast else " (fine-tuned)")
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
    _say_cpu_time(plan, workers)
    _write_comparison(out, overwrite, plan, title, workers)


def _say_cpu_time(plan, workers: int | None) -> None:
    """Before a plan that fine-tunes on this machine's CPU: its estimated time
    (:mod:`sim.experiments.estimate`) and where it would run faster."""
    from sim.experiments.estimate import estimate_cpu_time
    from sim.experiments.plan_runs import default_workers
    from sim.reward.devices import gpu_count

    configs = [run.config for run in plan.runs()]
    on_cpu = [
        c
        for c in configs
        if c.reward_model.trainable_layers != 0
        and (c.reward_model.device == "cpu" or gpu_count() == 0)
    ]
    if not on_cpu:
        return
    workers = default_workers(len(configs)) if workers is None else workers
    guess = estimate_cpu_time(on_cpu, workers)
    typer.echo(
        f"{guess.markets} markets fine-tune {on_cpu[0].reward_model.backbone} on this CPU, "
        f"about {guess.labels / guess.markets:,.0f} labels each: estimated "
        f"{_duration(guess.seconds)} on {workers} worker{'s' if workers > 1 else ''} "
        "(calibrated here: "
        f"{guess.pairs_per_s:.0f} training pairs/s and {guess.texts_per_s:.0f} texts scored/s a "
        'worker). Faster: --fast (a frozen backbone), or a GPU (reward_model.device = "auto" '
        "takes it; README: On a GPU)."
    )


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
