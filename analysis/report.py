"""The mechanism-comparison report: tables with intervals, figures, and findings, written
as Markdown (``report.md`` beside ``figures/*.png``) and as one self-contained HTML file
(``report.html``, the figures embedded as data URIs).

Inputs are a comparison's result tables with identity columns ``scenario``, ``mechanism``
(the row), ``budget`` and ``seed_index`` (:mod:`analysis.comparison_stats`). Figures are
drawn with matplotlib's Agg backend. The report's content is one list of blocks, rendered
twice, so the two files always say the same.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.intervals import mean_interval, with_interval
from analysis.outcomes import LABELS

SKILL_BANDS = ("bottom quartile", "second quartile", "third quartile", "top quartile")


@dataclass(frozen=True)
class Block:
    """One piece of a report: ``kind`` is ``heading``, ``text``, ``list`` (of ``items``),
    ``table`` or ``figure``."""

    kind: str
    text: str = ""
    table: pd.DataFrame | None = None
    path: Path | None = None
    items: tuple[str, ...] = ()


def bullet_list(items: Iterable[str]) -> str:
    """``items`` as a Markdown bullet list, one a line (also how a terminal shows them)."""
    return "\n".join(f"- {item}" for item in items)


def spend_by_skill_band(annotators: pd.DataFrame) -> pd.DataFrame:
    """Total payments per row to each skill quartile of the population, over all seeds.

    Quartiles are taken over each market's population (one row per annotator), so bands hold
    the same annotators for every row run on the same seed.
    """
    frames = {}
    for (row, _seed), group in annotators.groupby(["mechanism", "seed_index"], sort=False):
        skill = group.groupby("annotator")["skill"].first()
        band = pd.qcut(skill.rank(method="first"), 4, labels=list(SKILL_BANDS))
        paid = group.groupby("annotator")["payment"].sum().groupby(band, observed=False).sum()
        frames[row] = frames.get(row, 0.0) + paid
    return pd.DataFrame(frames).T.reindex(columns=list(SKILL_BANDS)).fillna(0.0)


def plot_frontier(points: pd.DataFrame, path: Path) -> Path:
    """Final reward accuracy against total spend, one line per row, 95% bands over seeds."""
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for row, group in points.groupby("mechanism", sort=False):
        line = ax.plot(group["spend"], group["reward_accuracy"], marker="o", label=row)[0]
        ax.fill_between(
            group["spend"], group["ci_low"], group["ci_high"], color=line.get_color(), alpha=0.15
        )
    ax.set_xlabel("total spend (mean over seeds)")
    ax.set_ylabel("final reward accuracy on held-out gold pairs")
    ax.set_title("Cost-efficiency frontier (bands: 95% intervals over seeds)")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_by_round(rounds: pd.DataFrame, column: str, ylabel: str, title: str, path: Path) -> Path:
    """``column`` by round per row: the mean over seeds with a 95% band."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for row, group in rounds.groupby("mechanism", sort=False):
        stats = [mean_interval(g[column]) for _, g in group.groupby("round")]
        x = sorted(group["round"].unique())
        mean = [s[0] for s in stats]
        line = ax.plot(x, mean, marker="o", label=row)[0]
        ax.fill_between(
            x, [s[1] for s in stats], [s[2] for s in stats], color=line.get_color(), alpha=0.15
        )
    ax.set_xlabel("round")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_shading(shading: pd.DataFrame, path: Path) -> Path:
    """Mean ask / cost by round, one line per row and scenario, 95% bands over seeds."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for (scenario, row), group in shading.groupby(["scenario", "mechanism"], sort=False):
        line = ax.plot(
            group["round"], group["ask_over_cost"], marker="o", label=f"{row} ({scenario})"
        )[0]
        ax.fill_between(
            group["round"], group["ci_low"], group["ci_high"], color=line.get_color(), alpha=0.15
        )
    ax.axhline(1.0, color="grey", lw=0.8, ls=":", label="truthful")
    ax.set_xlabel("round")
    ax.set_ylabel("mean ask / true cost")
    ax.set_title("How far sellers shade their asks")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


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
    return save_figure(fig, path)


def plot_surplus_and_overpayment(summary: pd.DataFrame, path: Path) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, outcome, colour, title in (
        (left, "seller_surplus", "tab:orange", "Seller surplus (payments - true costs)"),
        (right, "overpayment", "tab:red", "Overpayment (payments / true costs)"),
    ):
        mean = summary[f"{outcome}_mean"]
        error = np.vstack(
            [mean - summary[f"{outcome}_ci_low"], summary[f"{outcome}_ci_high"] - mean]
        )
        ax.bar(summary.index, mean, color=colour, yerr=np.nan_to_num(error), capsize=3)
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=30)
    right.axhline(1.0, color="grey", lw=0.8, ls=":")
    return save_figure(fig, path)


def save_figure(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


DIGITS = {"labels": 0, "cumulative_spend": 2, "seller_surplus": 2, "overpayment": 2}
"""Decimals shown per outcome (3 for any other)."""


def display_summary(summary: pd.DataFrame, outcomes: tuple[str, ...]) -> pd.DataFrame:
    """Rows as index, one column per outcome (short label), each ``mean ± half-width``."""
    return pd.DataFrame(
        {
            LABELS[name]: [
                with_interval(
                    r[f"{name}_mean"],
                    r[f"{name}_ci_low"],
                    r[f"{name}_ci_high"],
                    DIGITS.get(name, 3),
                )
                for _, r in summary.iterrows()
            ]
            for name in outcomes
        },
        index=summary.index,
    )


def render_markdown(title: str, blocks: list[Block], directory: Path) -> str:
    lines = [f"# {title}"]
    for block in blocks:
        if block.kind == "heading":
            lines += ["", f"## {block.text}"]
        elif block.kind == "text":
            lines += ["", block.text]
        elif block.kind == "list":
            lines += ["", bullet_list(block.items)]
        elif block.kind == "table":
            lines += ["", block.table.to_markdown()]
        elif block.kind == "figure":
            lines += ["", f"![{block.text}]({block.path.relative_to(directory).as_posix()})"]
    return "\n".join(lines) + "\n"


HTML_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;"
    "color:#222}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "th:first-child,td:first-child{text-align:left}img{max-width:100%}"
)


def render_html(title: str, blocks: list[Block]) -> str:
    """One self-contained page: figures as ``data:image/png;base64`` URIs, no external file."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{HTML_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for block in blocks:
        if block.kind == "heading":
            parts.append(f"<h2>{html.escape(block.text)}</h2>")
        elif block.kind == "text":
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif block.kind == "list":
            items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
            parts.append(f"<ul>{items}</ul>")
        elif block.kind == "table":
            parts.append(block.table.to_html(classes="summary", border=0, na_rep="n/a"))
        elif block.kind == "figure":
            data = base64.b64encode(block.path.read_bytes()).decode("ascii")
            parts.append(
                f'<figure><img alt="{html.escape(block.text)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(block.text)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(title: str, blocks: list[Block], directory: Path) -> None:
    """``report.md`` and ``report.html`` in ``directory`` from the same ``blocks``."""
    (directory / "report.md").write_text(render_markdown(title, blocks, directory))
    (directory / "report.html").write_text(render_html(title, blocks))
