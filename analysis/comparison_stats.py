"""The numbers of a many-seed mechanism comparison: per-row means with intervals, paired
differences to a baseline, the cost-efficiency frontier, and how far learning sellers shade.

Input is a comparison's ``rounds`` (and ``annotators``) table with identity columns
``scenario``, ``mechanism`` (the row), ``budget`` (total) and ``seed_index``. Rows share seeds
(common random numbers), so every difference is paired by seed; every interval is the 95%
Student-t interval of :mod:`analysis.intervals`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.intervals import excludes_zero, mean_interval, paired_interval, paired_sd
from analysis.outcomes import OUTCOMES, run_outcomes
from analysis.records import (
    DIFFERENCE_COLUMNS,
    FRONTIER_COLUMNS,
    SHADING_COLUMNS,
    SPEND_NEEDED_COLUMNS,
)
from analysis.resolution import min_detectable_difference
from analysis.sweep_report import summarise

RUN_IDENTITY = ["scenario", "mechanism", "budget", "seed_index"]
"""Columns that name one market of a comparison."""


def seed_outcomes(rounds: pd.DataFrame) -> pd.DataFrame:
    """One row per market: its identity and every outcome (:mod:`analysis.outcomes`)."""
    outcomes = run_outcomes(rounds, RUN_IDENTITY)
    outcomes["spend_per_label"] = outcomes["cumulative_spend"] / outcomes["labels"].replace(
        0, np.nan
    )
    return outcomes


def with_intervals(outcomes: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Per row (index, in ``order``): each outcome's mean (bare name, as with one seed) and
    ``<outcome>_mean``, ``<outcome>_ci_low``, ``<outcome>_ci_high``, and ``n_seeds``
    (:func:`analysis.sweep_report.summarise`)."""
    table = summarise(outcomes, ["mechanism"]).set_index("mechanism").reindex(order)
    bare = pd.DataFrame({outcome: table[f"{outcome}_mean"] for outcome in OUTCOMES})
    return pd.concat([bare, table.drop(columns="n_seeds"), table[["n_seeds"]]], axis=1)


def _by_seed(outcomes: pd.DataFrame, row: str, outcome: str) -> pd.Series:
    """``row``'s outcome by seed index; ``outcomes`` must hold one market per row and seed
    (one budget and scenario), or seeds would be paired across budgets."""
    group = outcomes[outcomes["mechanism"] == row]
    if group["seed_index"].duplicated().any():
        raise ValueError(f"outcomes: {row} has several markets per seed; select one budget")
    return group.set_index("seed_index")[outcome].sort_index()


def paired_differences(
    outcomes: pd.DataFrame, baseline: str, order: list[str], names=tuple(OUTCOMES)
) -> pd.DataFrame:
    """Each row minus ``baseline``, seed by seed, for each outcome: long format with the
    columns of :data:`analysis.records.DIFFERENCE_COLUMNS`."""
    records = []
    for row in order:
        if row == baseline:
            continue
        for outcome in names:
            mine, theirs = _by_seed(outcomes, row, outcome), _by_seed(outcomes, baseline, outcome)
            records.append(_difference(row, baseline, outcome, mine, theirs))
    return pd.DataFrame(records, columns=list(DIFFERENCE_COLUMNS))


def _difference(row: str, baseline: str, outcome: str, mine, theirs) -> dict:
    """The paired difference of two per-seed series (aligned on their common seeds)."""
    mine, theirs = mine.align(theirs, join="inner")
    mean, low, high, n = paired_interval(mine, theirs)
    smallest = min_detectable_difference(paired_sd(mine, theirs), n)
    values = (row, baseline, outcome, mean, low, high, n, excludes_zero(low, high), smallest)
    return dict(zip(DIFFERENCE_COLUMNS, values, strict=True))


def frontier(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per row and total budget: mean spend, mean labels and the final reward accuracy's mean
    and 95% interval over seeds (the cost-efficiency frontier)."""
    records = []
    for (row, budget), group in outcomes.groupby(["mechanism", "budget"], sort=False):
        mean, low, high, n = mean_interval(group["reward_accuracy"])
        records.append(
            {
                "mechanism": row,
                "budget": budget,
                "spend": group["cumulative_spend"].mean(),
                "labels": group["labels"].mean(),
                "reward_accuracy": mean,
                "ci_low": low,
                "ci_high": high,
                "n_seeds": n,
            }
        )
    frame = pd.DataFrame(records, columns=list(FRONTIER_COLUMNS))
    return frame.sort_values(["mechanism", "budget"], kind="stable")


def crossing(spend: np.ndarray, accuracy: np.ndarray, target: float) -> float:
    """Where a curve of points ascending in ``spend`` first reaches ``target``, interpolated
    linearly between the points around the crossing; ``-inf`` when the first point already
    reaches it (the crossing lies below the budgets run), ``inf`` when no point does, NaN for
    a curve with an undefined point (a band over one seed)."""
    accuracy = np.asarray(accuracy, dtype=float)
    if not np.isfinite(accuracy).all():
        return math.nan
    reached = np.flatnonzero(accuracy >= target)
    if reached.size == 0:
        return math.inf
    i = reached[0]
    if i == 0:
        return -math.inf
    share = (target - accuracy[i - 1]) / (accuracy[i] - accuracy[i - 1])
    return float(spend[i - 1] + share * (spend[i] - spend[i - 1]))


def spend_needed(points: pd.DataFrame, target: float, order: list[str]) -> pd.DataFrame:
    """Per row: the spend at which its frontier (:func:`frontier`) reaches reward accuracy
    ``target``, and a 95% interval: the spends at which the upper and the lower edge of the
    frontier's band reach it (inverting a confidence band, as a calibration interval inverts
    a regression's). ``-inf``: reached below the smallest budget; ``inf``: not within the
    largest; NaN: no band (one seed).
    ``lowest_spend`` and ``highest_spend`` give the range of budgets run."""
    records = []
    for row in order:
        curve = points[points["mechanism"] == row].sort_values("spend")
        spend = curve["spend"].to_numpy(float)
        records.append(
            {
                "mechanism": row,
                "target_accuracy": target,
                "spend": crossing(spend, curve["reward_accuracy"].to_numpy(float), target),
                "ci_low": crossing(spend, curve["ci_high"].to_numpy(float), target),
                "ci_high": crossing(spend, curve["ci_low"].to_numpy(float), target),
                "lowest_spend": spend.min(),
                "highest_spend": spend.max(),
            }
        )
    return pd.DataFrame(records, columns=list(SPEND_NEEDED_COLUMNS)).set_index("mechanism")


def ask_over_cost(annotators: pd.DataFrame) -> pd.DataFrame:
    """Mean ask / cost over a market's annotators, per scenario, row, seed and round."""
    ratio = annotators.assign(shading=annotators["ask"] / annotators["cost"])
    keys = ["scenario", "mechanism", "seed_index", "round"]
    return ratio.groupby(keys, sort=False)["shading"].mean().reset_index()


def shading_by_round(annotators: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, row and round: mean ask / cost, with its 95% interval over seeds."""
    per_seed = ask_over_cost(annotators)
    records = []
    for (scenario, row, round_), group in per_seed.groupby(
        ["scenario", "mechanism", "round"], sort=False
    ):
        mean, low, high, n = mean_interval(group["shading"])
        records.append(
            {
                "scenario": scenario,
                "mechanism": row,
                "round": round_,
                "ask_over_cost": mean,
                "ci_low": low,
                "ci_high": high,
                "n_seeds": n,
            }
        )
    return pd.DataFrame(records, columns=list(SHADING_COLUMNS))


def scenario_differences(
    outcomes: pd.DataFrame, scenario: str, main: str, names: tuple[str, ...]
) -> pd.DataFrame:
    """Each of ``scenario``'s rows minus the same row in ``main``, seed by seed (long format as
    :func:`paired_differences`, ``baseline`` naming ``main``)."""
    records = []
    inside = outcomes[outcomes["scenario"] == scenario]
    reference = outcomes[outcomes["scenario"] == main]
    budgets = set(inside["budget"])
    reference = reference[reference["budget"].isin(budgets)]
    for row in inside["mechanism"].unique():
        for outcome in names:
            mine, theirs = _by_seed(inside, row, outcome), _by_seed(reference, row, outcome)
            records.append(_difference(row, main, outcome, mine, theirs))
    return pd.DataFrame(records, columns=list(DIFFERENCE_COLUMNS))
