"""Tiny sweep files for the sweep tests: a few head-mode runs of about two seconds each."""

from pathlib import Path

TINY_BASE = """
[base]
population = { n_annotators = 8, capacity = 2 }
buyer = { budget = 4.0, rounds = 2, demand_per_round = 8 }
reward_model = { mode = "head", epochs = 5, learning_rate = 0.01, eval_pairs = 20 }
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
