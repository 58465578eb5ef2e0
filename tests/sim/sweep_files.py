"""Tiny sweep files for the sweep tests: a few head-mode runs of about two seconds each."""

from pathlib import Path

TINY_BASE = """
[base]
population = { n_annotators = 8, capacity = 2 }
buyer = { budget = 4.0, rounds = 2, demand_per_round = 8 }
reward_model = { trainable_layers = 0, epochs = 5, learning_rate = 0.01, eval_pairs = 20 }
"""

MECHANISMS_BY_BUDGET = (
    "seeds = 2\nseed = 11\n"
    + TINY_BASE
    + """
[grid]
mechanism.name = ["vcg", "first_price"]
"buyer.budget" = [2.0, 4.0]
"""
)
"""2 mechanisms x 2 budgets x 2 seeds = 8 runs."""

WITH_A_FAILING_MECHANISM = (
    "seeds = 1\n"
    + TINY_BASE
    + """
[grid]
mechanism.name = ["first_price", "tests.sim.raising_mechanism:RaisingMechanism", "vcg"]
"""
)
"""3 runs; the middle one raises when its mechanism clears."""


def write_sweep(folder: Path, text: str, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


TWO_BY_TWO = (
    "seeds = 2\nseed = 3\n"
    + TINY_BASE
    + """
[grid]
mechanism.name = ["vcg", "first_price"]
"""
)
"""2 mechanisms x 2 seeds = 4 runs (stored in a blink with :func:`instant_run`)."""


def instant_run(key: str, config):
    """A stand-in for ``sim.experiments.executors.execute_run`` that skips the market: a
    ``rounds`` table with every column of the real one, filled from the run's seed. For tests
    of the store and the commands, where what a market computes does not matter."""
    import numpy as np
    import pandas as pd

    from analysis.records import ROUND_METRICS
    from sim.experiments.executors import RunResult

    rng = np.random.default_rng(config.seed)
    rounds = config.buyer.rounds
    table = pd.DataFrame({name: rng.random(rounds) for name in ROUND_METRICS})
    table["round"] = np.arange(rounds)
    table["spend"] = table["cumulative_spend"] = np.linspace(1.0, config.buyer.budget, rounds)
    return RunResult(key, tables={"rounds": table})
