"""Market outcome metrics computed from a transaction table.

A transaction table has at least the columns of :data:`analysis.records.TRANSACTIONS`
(``cost`` the seller's true cost per label, ``value`` the buyer's value per label from it
that round). Utilities are quasi-linear as in docs/architecture.md:

- seller surplus  = sum(payment - cost * units)
- buyer utility   = sum(value * units) - sum(payment)
- total welfare   = buyer utility + seller surplus = sum((value - cost) * units)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.records import TRANSACTION_COLUMNS


def _check(transactions: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in TRANSACTION_COLUMNS if c not in transactions.columns]
    if missing:
        raise ValueError(
            f"transactions: missing columns {missing}; expected {list(TRANSACTION_COLUMNS)}"
        )
    return transactions


def spend(transactions: pd.DataFrame) -> float:
    """Total payments."""
    return float(_check(transactions)["payment"].sum())


def labels_bought(transactions: pd.DataFrame) -> int:
    """Total labels bought."""
    return int(_check(transactions)["units"].sum())


def seller_surplus(transactions: pd.DataFrame) -> float:
    """sum_i (payment_i - cost_i * units_i): the sellers' total quasi-linear utility."""
    t = _check(transactions)
    return float((t["payment"] - t["cost"] * t["units"]).sum())


def buyer_utility(transactions: pd.DataFrame) -> float:
    """sum_i value_i * units_i - sum_i payment_i."""
    t = _check(transactions)
    return float((t["value"] * t["units"]).sum() - t["payment"].sum())


def welfare(transactions: pd.DataFrame) -> float:
    """Total surplus sum_i (value_i - cost_i) * units_i (payments cancel)."""
    t = _check(transactions)
    return float(((t["value"] - t["cost"]) * t["units"]).sum())


def overpayment(transactions: pd.DataFrame) -> float:
    """Payments divided by the true cost of the labels bought (1.0 = paid exactly cost).

    ``nan`` when nothing with positive cost was bought.
    """
    t = _check(transactions)
    true_cost = float((t["cost"] * t["units"]).sum())
    return float(t["payment"].sum()) / true_cost if true_cost > 0 else float("nan")


def max_welfare(values, costs, capacities, demand: int | None) -> float:
    """Welfare of the welfare-maximising allocation at true costs.

    Maximise sum_i (v_i - c_i) x_i subject to 0 <= x_i <= capacity_i and
    sum_i x_i <= demand: fill units in descending order of v_i - c_i while the
    surplus is positive (the LP is a fractional knapsack with unit weights, so
    the greedy solution is optimal and integral). Budget limits are not applied:
    efficiency is measured against the first-best allocation.
    """
    surplus = np.asarray(values, dtype=float) - np.asarray(costs, dtype=float)
    caps = np.asarray(capacities, dtype=np.int64)
    order = np.argsort(-surplus, kind="stable")
    remaining = np.iinfo(np.int64).max if demand is None else int(demand)
    total = 0.0
    for i in order:
        if surplus[i] <= 0 or remaining <= 0:
            break
        take = min(int(caps[i]), remaining)
        total += take * surplus[i]
        remaining -= take
    return total


def allocative_efficiency(realised_welfare: float, first_best_welfare: float) -> float:
    """realised welfare / first-best welfare (``nan`` when the first best is 0)."""
    if first_best_welfare <= 0:
        return float("nan")
    return realised_welfare / first_best_welfare


def top_skill_spend_share(transactions: pd.DataFrame, skills: pd.Series) -> float:
    """Share of spend going to annotators in the top skill quartile.

    ``skills`` maps annotator id to skill; the top quartile is ``skill >= q75``
    over the whole population (not only over those paid). ``nan`` with no spend.
    """
    t = _check(transactions)
    total = float(t["payment"].sum())
    if total <= 0:
        return float("nan")
    threshold = float(np.quantile(skills.to_numpy(dtype=float), 0.75))
    top = set(skills.index[skills.to_numpy(dtype=float) >= threshold])
    return float(t.loc[t["annotator"].isin(top), "payment"].sum()) / total
