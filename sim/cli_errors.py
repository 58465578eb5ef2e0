"""How the command line reports bad input: one line ``error: ...`` on stderr, exit code 2."""

import typer


def one_line(text) -> str:
    """``text`` with its non-blank lines joined by ``; ``."""
    return "; ".join(line.strip() for line in str(text).splitlines() if line.strip())


def usage_error(message) -> typer.Exit:
    """Print ``error: <message>`` as one line on stderr; return the ``Exit(2)`` to raise."""
    typer.echo(f"error: {one_line(message)}", err=True)
    return typer.Exit(2)
