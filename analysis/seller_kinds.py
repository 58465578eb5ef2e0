"""Who was paid and how good their labels were, by seller kind (human, or an AI judge's
profile), and where each row of a comparison lands on the human-AI mix.

Inputs are a comparison's ``annotators`` table (its ``kind`` column), its ``labels`` table
and its seed outcomes (:func:`analysis.comparison_stats.seed_outcomes`), each with the
identity columns ``scenario, mechanism, budget, seed_index``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.comparison_stats import RUN_IDENTITY
from analysis.intervals import mean_interval
from analysis.records import AI_SHARE, HUMAN, SPEND_BY_KIND
from analysis.report import Block, save_figure


def has_ai_sellers(annotators: pd.DataFrame) -> bool:
    """Whether any seller of the comparison is not human."""
    return bool((annotators["kind"] != HUMAN).any())


MARKET = ["mechanism", "budget", "seed_index"]
"""Columns that name one market of the main scenario."""
BY_KIND = ["mechanism", "budget", "kind"]


def spend_by_kind(annotators: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Per row, budget and seller kind (``analysis.records.SPEND_BY_KIND``): spend and
    labels a market (means over seeds); the share of its regular labels that agree with gold
    (over every seed's; golden checks, drawn with replacement from a small pool, are left
    out, as in the rounds' label accuracy); and the quality the buyer believes at the end
    (its posterior mean after the last round, averaged over the kind's sellers and the
    seeds): beside the label accuracy, whether the buyer learned what a kind's labels are
    worth.
    """
    paid = annotators.groupby([*MARKET, "kind"], sort=False)[["payment", "units"]].sum()
    by_kind = paid.groupby(BY_KIND, sort=False).mean()
    last = annotators[annotators["round"] == annotators.groupby(MARKET)["round"].transform("max")]
    believed = last.groupby(BY_KIND, sort=False)["quality_estimate"].mean()
    kinds = annotators[[*RUN_IDENTITY, "round", "annotator", "kind"]]
    sold = labels[~labels["golden"]].merge(
        kinds,
        left_on=[*RUN_IDENTITY, "round", "worker"],
        right_on=[*RUN_IDENTITY, "round", "annotator"],
    )
    accuracy = sold.groupby(BY_KIND, sort=False)["correct"].mean()
    table = by_kind.join(accuracy, how="left").join(believed).reset_index()
    table = table.rename(
        columns={"payment": "spend", "units": "labels", "correct": "label_accuracy"}
    )
    return table[list(SPEND_BY_KIND.names)]


def ai_share_points(annotators: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per row and budget (``analysis.records.AI_SHARE``): the share of spend that went to
    AI sellers and the final reward accuracy, each a mean over seeds with its 95% interval."""
    ai_paid = annotators["payment"].where(annotators["kind"] != HUMAN, 0.0)
    paid = annotators.assign(ai_paid=ai_paid).groupby(MARKET, sort=False)
    spend = paid[["ai_paid", "payment"]].sum()
    share = (spend["ai_paid"] / spend["payment"].replace(0, np.nan)).rename("ai_share")
    joined = outcomes.set_index(MARKET)[["reward_accuracy"]].join(share).reset_index()
    records = []
    for (row, budget), group in joined.groupby(["mechanism", "budget"], sort=False):
        share_mean, share_low, share_high, _ = mean_interval(group["ai_share"])
        accuracy, low, high, _ = mean_interval(group["reward_accuracy"])
        records.append((row, budget, share_mean, share_low, share_high, accuracy, low, high))
    return pd.DataFrame(records, columns=list(AI_SHARE.names))


def plot_ai_share(points: pd.DataFrame, path: Path) -> Path:
    """Final reward accuracy against the share of spend on AI sellers: one panel per budget,
    a point per row with its 95% intervals on both axes."""
    budgets = sorted(points["budget"].unique())
    fig, axes = plt.subplots(
        1, len(budgets), figsize=(4.2 * len(budgets), 4.2), sharey=True, squeeze=False
    )
    for ax, budget in zip(axes[0], budgets, strict=True):
        panel = points[points["budget"] == budget]
        for _, point in panel.iterrows():
            ax.errorbar(
                point["ai_share"],
                point["reward_accuracy"],
                xerr=[
                    [point["ai_share"] - point["ai_share_low"]],
                    [point["ai_share_high"] - point["ai_share"]],
                ],
                yerr=[
                    [point["reward_accuracy"] - point["ci_low"]],
                    [point["ci_high"] - point["reward_accuracy"]],
                ],
                marker="o",
                capsize=3,
                label=point["mechanism"],
            )
        ax.set_title(f"budget {budget:g}")
        ax.set_xlabel("share of spend on AI judge sellers")
        ax.set_xlim(-0.05, 1.05)
    axes[0][0].set_ylabel("final reward accuracy on held-out gold pairs")
    axes[0][-1].legend(fontsize=7)
    return save_figure(fig, path)


def seller_kind_blocks(tables: dict[str, pd.DataFrame], figures: Path) -> list[Block]:
    """The report's section on seller kinds: reward accuracy against the share of spend on AI
    sellers (``tables["ai_share"]``) and the spend-by-kind table (``tables["spend_by_kind"]``)."""
    by_kind = tables["spend_by_kind"].round(
        {"spend": 3, "labels": 0, "label_accuracy": 3, "quality_estimate": 3}
    )
    figure = plot_ai_share(tables["ai_share"], figures / "ai_share.png")
    return [
        Block("heading", "Human and AI labels"),
        Block(
            "figure",
            "Final reward accuracy against the share of spend on AI sellers (95% intervals "
            "over seeds on both axes)",
            path=figure,
        ),
        Block("table", table=by_kind.set_index(["mechanism", "budget", "kind"])),
        Block(
            "text",
            "Spend and labels a market (means over seeds), the share of its regular labels "
            "that agree with gold, and the quality the buyer believes after the last round "
            "(its posterior mean), by seller kind (human, or an AI seller's profile or "
            "rlaif); spend_by_kind.csv and ai_share.csv hold the tables.",
        ),
    ]
