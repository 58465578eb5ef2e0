"""The ``prefmarket`` command line: one Typer app, one module per command group.

``mechanisms.py`` (mechanisms, check), ``runs.py`` (run, demo), ``sweeps.py`` (sweep,
report); ``errors.py`` turns bad input into one line ``error: ...`` with exit code 2.
"""

from sim.cli.app import app

__all__ = ["app"]
