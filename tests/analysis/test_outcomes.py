"""The outcome table: every round metric is listed once, and each run rule computed by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.outcomes import OUTCOMES, run_outcomes
from analysis.records import METRICS, ROUND_METRICS

TWO_ROUNDS = pd.DataFrame(
    {
        "mechanism": ["a", "a"],
        "round": [1, 0],  # out of order: rules must read rounds in order
        "spend": [6.0, 2.0],
        "cumulative_spend": [8.0, 2.0],
        "labels": [30, 10],
        "label_accuracy": [0.9, 0.5],
        "reward_accuracy": [0.7, 0.6],
        "buyer_utility": [1.0, 2.0],
        "seller_surplus": [0.5, 0.25],
        "welfare": [1.5, 2.25],
        "efficiency": [0.8, np.nan],
        "overpayment": [1.5, 2.0],
        "top_skill_spend_share": [0.5, 1.0],
        "cycle_rate": [0.1, np.nan],
        "mean_value": [0.3, 0.4],
    }
)


def test_names_are_unique_and_every_outcome_has_a_rule_and_label():
    assert len(set(ROUND_METRICS)) == len(METRICS)
    assert all(m.label and m.meaning for m in METRICS)
    assert set(OUTCOMES) <= set(ROUND_METRICS)


def test_each_rule_by_hand():
    run = run_outcomes(TWO_ROUNDS, ["mechanism"]).iloc[0]
    assert run["reward_accuracy"] == 0.7  # last round, not last row
    assert run["cumulative_spend"] == 8.0
    assert run["cycle_rate"] == 0.1
    assert run["labels"] == 40
    assert run["welfare"] == pytest.approx(3.75)
    assert run["efficiency"] == pytest.approx(0.8)  # NaN rounds skipped
    assert run["label_accuracy"] == pytest.approx((0.5 * 10 + 0.9 * 30) / 40)
    assert run["top_skill_spend_share"] == pytest.approx((1.0 * 2 + 0.5 * 6) / 8)
    true_cost = 2.0 / 2.0 + 6.0 / 1.5
    assert run["overpayment"] == pytest.approx(8.0 / true_cost)


def test_runs_are_grouped_and_a_run_that_paid_nothing_has_no_overpayment():
    other = TWO_ROUNDS.assign(mechanism="b", spend=0.0, overpayment=np.nan, labels=0)
    table = run_outcomes(pd.concat([other, TWO_ROUNDS], ignore_index=True), ["mechanism"])
    assert list(table["mechanism"]) == ["b", "a"]  # the order runs first appear in
    table = table.set_index("mechanism")
    assert math.isnan(table.loc["b", "overpayment"])
    assert math.isnan(table.loc["b", "label_accuracy"])
    assert table.loc["a", "labels"] == 40
