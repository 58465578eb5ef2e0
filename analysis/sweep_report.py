"""Sweep reports: per-run outcomes, means with 95% t-intervals across seeds, tables and figures.

Input is the long ``rounds`` table of a sweep (one row per round per run) with columns
``run_key``, ``seed_index``, ``mechanism``, one column per swept axis, and the market's
per-round metrics (``analysis.records.ROUND_METRICS``). Loading it is the simulator's job; this
module only computes and draws.

Confidence intervals: 95% Student-t intervals across the seeds of a point
(:mod:`analysis.intervals`). Seeds are shared across axis points (common random numbers),
so differences between points are paired by seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.intervals import mean_interval
from analysis.outcomes import OUTCOMES
from analysis.outcomes import run_outcomes as outcome_table

LINE_COLUMN = "mechanism"
MECHANISM_AXIS = "mechanism.name"


def run_outcomes(rounds: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """One row per run: its identity (``run_key, seed_index, mechanism``, axes) and outcomes
    (each reduced over rounds by its rule in :mod:`analysis.outcomes`)."""
    identity = ["run_key", "seed_index", LINE_COLUMN, *[a for a in axes if a != LINE_COLUMN]]
    outcomes = outcome_table(rounds, ["run_key"])
    first = rounds.sort_values("round").groupby("run_key", sort=False).first()
    ids = first[[c for c in identity if c != "run_key"]].reset_index()
    return ids.merge(outcomes, on="run_key", how="left")[[*identity, *OUTCOMES]]


def summarise(outcomes: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group of ``by``: each outcome's mean, 95% interval and number of seeds.

    Columns ``<outcome>_mean``, ``<outcome>_ci_low``, ``<outcome>_ci_high`` and ``n_seeds``.
    """
    rows = []
    for key, group in outcomes.groupby(by, sort=True, dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        row["n_seeds"] = group["seed_index"].nunique()
        for outcome in OUTCOMES:
            mean, low, high, _ = mean_interval(group[outcome])
            row |= {f"{outcome}_mean": mean, f"{outcome}_ci_low": low, f"{outcome}_ci_high": high}
        rows.append(row)
    return pd.DataFrame(rows)


def axis_effect(outcomes: pd.DataFrame, axis: str, outcome: str) -> pd.DataFrame:
    """Mean and 95% interval of ``outcome`` per mechanism and value of ``axis``.

    Other axes are averaged within each seed first, so the interval is across seeds of
    the marginal mean (each seed contributes one number per point).
    """
    keys = [LINE_COLUMN, axis] if axis != LINE_COLUMN else [LINE_COLUMN]
    per_seed = outcomes.groupby([*keys, "seed_index"], sort=True)[outcome].mean().reset_index()
    rows = []
    for key, group in per_seed.groupby(keys, sort=True):
        mean, low, high, n = mean_interval(group[outcome])
        values = key if isinstance(key, tuple) else (key,)
        rows.append(
            {**dict(zip(keys, values, strict=True)), "mean": mean, "low": low, "high": high, "n": n}
        )
    return pd.DataFrame(rows)


def plot_axis(outcomes: pd.DataFrame, axis: str, outcome: str, path: Path) -> None:
    """``outcome`` against ``axis``: one line (or point set) per mechanism, 95% error bars.

    Numeric axes get a numeric x scale; others (and the mechanism itself) are categories.
    """
    effect = axis_effect(outcomes, axis, outcome)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    if axis == LINE_COLUMN:
        x = np.arange(len(effect))
        ax.errorbar(x, effect["mean"], yerr=_error(effect), fmt="o", capsize=4)
        ax.set_xticks(x, effect[LINE_COLUMN], rotation=20, ha="right")
    else:
        numeric = _is_numeric(outcomes[axis])
        categories = sorted(outcomes[axis].astype(str).unique())
        for mechanism, line in effect.groupby(LINE_COLUMN, sort=True):
            line = line.sort_values(axis)
            if numeric:
                x = line[axis].to_numpy(dtype=float)
            else:
                x = np.array([categories.index(str(v)) for v in line[axis]])
            ax.errorbar(
                x, line["mean"], yerr=_error(line), marker="o", capsize=4, label=str(mechanism)
            )
        if not numeric:
            ax.set_xticks(range(len(categories)), categories, rotation=20, ha="right")
        ax.legend(title=LINE_COLUMN, fontsize="small")
    ax.set_xlabel(axis)
    ax.set_ylabel(outcome)
    ax.set_title(f"{OUTCOMES[outcome].meaning}\nmean and 95% CI across seeds", fontsize="medium")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(
    rounds: pd.DataFrame, axes: list[str], failures: pd.DataFrame, out: Path
) -> list[Path]:
    """Write ``summary.csv``, ``summary.md``, ``outcomes.csv``, figures and ``report.md``.

    Parameters
    ----------
    rounds : DataFrame
        The sweep's rounds (see the module docstring).
    axes : list of str
        The swept axes; ``mechanism.name`` is drawn as the line grouping, not an x axis.
    failures : DataFrame
        Failed runs (``run_key, seed_index, axes, error, message``), listed in the report.
    out : Path
        Folder to write into (created).

    Returns
    -------
    list of Path
        The files written, relative to ``out``.
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    x_axes = [a for a in axes if a != MECHANISM_AXIS]
    outcomes = run_outcomes(rounds, x_axes)
    outcomes.to_csv(out / "outcomes.csv", index=False)
    summary = summarise(outcomes, [LINE_COLUMN, *x_axes])
    summary.to_csv(out / "summary.csv", index=False)
    (out / "summary.md").write_text(_summary_markdown(summary, x_axes))
    figures = []
    for axis in [LINE_COLUMN, *x_axes]:
        for outcome in OUTCOMES:
            path = Path("figures") / f"{outcome}__{_file_part(axis)}.png"
            plot_axis(outcomes, axis, outcome, out / path)
            figures.append((axis, outcome, path))
    (out / "report.md").write_text(_report_markdown(outcomes, x_axes, failures, figures))
    return [
        Path("outcomes.csv"),
        Path("summary.csv"),
        Path("summary.md"),
        Path("report.md"),
        *(path for _, _, path in figures),
    ]


def _summary_markdown(summary: pd.DataFrame, axes: list[str]) -> str:
    lines = ["# Sweep summary", "", "Mean and 95% t-interval across seeds of each outcome.", ""]
    for mechanism, table in summary.groupby(LINE_COLUMN, sort=True):
        lines += [f"## {mechanism}", ""]
        header = [*axes, "seeds", *OUTCOMES]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for _, row in table.iterrows():
            cells = [str(row[a]) for a in axes] + [str(row["n_seeds"])]
            cells += [_mean_pm(row, outcome) for outcome in OUTCOMES]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _report_markdown(outcomes, axes, failures, figures) -> str:
    mechanisms = ", ".join(sorted(outcomes[LINE_COLUMN].astype(str).unique()))
    lines = [
        "# Sweep report",
        "",
        f"{len(outcomes)} finished runs; {len(failures)} failed; "
        f"{outcomes['seed_index'].nunique()} seeds; mechanisms: {mechanisms}.",
        f"Swept axes besides the mechanism: {', '.join(axes) if axes else 'none'}.",
        "",
        "Tables: [summary.md](summary.md) (per mechanism), [summary.csv](summary.csv), "
        "[outcomes.csv](outcomes.csv) (one row per run). Error bars are 95% t-intervals "
        "across seeds; other axes are averaged within each seed.",
        "",
    ]
    for axis in dict.fromkeys(axis for axis, _, _ in figures):
        lines += [f"## Outcomes by {axis}", ""]
        for figure_axis, outcome, path in figures:
            if figure_axis == axis:
                lines.append(f"![{outcome} by {axis}]({path.as_posix()})")
        lines.append("")
    if len(failures):
        lines += [
            "## Failed runs",
            "",
            "| run | seed index | error | message |",
            "|---|---|---|---|",
        ]
        for _, row in failures.iterrows():
            message = str(row["message"]).replace("|", "/").replace("\n", " ")
            lines.append(
                f"| {row['run_key'][:12]} | {row['seed_index']} | {row['error']} | {message} |"
            )
        lines.append("")
    return "\n".join(lines)


def _mean_pm(row: pd.Series, outcome: str) -> str:
    mean, high = row[f"{outcome}_mean"], row[f"{outcome}_ci_high"]
    if not np.isfinite(mean):
        return "n/a"
    if not np.isfinite(high):
        return f"{mean:.4g}"
    return f"{mean:.4g} ± {high - mean:.2g}"


def _error(effect: pd.DataFrame) -> np.ndarray:
    """Asymmetric-form error bar lengths; zero where the interval is undefined (one seed)."""
    low = (effect["mean"] - effect["low"]).fillna(0).to_numpy()
    high = (effect["high"] - effect["mean"]).fillna(0).to_numpy()
    return np.vstack([low, high])


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _file_part(axis: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in axis)
