"""The one table of market outcomes: each metric's name, display label, meaning, and how a
run's figure is made from its rounds.

A market run writes one row per round (``sim.market.MarketModel``, columns
:data:`ROUND_METRICS`); reports compare runs, so every report reduces a run's rounds to one
figure per outcome with :func:`run_outcomes`, by the rule in the table:

- ``last``: a stock, read at the last round (reward accuracy, cumulative spend, the
  cumulative cycle rate);
- ``sum``: a flow, summed over rounds (labels, surplus, utility, welfare);
- ``mean``: the mean over rounds (allocative efficiency, itself a ratio per round);
- ``weighted:<column>``: a per-round share pooled over rounds with that column as weight
  (label accuracy by labels, top-skill share by spend);
- ``pooled_overpayment``: ``sum(spend) / sum(true cost)``, each round's true cost being
  ``spend / overpayment``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Metric:
    """One market metric: ``name`` (column), ``label`` (short), ``meaning`` (one line),
    ``over_rounds`` (how a run's figure is made from its rounds; None: not a run outcome)."""

    name: str
    label: str
    meaning: str
    over_rounds: str | None


METRICS: tuple[Metric, ...] = (
    Metric("round", "round", "round index, from 0", None),
    Metric("spend", "spend", "payments this round", None),
    Metric("cumulative_spend", "spend", "total spend", "last"),
    Metric("labels", "labels", "labels bought", "sum"),
    Metric(
        "label_accuracy", "label acc.", "share of bought labels that agree with gold",
        "weighted:labels",
    ),
    Metric("reward_accuracy", "reward acc.", "reward accuracy after the last round", "last"),
    Metric("buyer_utility", "buyer utility", "buyer's utility, all rounds", "sum"),
    Metric("seller_surplus", "seller surplus", "sellers' surplus, all rounds", "sum"),
    Metric("welfare", "welfare", "total welfare, all rounds", "sum"),
    Metric("efficiency", "efficiency", "allocative efficiency, mean over rounds", "mean"),
    Metric(
        "overpayment", "overpayment", "payments / true costs of bought labels, all rounds",
        "pooled_overpayment",
    ),
    Metric(
        "top_skill_spend_share", "top-skill share",
        "share of spend to the top skill quartile, all rounds", "weighted:spend",
    ),
    Metric("cycle_rate", "cycle rate", "cycle rate in the purchased labels", "last"),
    Metric("mean_value", "mean value", "buyer's mean value per label this round", None),
)

ROUND_METRICS: tuple[str, ...] = tuple(metric.name for metric in METRICS)
"""Columns of a market's per-round table, in order."""

OUTCOMES: dict[str, Metric] = {m.name: m for m in METRICS if m.over_rounds is not None}
"""The run-level outcomes reports show, by name."""

LABELS: dict[str, str] = {name: metric.label for name, metric in OUTCOMES.items()}
"""Short display label of each outcome."""


def run_outcomes(rounds: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per run (a group of ``by``, e.g. ``["mechanism"]`` or ``["run_key"]``).

    Columns: ``by``, then every outcome of :data:`OUTCOMES` by its rule (module docstring).
    """
    rows = []
    ordered = rounds.sort_values("round", kind="stable")  # groups keep their first-seen order
    for key, run in ordered.groupby(by, sort=False, dropna=False):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for name, metric in OUTCOMES.items():
            row[name] = over_rounds(run, name, metric.over_rounds)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*by, *OUTCOMES])


def over_rounds(run: pd.DataFrame, name: str, rule: str) -> float:
    """Column ``name`` of one run's rounds (sorted by round) reduced by ``rule``."""
    values = run[name].to_numpy(dtype=float)
    if rule == "last":
        return float(values[-1])
    if rule == "sum":
        return float(values.sum())
    if rule == "mean":
        return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
    if rule.startswith("weighted:"):
        return _weighted_mean(values, run[rule.removeprefix("weighted:")].to_numpy(dtype=float))
    if rule == "pooled_overpayment":
        spend = run["spend"].to_numpy(dtype=float)
        paid = (spend > 0) & np.isfinite(values) & (values > 0)
        cost = (spend[paid] / values[paid]).sum()
        return float(spend[paid].sum() / cost) if cost > 0 else math.nan
    raise ValueError(f"over_rounds: unknown rule {rule!r} for {name!r}")


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    keep = np.isfinite(values) & (weights > 0)
    if not keep.any():
        return math.nan
    return float(np.average(values[keep], weights=weights[keep]))
