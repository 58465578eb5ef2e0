"""The ``prefmarket`` command line."""

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@app.callback()
def main() -> None:
    """prefmarket: buy RLHF preference labels through procurement mechanisms."""
