"""Running many markets: comparisons over mechanisms, sweeps over config axes and seeds,
their executors (serial, local processes, Dask), the result store, and staged output.

::

    from sim.experiments import load_run_file, write_comparison, SweepConfig, run_sweep
"""

import importlib

_HOMES = {
    "ResultStore": "sim.experiments.result_store",
    "SweepConfig": "sim.experiments.sweep_config",
    "load_run_file": "sim.experiments.run_file",
    "run_comparison": "sim.experiments.plan_runs",
    "run_sweep": "sim.experiments.executors",
    "write_comparison": "sim.experiments.comparison",
}
__all__ = list(_HOMES)


def __getattr__(name: str):
    """Import on first use: a market run loads torch, which the CLI's other commands skip."""
    if name not in _HOMES:
        raise AttributeError(f"module 'sim.experiments' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
