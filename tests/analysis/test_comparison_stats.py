"""The comparison's numbers on hand-made tables: paired differences, frontier crossings,
shading."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from analysis import comparison_stats as stats


def _outcomes():
    """Two rows on three seeds at two budgets; b is a + 0.02 + seed noise at budget 10."""
    rows = []
    for seed, shift in enumerate([0.0, 0.01, -0.01]):
        for budget, accuracy in ((10.0, 0.60), (20.0, 0.70)):
            rows.append(("a", budget, seed, accuracy + shift, budget, 100 * budget))
            rows.append(
                ("b", budget, seed, accuracy + 0.02 + shift * 2, budget * 0.9, 110 * budget)
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "mechanism",
            "budget",
            "seed_index",
            "reward_accuracy",
            "cumulative_spend",
            "labels",
        ],
    )
    return frame.assign(scenario="main")


def test_paired_difference_is_the_t_interval_of_per_seed_differences():
    outcomes = _outcomes()
    at_10 = outcomes[outcomes["budget"] == 10.0]
    table = stats.paired_differences(at_10, "a", ["a", "b"], names=("reward_accuracy",))
    (row,) = table.to_dict("records")
    per_seed = np.array([0.02, 0.03, 0.01])
    half = scipy_stats.t.ppf(0.975, 2) * per_seed.std(ddof=1) / math.sqrt(3)
    assert row["difference"] == pytest.approx(per_seed.mean())
    assert row["ci_low"] == pytest.approx(per_seed.mean() - half)
    assert row["ci_high"] == pytest.approx(per_seed.mean() + half)
    assert not row["excludes_zero"] and row["n_seeds"] == 3  # 0.020 ± 0.025 holds 0


def test_crossing_interpolates_and_marks_both_ends():
    spend, accuracy = np.array([10.0, 20.0, 40.0]), np.array([0.6, 0.7, 0.8])
    assert stats.crossing(spend, accuracy, 0.75) == pytest.approx(30.0)
    assert stats.crossing(spend, accuracy, 0.55) == -math.inf
    assert stats.crossing(spend, accuracy, 0.9) == math.inf
    assert math.isnan(stats.crossing(spend, np.array([0.6, np.nan, 0.8]), 0.7))  # no band
    # The first crossing of a curve that dips is the one reported.
    dips = np.array([0.6, 0.72, 0.7])
    assert stats.crossing(spend, dips, 0.71) == pytest.approx(10 + 10 * 11 / 12)


def test_spend_needed_inverts_the_mean_frontier_and_its_band():
    points = stats.frontier(_outcomes())
    needed = stats.spend_needed(points, 0.65, ["a", "b"])
    # Row a: the mean runs 0.60 -> 0.70 over spend 10 -> 20, so 0.65 is reached at 15.
    assert needed.loc["a", "spend"] == pytest.approx(15.0)
    assert needed.loc["a", "ci_low"] < 15.0 < needed.loc["a", "ci_high"]
    assert needed.loc["b", "spend"] < needed.loc["a", "spend"]


def test_pairing_across_budgets_is_refused():
    with pytest.raises(ValueError, match="several markets per seed"):
        stats.paired_differences(_outcomes(), "a", ["a", "b"])


def test_shading_is_the_mean_ask_over_cost_by_round():
    annotators = pd.DataFrame(
        {
            "scenario": "learning",
            "mechanism": "vcg",
            "seed_index": [0, 0, 1, 1],
            "round": [0, 0, 0, 0],
            "ask": [0.2, 0.3, 0.1, 0.4],
            "cost": [0.1, 0.2, 0.1, 0.2],
        }
    )
    shading = stats.shading_by_round(annotators)
    assert shading["ask_over_cost"].item() == pytest.approx(((2.0 + 1.5) / 2 + (1.0 + 2.0) / 2) / 2)
