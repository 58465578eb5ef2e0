"""The comparison's answer in words, generated from its numbers.

Every claim that two rows differ in an outcome is made only when the 95% paired interval of
the difference excludes 0; otherwise the text says they are not distinguishable (or that the
experiment cannot tell, with one seed). The spend to reach a target is compared more
cautiously: one row is said to need more only when the two rows' intervals (inverted
frontier bands, pointwise 95%) do not overlap. Numbers are means over seeds with the
half-width of their 95% interval (:mod:`analysis.intervals`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.intervals import with_interval


def _names(rows: list[str]) -> str:
    if len(rows) == 1:
        return rows[0]
    return ", ".join(rows[:-1]) + " and " + rows[-1]


def accuracy_findings(
    summary: pd.DataFrame, to_best: pd.DataFrame, budget: float, n_seeds: int
) -> list[str]:
    """Which row reaches the highest reward accuracy at ``budget``, and which rows the
    intervals cannot tell apart from it (``to_best``: paired differences to the best row)."""
    best = summary["reward_accuracy_mean"].idxmax()
    row = summary.loc[best]
    reached = with_interval(
        row["reward_accuracy_mean"], row["reward_accuracy_ci_low"], row["reward_accuracy_ci_high"]
    )
    sentences = [
        f"At budget {budget:g} ({n_seeds} seeds), {best} reaches reward accuracy {reached}."
    ]
    if n_seeds < 2:
        sentences.append("With one seed there is no interval: rerun with seeds >= 3 to compare.")
        return sentences
    accuracy = to_best[to_best["outcome"] == "reward_accuracy"]
    tied = accuracy.loc[~accuracy["excludes_zero"], "mechanism"].tolist()
    behind = accuracy[accuracy["excludes_zero"]]
    if tied:
        verb = "is" if len(tied) == 1 else "are"
        sentences.append(f"{_names(tied)} {verb} not distinguishable from it.")
    for _, diff in behind.iterrows():
        sentences.append(
            f"{diff['mechanism']} falls short of it by "
            f"{with_interval(-diff['difference'], -diff['ci_high'], -diff['ci_low'])}."
        )
    return sentences


def spend_text(spend: float, lowest: float, highest: float) -> str:
    """A crossing of :func:`analysis.comparison_stats.crossing` in words."""
    if spend == -np.inf:
        return f"<= {lowest:.1f}"
    if spend == np.inf:
        return f"> {highest:.1f}"
    if not np.isfinite(spend):
        return "n/a"
    return f"{spend:.1f}"


def spend_interval_text(row: pd.Series) -> str:
    """``spend (low to high)`` of one row of ``spend_needed``."""
    parts = [
        spend_text(row[k], row["lowest_spend"], row["highest_spend"])
        for k in ("spend", "ci_low", "ci_high")
    ]
    return f"{parts[0]} ({parts[1]} to {parts[2]})"


def spend_findings(needed: pd.DataFrame, baseline: str, best: str, target: float) -> list[str]:
    """The spend each row needs to reach reward accuracy ``target`` (with the inverted 95%
    band), and whether the baseline needs more than the best row: said only when their
    intervals do not overlap."""
    parts = [f"{row} {spend_interval_text(r)}" for row, r in needed.iterrows()]
    sentences = [f"Spend needed to reach reward accuracy {target:.3f}: {'; '.join(parts)}."]
    mine, theirs = needed.loc[best], needed.loc[baseline]
    bands = [mine["ci_low"], mine["ci_high"], theirs["ci_low"], theirs["ci_high"]]
    if baseline != best and not np.isnan(bands).any():
        if mine["ci_high"] < theirs["ci_low"]:
            sentences.append(f"{baseline} needs more than {best} to reach it.")
        elif theirs["ci_high"] < mine["ci_low"]:
            sentences.append(f"{baseline} needs less than {best} to reach it.")
        else:
            sentences.append(
                f"The spends {baseline} and {best} need to reach it are not distinguishable."
            )
    return sentences


def weighting_findings(differences: pd.DataFrame) -> list[str]:
    """QA-DPO against unweighted training (``differences``: weighted row minus its twin)."""
    sentences = []
    for _, diff in differences[differences["outcome"] == "reward_accuracy"].iterrows():
        change = with_interval(diff["difference"], diff["ci_low"], diff["ci_high"])
        verdict = (
            "an effect the interval supports"
            if diff["excludes_zero"]
            else "not distinguishable from no effect"
        )
        sentences.append(
            f"QA-DPO weights change {diff['baseline']}'s reward accuracy by {change} "
            f"({diff['mechanism']} minus {diff['baseline']}): {verdict}."
        )
    return sentences


def shading_findings(
    shading: pd.DataFrame, effects: pd.DataFrame, scenario: str, main: str
) -> list[str]:
    """How far sellers of ``scenario`` shade by the last round, and what it costs the buyer
    (``effects``: paired differences ``scenario`` minus ``main``)."""
    last = shading[shading["scenario"] == scenario]
    last = last[last["round"] == last["round"].max()]
    parts = [
        f"{r['mechanism']} {with_interval(r['ask_over_cost'], r['ci_low'], r['ci_high'], 2)}"
        for _, r in last.iterrows()
    ]
    sentences = [
        f"With {scenario.replace('_', ' ')}, mean ask / cost in the last round: {'; '.join(parts)}."
    ]
    for outcome, what, digits in (
        ("labels", "labels", 0),
        ("reward_accuracy", "reward accuracy", 3),
    ):
        rows = effects[(effects["outcome"] == outcome) & effects["excludes_zero"]]
        for _, diff in rows.iterrows():
            change = with_interval(diff["difference"], diff["ci_low"], diff["ci_high"], digits)
            sentences.append(
                f"Under {diff['mechanism']} that changes the buyer's {what} by {change} against "
                f"the {main} scenario's sellers."
            )
        quiet = effects[(effects["outcome"] == outcome) & ~effects["excludes_zero"]]
        if len(quiet):
            sentences.append(
                f"{_names(quiet['mechanism'].tolist())}: no {what} change the intervals can show."
            )
    return sentences
