"""The ``prefmarket`` command line.

Exit codes: 0 success; 1 ``check`` found a declared property violated; 2 bad input
(for ``check``, a mechanism that breaks the run contract counts as bad input), always
reported as one line ``error: ...`` on stderr, without a traceback.
"""

from __future__ import annotations

import typer

from sim.cli.errors import OneLineErrors
from sim.cli.mechanisms import check, list_mechanisms
from sim.cli.runs import demo, run
from sim.cli.sweeps import report_command, sweep_command

app = typer.Typer(
    cls=OneLineErrors,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def main(ctx: typer.Context) -> None:
    """prefmarket: buy RLHF preference labels through procurement mechanisms.

    Exit codes: 0 success, 1 a declared property was found violated, 2 bad input.
    """
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


app.command("mechanisms")(list_mechanisms)
app.command("check")(check)
app.command("run")(run)
app.command("demo")(demo)
app.command("sweep")(sweep_command)
app.command("report")(report_command)
