"""Every round metric has exactly one reporter, in the metric table's order, and each reports
the value worked out by hand for a small round."""

import numpy as np
import pandas as pd
import pytest

from analysis.records import ROUND_METRICS, TRANSACTION_COLUMNS
from sim.round_record import ROUND_REPORTERS, RoundRecord


def test_one_reporter_per_round_metric():
    assert list(ROUND_REPORTERS) == list(ROUND_METRICS)


def test_each_reporter_on_a_hand_worked_round():
    """Four sellers; sellers 1 and 3 sell 2 and 1 labels. Values 1.0 / 0.5 per label, costs
    0.2 / 0.3, payments 1.0 / 0.4. Demand 3: the first best buys the same three labels
    (surplus 0.8 x 2 + 0.2 = 1.8), so efficiency is 1. Skills 0.1, 0.9, 0.5, 0.7: the top
    quartile (skill >= q75 = 0.75) is seller 1 alone."""
    sellers = pd.DataFrame(
        {
            "annotator": [1, 2, 3, 4],
            "cost": [0.2, 0.6, 0.3, 0.9],
            "skill": [0.9, 0.1, 0.5, 0.7],
            "capacity": [2, 2, 2, 2],
        }
    )
    transactions = pd.DataFrame(
        [[4, 1, 2, 0.25, 1.0, 0.2, 1.0, 0.9], [4, 3, 1, 0.35, 0.4, 0.3, 0.5, 0.5]],
        columns=list(TRANSACTION_COLUMNS),
    )
    regular = pd.DataFrame({"correct": [True, True, False, True]})
    record = RoundRecord(
        round=4,
        sellers=sellers,
        transactions=transactions,
        regular=regular,
        values=np.array([1.0, 0.1, 0.5, 0.05]),
        demand=3,
        cumulative_spend=7.5,
        reward_accuracy=0.64,
        cycle_rate=0.02,
    )
    expected = {
        "round": 4,
        "spend": 1.4,
        "cumulative_spend": 7.5,
        "labels": 3,
        "label_accuracy": 0.75,
        "reward_accuracy": 0.64,
        "buyer_utility": 2.5 - 1.4,
        "seller_surplus": (1.0 - 0.4) + (0.4 - 0.3),
        "welfare": 1.8,
        "efficiency": 1.0,
        "overpayment": 1.4 / 0.7,
        "top_skill_spend_share": 1.0 / 1.4,
        "cycle_rate": 0.02,
        "mean_value": 1.65 / 4,
    }
    got = {name: report(record) for name, report in ROUND_REPORTERS.items()}
    assert got == pytest.approx(expected)
