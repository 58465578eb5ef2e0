"""Writes ``cpu_reference.json``: what one small market and three reward models compute on the
CPU, so that a later change (the device path of the reward model) can be held to the same
numbers, bit for bit (``tests/sim/reward/test_cpu_reference.py``).

Run from the repository root: ``python tests/data/cpu_reference.py``. The file was written at
revision 3b5845d, before the reward model had a ``device`` setting; regenerate it only when a
change of results is intended, and say so in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from sim.config import MarketConfig
from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, gold_pairs, weight_vector
from sim.market import MarketModel
from sim.reward import RewardModel

HERE = Path(__file__).parent
MARKET = {
    "population": {"n_annotators": 12, "capacity": 4},
    "buyer": {"budget": 6.0, "rounds": 3, "demand_per_round": 16, "labels_per_item": 2},
    "reward_model": {"trainable_layers": 1, "eval_pairs": 40, "torch_threads": 1},
}
MODELS = {
    "finetune": {"trainable_layers": "all", "batch_size": 8, "max_length": 64},
    "partial_bf16": {"trainable_layers": 2, "precision": "bf16", "max_length": 64},
    "head": {"trainable_layers": 0, "epochs": 3},
}


def reference() -> dict:
    """The rounds table of the market and, per model, its rewards of 24 test texts after
    fitting 48 gold pairs."""
    rounds = MarketModel(MarketConfig.from_dict(MARKET)).run().results()["rounds"]
    corpus = builtin_corpus(seed=0)
    pairs = gold_pairs(
        corpus, corpus.pairs("train").iloc[:48], weight_vector(DEFAULT_TARGET_WEIGHTS)
    )
    test = gold_pairs(corpus, corpus.pairs("test").iloc[:12], weight_vector(DEFAULT_TARGET_WEIGHTS))
    models = {}
    for name, settings in MODELS.items():
        model = RewardModel(**settings, seed=3, torch_threads=1, progress=False).fit(pairs)
        rewards = model.score(
            list(test["prompt"]) * 2, list(test["chosen"]) + list(test["rejected"])
        )
        models[name] = [float(r) for r in rewards]
    return {
        "market": {column: rounds[column].astype(float).tolist() for column in rounds.columns},
        "models": models,
    }


if __name__ == "__main__":
    data = reference()
    (HERE / "cpu_reference.json").write_text(json.dumps(data, indent=1) + "\n")
    np.set_printoptions(precision=4)
    print(json.dumps(data)[:400], file=sys.stderr)
