"""How the command line reports bad input: one line ``error: ...`` on stderr, exit code 2."""

import sys

import typer
from typer.core import TyperGroup


def one_line(text) -> str:
    """``text`` with its non-blank lines joined by ``; ``."""
    return "; ".join(line.strip() for line in str(text).splitlines() if line.strip())


FLAGS: dict[str, str] = {
    "out": "--out",
    "overwrite": "--overwrite",
    "executor": "--executor",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "max_runs": "--max-runs",
}
"""Library parameters that the command line takes as options. Library errors name the
parameter (``out: ...``, or `` `overwrite` `` inside a hint); :func:`usage_error` shows the
option instead."""


def as_flags(text: str) -> str:
    """``text`` with a leading ``<parameter>:`` and every `` `<parameter>` `` in FLAGS shown
    as its command-line option."""
    name, sep, rest = text.partition(":")
    if sep and name in FLAGS:
        text = FLAGS[name] + sep + rest
    for parameter, flag in FLAGS.items():
        text = text.replace(f"`{parameter}`", flag)
    return text


def usage_error(message) -> typer.Exit:
    """Print ``error: <message>`` as one line on stderr, parameters shown as options
    (:func:`as_flags`); return the ``Exit(2)`` to raise."""
    typer.echo(f"error: {as_flags(one_line(message))}", err=True)
    return typer.Exit(2)


class OneLineErrors(TyperGroup):
    """A command group whose usage errors print as one line ``error: ...`` (exit 2)."""

    def main(self, *args, **kwargs):
        kwargs.pop("standalone_mode", None)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        except typer.TyperException as exc:
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            typer.echo(f"error: {one_line(message)}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        sys.exit(result if isinstance(result, int) else 0)
