"""The simulator: the Mesa market and its config, in rooms by part.

- ``sim.corpus``: comparisons, gold labels, built-in texts, preference files, pair schemas;
- ``sim.reward``: the reward model (settings, encoding, batching, objectives, checkpoints);
- ``sim.experiments``: comparisons over seeds, sweeps, executors, the result store, output;
- ``sim.cli``: the ``prefmarket`` command line.

::

    from sim import MarketConfig, MarketModel
"""

import importlib

_HOMES = {"MarketConfig": "sim.config", "MarketModel": "sim.market"}
__all__ = list(_HOMES)


def __getattr__(name: str):
    """Import on first use, so that ``import sim.config`` (and the CLI) stay light."""
    if name not in _HOMES:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
