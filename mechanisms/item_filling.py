"""How many items of ``labels_per_item`` labels, each from a different seller, some supply fills."""

from __future__ import annotations

import numpy as np


def items_fillable(capacities, max_items: int, labels_per_item: int) -> int:
    """Largest ``K <= max_items`` with ``sum_i min(capacity_i, K) >= K * labels_per_item``.

    A seller can put at most one label on each of ``K`` items, so it contributes at most
    ``min(capacity_i, K)``; the condition is then also sufficient (deal each seller's units to
    consecutive items, wrapping around). ``sum_i min(capacity_i, K) - K * labels_per_item``
    is concave in ``K`` and 0 at ``K = 0``, so the feasible ``K`` form an interval from 0 and
    bisection finds its end.
    """
    capacities = np.asarray(capacities, dtype=np.int64)
    low, high = 0, int(max_items)
    while low < high:
        middle = (low + high + 1) // 2
        if np.minimum(capacities, middle).sum() >= middle * labels_per_item:
            low = middle
        else:
            high = middle - 1
    return low
