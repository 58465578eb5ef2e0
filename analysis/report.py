"""The mechanism-comparison report: a summary table and figures from market results.

Inputs are the concatenated result tables of several market runs, each with a
``mechanism`` column: ``rounds`` (one row per mechanism and round), ``annotators``
(per annotator per round) and ``labels`` (every label bought). Figures are PNG files
written with matplotlib's Agg backend; the report is Markdown that links them.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.outcomes import LABELS, run_outcomes

SKILL_BANDS = ("bottom quartile", "second quartile", "third quartile", "top quartile")


def summary_table(rounds: pd.DataFrame) -> pd.DataFrame:
    """One row per mechanism: every outcome of :mod:`analysis.outcomes`, by its rule."""
    return run_outcomes(rounds, ["mechanism"]).set_index("mechanism")


def spend_by_skill_band(annotators: pd.DataFrame) -> pd.DataFrame:
    """Total payments per mechanism to each skill quartile of the population.

    Quartiles are taken over each mechanism's whole population (one row per annotator),
    so bands hold the same annotators for every mechanism run on the same population.
    """
    frames = []
    for mechanism, group in annotators.groupby("mechanism", sort=False):
        skill = group.groupby("annotator")["skill"].first()
        band = pd.qcut(skill.rank(method="first"), 4, labels=list(SKILL_BANDS))
        paid = group.groupby("annotator")["payment"].sum()
        frames.append(paid.groupby(band, observed=False).sum().rename(mechanism))
    return pd.DataFrame(frames).reindex(columns=list(SKILL_BANDS)).fillna(0.0)


def plot_accuracy_against_spend(rounds: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mechanism, group in rounds.groupby("mechanism", sort=False):
        group = group.sort_values("round")
        ax.plot(group["cumulative_spend"], group["reward_accuracy"], marker="o", label=mechanism)
    ax.axhline(0.5, color="grey", lw=0.8, ls=":", label="chance")
    ax.set_xlabel("cumulative spend")
    ax.set_ylabel("reward accuracy on held-out gold pairs")
    ax.set_title("Reward accuracy against spend")
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_spend_by_skill(bands: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    shares = bands.div(bands.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    bottom = np.zeros(len(shares))
    colours = plt.get_cmap("viridis")(np.linspace(0.15, 0.9, len(SKILL_BANDS)))
    for band, colour in zip(SKILL_BANDS, colours, strict=True):
        ax.bar(shares.index, shares[band], bottom=bottom, label=band, color=colour)
        bottom += shares[band].to_numpy()
    ax.set_ylabel("share of spend")
    ax.set_title("Where the money went, by annotator skill quartile")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.tick_params(axis="x", rotation=30)
    return _save(fig, path)


def plot_surplus_and_overpayment(summary: pd.DataFrame, path: Path) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    left.bar(summary.index, summary["seller_surplus"], color="tab:orange")
    left.set_title("Seller surplus (payments - true costs)")
    right.bar(summary.index, summary["overpayment"], color="tab:red")
    right.axhline(1.0, color="grey", lw=0.8, ls=":")
    right.set_title("Overpayment (payments / true costs)")
    for ax in (left, right):
        ax.tick_params(axis="x", rotation=30)
    return _save(fig, path)


def plot_label_accuracy(rounds: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mechanism, group in rounds.groupby("mechanism", sort=False):
        group = group.sort_values("round")
        ax.plot(group["round"], group["label_accuracy"], marker="o", label=mechanism)
    ax.set_xlabel("round")
    ax.set_ylabel("share of purchased labels agreeing with gold")
    ax.set_title("Purchased-label accuracy by round")
    ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(
    rounds: pd.DataFrame,
    annotators: pd.DataFrame,
    directory: Path,
    title: str,
    preamble: str = "",
) -> pd.DataFrame:
    """Write ``report.md``, ``summary.csv`` and ``figures/*.png``; return the summary."""
    figures = directory / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    summary = summary_table(rounds)
    summary.to_csv(directory / "summary.csv")
    bands = spend_by_skill_band(annotators)
    plots = {
        "Reward accuracy against cumulative spend": plot_accuracy_against_spend(
            rounds, figures / "accuracy_vs_spend.png"
        ),
        "Spend by annotator skill quartile": plot_spend_by_skill(
            bands, figures / "spend_by_skill.png"
        ),
        "Seller surplus and overpayment": plot_surplus_and_overpayment(
            summary, figures / "surplus_overpayment.png"
        ),
        "Purchased-label accuracy": plot_label_accuracy(rounds, figures / "label_accuracy.png"),
    }
    shown = summary.rename(columns=LABELS)
    lines = [f"# {title}", "", preamble, "", "## Summary", "", shown.to_markdown(floatfmt=".3f")]
    for caption, path in plots.items():
        lines += ["", f"## {caption}", "", f"![{caption}](figures/{path.name})"]
    (directory / "report.md").write_text("\n".join(lines) + "\n")
    return summary
