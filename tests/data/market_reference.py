"""Writes ``market_reference/``: every results table of a fixed set of small markets, so that a
rework of the simulator's house (agents that act through Mesa's AgentSet, a buyer that owns
its policy) can be held to the same tables, value for value
(``tests/sim/test_market_reference.py``).

Run from the repository root: ``python tests/data/market_reference.py``. The tables were
written at revision 5512eca, before that rework (``vcg_budget_demand_bisection`` too, added
later from a checkout of that revision); regenerate them only when a change of results
is intended, and say so in the commit.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.config import MarketConfig
from sim.market import MarketModel

HERE = Path(__file__).parent / "market_reference"
SMALL_MODEL = {"trainable_layers": 0, "eval_pairs": 40, "torch_threads": 1, "epochs": 2}
MARKETS = {
    "vcg_majority_random_fixed": {
        "mechanism": {"name": "vcg"},
        "population": {"n_annotators": 10, "capacity": 4},
        "buyer": {"budget": 8.0, "rounds": 3, "demand_per_round": 16, "labels_per_item": 2},
    },
    "first_price_dawid_skene_uncertainty_budget": {
        "mechanism": {"name": "first_price"},
        "population": {
            "n_annotators": 12,
            "capacity": 3,
            "judge_mix": {"bradley_terry": 0.5, "lexicographic": 0.25, "spammer": 0.25},
            "bidding_mix": {"equilibrium": 0.5, "markup": 0.5},
            "bias_feature": "length",
            "bias_share": 0.5,
            "bias_strength": 1.0,
        },
        "buyer": {
            "budget": 6.0,
            "rounds": 3,
            "demand_mode": "budget",
            "labels_per_item": 3,
            "aggregation": "dawid_skene",
            "item_selection": "uncertainty",
            "valuation": "mean",
        },
    },
    "learning_sellers_vickrey_feedback_qa_dpo": {
        "mechanism": {"name": "vickrey_feedback"},
        "population": {
            "n_annotators": 10,
            "capacity": 3,
            "bidding_mix": {"learning": 0.7, "truthful": 0.3},
            "judge_mix": {"thurstone": 0.5, "adversarial": 0.1, "bradley_terry": 0.4},
        },
        "buyer": {
            "budget": 10.0,
            "rounds": 4,
            "demand_per_round": 12,
            "labels_per_item": 2,
            "pair_weights": "qa_dpo",
            "pacing": False,
        },
    },
    "vcg_budget_demand_bisection": {
        "mechanism": {"name": "vcg"},
        "population": {"n_annotators": 10, "capacity": 3},
        "buyer": {"budget": 4.0, "rounds": 3, "demand_mode": "budget", "labels_per_item": 2},
    },
    "posted_price_no_feedback": {
        "mechanism": {"name": "posted_price", "params": {"price": 0.3}},
        "population": {"n_annotators": 8, "capacity": 5},
        "buyer": {"budget": 5.0, "rounds": 2, "demand_per_round": 10, "feedback": False},
    },
}


def market_tables(name: str) -> dict[str, pd.DataFrame]:
    """The results tables (rounds, annotators, transactions, labels) of market ``name``."""
    config = MarketConfig.from_dict({**MARKETS[name], "reward_model": SMALL_MODEL, "seed": 7})
    return MarketModel(config).run().results()


def path_of(name: str, table: str) -> Path:
    return HERE / f"{name}.{table}.parquet"


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name in MARKETS:
        for table, frame in market_tables(name).items():
            frame.to_parquet(path_of(name, table))
            print(name, table, frame.shape)
