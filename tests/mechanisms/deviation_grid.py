"""Brute-force deviation search for the mechanism tests: one seller misreports, others fixed."""

from __future__ import annotations

import numpy as np

from mechanisms.market import Market

MISREPORTS = np.linspace(0.0, 1.6, 33)


def largest_gain(mechanism, costs, market: Market, misreports=MISREPORTS, seed: int = 0):
    """``(gain, seller, misreport)`` of the most profitable single-seller misreport on the grid.

    Utility is ``payment - true cost * allocation``; every run gets a fresh generator
    with the same ``seed``, so randomness is held fixed.
    """
    costs = np.asarray(costs, dtype=float)
    truthful = mechanism.run(costs, market, np.random.default_rng(seed))
    truthful_utility = truthful.seller_utilities(costs)
    best = (0.0, None, None)
    for seller in range(costs.size):
        for misreport in misreports:
            asks = costs.copy()
            asks[seller] = misreport
            outcome = mechanism.run(asks, market, np.random.default_rng(seed))
            utility = outcome.payments[seller] - costs[seller] * outcome.allocation[seller]
            gain = utility - truthful_utility[seller]
            if gain > best[0]:
                best = (float(gain), seller, float(misreport))
    return best


def allocation_rises_with_ask(mechanism, asks, market: Market, misreports=MISREPORTS) -> bool:
    """True when some seller's allocation rises as its own ask rises along the grid."""
    asks = np.asarray(asks, dtype=float)
    for seller in range(asks.size):
        allocations = []
        for misreport in misreports:
            changed = asks.copy()
            changed[seller] = misreport
            outcome = mechanism.run(changed, market, np.random.default_rng(0))
            allocations.append(outcome.allocation[seller])
        if np.any(np.diff(allocations) > 0):
            return True
    return False
