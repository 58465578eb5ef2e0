"""The comparison's answer in words, generated from its numbers: a short list of claims, the
answer to the run's question first (which row trains the best reward model for the money).

A paired difference (a row of a :data:`analysis.records.DIFFERENCE_COLUMNS` table)
reads as one of four :func:`verdict` s:

- identical: every per-seed difference is exactly 0;
- an effect: its 95% paired interval excludes 0 and its size exceeds the resolution of one
  evaluation (for reward accuracy the binomial standard error of one test-split
  evaluation, :func:`analysis.resolution.evaluation_resolution`; 0 for other outcomes);
- below resolution: the interval excludes 0 but the size does not exceed that resolution;
- not distinguishable: the interval holds 0 (or there is none), said with the minimum
  detectable difference at its seeds (power 0.8, :mod:`analysis.resolution`): a real
  difference is likely smaller than that.

The spend to reach a target is compared more cautiously: one row is said to need more only
when the two rows' intervals (inverted frontier bands, pointwise 95%) do not overlap. Numbers
are means over seeds with the half-width of their 95% interval (:mod:`analysis.intervals`);
differences of reward accuracy are in points (hundredths).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.intervals import with_interval
from analysis.resolution import POWER

IDENTICAL = "identical"
EFFECT = "effect"
BELOW_RESOLUTION = "below resolution"
NOT_DISTINGUISHABLE = "not distinguishable"

UNITS = {"reward_accuracy": (100.0, 2, " points"), "labels": (1.0, 0, " labels")}
"""How a difference in an outcome is written: scale, decimals, unit (others: as is, 3
decimals)."""


def _names(rows: list[str]) -> str:
    if len(rows) == 1:
        return rows[0]
    return ", ".join(rows[:-1]) + " and " + rows[-1]


def _is(rows: list[str]) -> str:
    return "is" if len(rows) == 1 else "are"


def verdict(diff: pd.Series, resolution: float = 0.0) -> str:
    """How one paired difference reads (module docstring): :data:`IDENTICAL`,
    :data:`EFFECT`, :data:`BELOW_RESOLUTION` or :data:`NOT_DISTINGUISHABLE`.

    Every per-seed difference is exactly 0 when the mean is 0 and the interval has no width
    (a standard deviation of exactly 0), or is undefined (one seed). An undefined (NaN)
    ``resolution`` leaves the interval rule alone.
    """
    if diff["difference"] == 0 and not diff["ci_high"] - diff["ci_low"] > 0:
        return IDENTICAL
    if not diff["excludes_zero"]:
        return NOT_DISTINGUISHABLE
    return BELOW_RESOLUTION if abs(diff["difference"]) <= resolution else EFFECT


def _verdicts(diffs: pd.DataFrame, resolution: float) -> pd.Series:
    """:func:`verdict` of each row of ``diffs``, on its index."""
    return pd.Series(
        [verdict(diff, resolution) for _, diff in diffs.iterrows()], index=diffs.index, dtype=object
    )


def _amount(outcome: str, value: float) -> str:
    """``value`` (a difference in ``outcome``) in its unit (:data:`UNITS`)."""
    scale, digits, unit = UNITS.get(outcome, (1.0, 3, ""))
    return f"{scale * value:.{digits}f}{unit}"


def _change(diff: pd.Series, sign: float = 1.0) -> str:
    """``sign`` times the difference with the half-width of its interval, in its unit."""
    scale, digits, unit = UNITS.get(diff["outcome"], (1.0, 3, ""))
    ends = sorted(sign * scale * diff[k] for k in ("ci_low", "ci_high"))
    return with_interval(sign * scale * diff["difference"], *ends, digits) + unit


def _undetected(diffs: pd.DataFrame) -> str:
    """What differences that are not distinguishable from 0 are likely smaller than: the
    (largest, and the typical) minimum detectable difference at their seeds."""
    smallest = diffs["min_detectable"].astype(float).dropna()
    if smallest.empty:
        return "with no minimum detectable difference (one seed)"
    outcome, seeds = diffs["outcome"].iloc[0], int(diffs["n_seeds"].max())
    at = f"at {seeds} seeds, power {POWER:g}"
    if len(smallest) == 1:
        return (
            f"likely smaller than {_amount(outcome, smallest.iloc[0])} "
            f"(the minimum detectable difference {at})"
        )
    return (
        f"likely smaller than {_amount(outcome, smallest.max())} (the largest minimum "
        f"detectable difference {at}; typical {_amount(outcome, smallest.median())})"
    )


def _below(outcome: str, resolution: float) -> str:
    return f"below what one evaluation resolves (± {_amount(outcome, resolution)})"


def accuracy_findings(
    summary: pd.DataFrame, to_best: pd.DataFrame, budget: float, n_seeds: int, resolution: float
) -> list[str]:
    """Which row trains the best reward model at ``budget``, and how every other row compares
    with it (``to_best``: paired differences to the best row; ``resolution``: of one
    evaluation of reward accuracy). The first claim answers the run's question."""
    best = summary["reward_accuracy_mean"].idxmax()
    row = summary.loc[best]
    reached = with_interval(
        row["reward_accuracy_mean"], row["reward_accuracy_ci_low"], row["reward_accuracy_ci_high"]
    )
    where = f"At budget {budget:g} ({n_seeds} seed{'' if n_seeds == 1 else 's'})"
    if n_seeds < 2:
        return [
            f"{where}, {best} reaches the highest reward accuracy, {reached}; with one seed "
            "there is no interval: rerun with seeds >= 3 to compare the rows."
        ]
    accuracy = to_best[to_best["outcome"] == "reward_accuracy"]
    kinds = _verdicts(accuracy, resolution)
    by_kind = {
        kind: accuracy[kinds == kind]
        for kind in (NOT_DISTINGUISHABLE, IDENTICAL, BELOW_RESOLUTION, EFFECT)
    }
    tied = _ties(by_kind)
    if tied:
        findings = [
            f"{where}, no row is shown to train the best reward model for the money: {best} "
            f"reaches the highest reward accuracy, {reached}, but {'; '.join(tied)}."
        ]
    elif len(by_kind[EFFECT]):
        findings = [
            f"{where}, {best} trains the best reward model for the money: reward accuracy "
            f"{reached}, ahead of every other row."
        ]
    else:
        findings = [f"{where}, {best} reaches reward accuracy {reached}."]
    return findings + _compared_with_best(best, by_kind, resolution)


def _ties(by_kind: dict[str, pd.DataFrame]) -> list[str]:
    """The rows not shown to be behind the best, one clause per verdict: not distinguishable
    from it, identical to it, or behind it by less than one evaluation resolves (``by_kind``:
    the paired differences to the best row of each verdict)."""
    unclear = by_kind[NOT_DISTINGUISHABLE]
    return [
        f"{_names(rows)} {_is(rows)} {what}"
        for rows, what in (
            (
                unclear["mechanism"].tolist(),
                f"not distinguishable from it, a difference {_undetected(unclear)}",
            ),
            (
                by_kind[IDENTICAL]["mechanism"].tolist(),
                "identical to it (every seed's difference exactly 0)",
            ),
            (
                by_kind[BELOW_RESOLUTION]["mechanism"].tolist(),
                "behind it by less than one evaluation resolves",
            ),
        )
        if rows
    ]


def _compared_with_best(
    best: str, by_kind: dict[str, pd.DataFrame], resolution: float
) -> list[str]:
    """How each row that is not identical to ``best`` compares with it, in numbers: those
    not distinguishable from it, those behind it by less than one evaluation resolves, and
    those behind it (``by_kind``: the paired differences to ``best`` of each verdict)."""
    unclear, unresolved, behind = (
        by_kind[kind] for kind in (NOT_DISTINGUISHABLE, BELOW_RESOLUTION, EFFECT)
    )
    findings = []
    if len(unclear):
        parts = [
            f"{d['mechanism']} {_change(d)} (detectable from "
            f"{_amount('reward_accuracy', d['min_detectable'])})"
            for _, d in unclear.iterrows()
        ]
        findings.append(f"Not distinguishable from {best}: {'; '.join(parts)}.")
    for _, d in unresolved.iterrows():
        findings.append(
            f"{d['mechanism']} is behind {best} by {_change(d, -1)}, "
            f"{_below('reward_accuracy', resolution)}: not an effect."
        )
    if len(behind):
        parts = [f"{d['mechanism']} by {_change(d, -1)}" for _, d in behind.iterrows()]
        findings.append(f"Behind {best} in reward accuracy: {'; '.join(parts)}.")
    return findings


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


def _reading(diff: pd.Series, resolution: float) -> str:
    """The verdict of a difference that is not identical, after its size."""
    kind = verdict(diff, resolution)
    if kind == EFFECT:
        return "an effect"
    if kind == BELOW_RESOLUTION:
        return f"{_below(diff['outcome'], resolution)}, not an effect"
    return f"not distinguishable from no change, {_undetected(pd.DataFrame([diff]))}"


def weighting_findings(differences: pd.DataFrame, resolution: float) -> list[str]:
    """QA-DPO against unweighted training (``differences``: weighted row minus its twin;
    ``resolution``: of one evaluation of reward accuracy)."""
    findings = []
    for _, diff in differences[differences["outcome"] == "reward_accuracy"].iterrows():
        pair = f"{diff['mechanism']} minus {diff['baseline']}"
        if verdict(diff, resolution) == IDENTICAL:
            findings.append(
                f"QA-DPO weights leave {diff['baseline']}'s reward accuracy identical "
                f"({pair}: every seed's difference exactly 0)."
            )
            continue
        findings.append(
            f"QA-DPO weights change {diff['baseline']}'s reward accuracy by {_change(diff)} "
            f"({pair}): {_reading(diff, resolution)}."
        )
    return findings


def shading_findings(
    shading: pd.DataFrame, effects: pd.DataFrame, scenario: str, main: str, resolution: float
) -> list[str]:
    """How far sellers of ``scenario`` shade by the last round, and what it costs the buyer
    (``effects``: paired differences ``scenario`` minus ``main``; ``resolution``: of one
    evaluation of reward accuracy, the only outcome with one)."""
    last = shading[shading["scenario"] == scenario]
    last = last[last["round"] == last["round"].max()]
    parts = [
        f"{r['mechanism']} {with_interval(r['ask_over_cost'], r['ci_low'], r['ci_high'], 2)}"
        for _, r in last.iterrows()
    ]
    findings = [
        f"With {scenario.replace('_', ' ')}, mean ask / cost in the last round: {'; '.join(parts)}."
    ]
    for outcome, what in (("labels", "labels"), ("reward_accuracy", "reward accuracy")):
        diffs = effects[effects["outcome"] == outcome]
        floor = resolution if outcome == "reward_accuracy" else 0.0
        kinds = _verdicts(diffs, floor)
        for _, diff in diffs[kinds.isin([EFFECT, BELOW_RESOLUTION])].iterrows():
            findings.append(
                f"Under {diff['mechanism']} that changes the buyer's {what} by {_change(diff)} "
                f"against the {main} scenario's sellers: {_reading(diff, floor)}."
            )
        same = diffs.loc[kinds == IDENTICAL, "mechanism"].tolist()
        if same:
            findings.append(
                f"{_names(same)}: identical {what} under either sellers (every seed's "
                "difference exactly 0)."
            )
        quiet = diffs[kinds == NOT_DISTINGUISHABLE]
        if len(quiet):
            findings.append(
                f"{_names(quiet['mechanism'].tolist())}: no {what} change the intervals can "
                f"show, {_undetected(quiet)}."
            )
    return findings
