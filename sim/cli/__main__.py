"""``python -m sim.cli``: the ``prefmarket`` command line."""

from sim.cli.app import app

app()
