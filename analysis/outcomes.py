"""How a run's figure of each market outcome is made from its rounds; the metrics, their
display labels, meanings and rules are declared once, in :data:`analysis.records.METRICS`.

A market run writes one row per round (``sim.market.MarketModel``, columns
:data:`analysis.records.ROUND_METRICS`); reports compare runs, so every report reduces a run's
rounds to one figure per outcome with :func:`run_outcomes`, by the rule in the table:

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

import numpy as np
import pandas as pd

from analysis.records import METRICS, Metric

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
