"""Sellers' units lined up in priority order, so a mechanism can buy "the first k units".

Uniform price and first price queue units by ask (cheapest first), VCG by surplus
(largest first), posted price by arrival order. Every seller's units sit together in
the queue, so taking the first ``k`` units fills sellers in order, each up to its
capacity, and leaves at most one seller (the *marginal* one) partly filled.
"""

from __future__ import annotations

import numpy as np


class SupplyQueue:
    """Units of the eligible sellers in ascending ``priority``, ties broken by seller index.

    Parameters
    ----------
    priority : array of float, shape (n,)
        Sort key; the seller with the smallest key is served first.
    capacities : array of int, shape (n,)
        Units each seller can supply.
    eligible : array of bool, shape (n,)
        Sellers allowed in the queue. Sellers with zero capacity are left out too.

    Attributes
    ----------
    sellers : array of int
        Seller indices in queue order.
    capacities : array of int
        Their capacities, in queue order.
    ends : array of int
        ``ends[j]`` is the number of units supplied by queue positions ``0..j``.
    """

    def __init__(self, priority: np.ndarray, capacities: np.ndarray, eligible: np.ndarray):
        self.n_sellers = int(capacities.shape[0])
        candidates = np.flatnonzero(eligible & (capacities > 0))
        self.sellers = candidates[np.argsort(priority[candidates], kind="stable")]
        self.capacities = capacities[self.sellers]
        self.ends = np.cumsum(self.capacities)

    @property
    def total_units(self) -> int:
        return int(self.ends[-1]) if self.ends.size else 0

    def taken(self, k: int) -> np.ndarray:
        """Units taken from each queue position when the first ``k`` units are bought."""
        return np.clip(k - (self.ends - self.capacities), 0, self.capacities)

    def position_of_unit(self, unit: int) -> int | None:
        """Queue position of the seller holding the ``unit``-th unit (1-based), or ``None``."""
        if unit < 1 or unit > self.total_units:
            return None
        return int(np.searchsorted(self.ends, unit, side="left"))

    def to_sellers(self, per_position: np.ndarray, dtype=float) -> np.ndarray:
        """Scatter a queue-ordered array back to one entry per seller (zero for the unqueued)."""
        out = np.zeros(self.n_sellers, dtype=dtype)
        out[self.sellers] = per_position
        return out
