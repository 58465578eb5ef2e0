"""Reference VCG by n + 1 re-solves: the oracle for tests and the baseline for the benchmark.

Deliberately the textbook computation, sharing no code with ``mechanisms.vcg``:
solve the welfare problem once with everyone and once without each seller, then pay
``p_i = ask_i * x_i + W - W_{-i}`` (Clarke 1971). Kept out of ``mechanisms/`` because
nobody should clear a market with it.
"""

from __future__ import annotations

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome


def max_welfare(surplus: np.ndarray, capacities: np.ndarray, demand: int | None):
    """Allocation maximising ``sum_i s_i x_i`` with ``x_i <= cap_i`` and ``sum x <= demand``.

    Units with non-negative surplus are taken largest first (ties by seller index), which
    is optimal because every unit uses one unit of the same demand constraint.
    """
    order = np.argsort(-surplus, kind="stable")
    supply = np.where(surplus[order] >= 0, capacities[order], 0)
    limit = supply.sum() if demand is None else min(demand, supply.sum())
    taken_in_order = np.clip(limit - (np.cumsum(supply) - supply), 0, supply)
    allocation = np.zeros(surplus.shape[0], dtype=np.int64)
    allocation[order] = taken_in_order
    return allocation, float(np.dot(surplus, allocation))


def naive_vcg(asks, market: Market) -> Outcome:
    """VCG outcome computed with one welfare solve per seller plus one with everyone."""
    asks = market.check_asks(asks)
    surplus = market.values - asks
    allocation, welfare = max_welfare(surplus, market.capacities, market.demand)
    payments = np.zeros(market.n_sellers)
    for seller in range(market.n_sellers):
        without = market.capacities.copy()
        without[seller] = 0
        _, welfare_without = max_welfare(surplus, without, market.demand)
        payments[seller] = asks[seller] * allocation[seller] + welfare - welfare_without
    return Outcome(allocation, payments)
