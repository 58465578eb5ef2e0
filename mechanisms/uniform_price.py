"""Uniform-price procurement auction: the (k+1)-th price rule for reverse auctions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.supply_queue import SupplyQueue


class UniformPrice:
    """Buy the ``k`` cheapest units; every unit is paid the lowest rejected ask, capped by value.

    Rule
    ----
    1. Seller ``i`` is *eligible* when ``ask_i <= value_i`` (the buyer never buys a unit
       that costs more than it is worth). Eligible units are queued by ask, cheapest
       first; equal asks are served in seller-index order.
    2. Without a budget, ``k = min(demand, eligible units)`` and the first ``k`` units
       are bought.
    3. Every bought unit is paid ``min(p, value_i)``, where ``p`` is the ask of the
       ``(k+1)``-th eligible unit (the lowest rejected eligible ask; ``p = inf`` when
       none is rejected, so the seller then gets its value).
    4. With a budget ``B``, ``k`` is the largest number of units whose total payment
       ``T(k) = sum_i x_i(k) * min(p(k), value_i)`` is at most ``B``. ``T`` is
       non-decreasing in ``k`` (more units, and ``p(k)`` rises with ``k``), so ``k`` is
       found by bisection.

    Properties
    ----------
    With unit capacities the rule is the (k+1)-th price auction (Vickrey 1961), and
    each winner is paid its critical ask ``min(p, value_i)``: asking anything up to it
    keeps the same ``k`` and the same winners, asking above it loses (with a budget
    too: a higher ask only raises the order statistics, so no larger ``k`` becomes
    affordable). Hence DSIC *when every seller has one unit*.

    Monotone for any capacities: a lower ask moves the seller's units earlier in the
    queue and lowers ``T(k)`` for every ``k`` (the unit it displaces was paid at least
    its own ask, which caps the new price), so ``k`` cannot shrink.

    With multi-unit sellers it is **not** DSIC: when a seller's own next unit is the
    ``(k+1)``-th unit, its ask sets its own price, so it gains by asking more (the
    procurement mirror of demand reduction, Ausubel & Cramton 2002). It is IR for any
    capacities (``p >= ask_i`` and ``value_i >= ask_i``) and never exceeds the budget.
    """

    name = "uniform_price"
    description = (
        "Cheapest units; each paid the lowest rejected ask (k+1-th price), capped by value."
    )
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": True,
        "monotone": True,
    }
    conditions: ClassVar[Mapping[str, str]] = {"dsic": "unit_capacity"}

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        asks = market.check_asks(asks)
        queue = SupplyQueue(asks, market.capacities, asks <= market.values)
        most = queue.total_units if market.demand is None else min(market.demand, queue.total_units)
        units = most if market.budget is None else _most_affordable(queue, asks, market, most)
        allocation, payments = _clear(queue, asks, market.values, units)
        return Outcome(allocation, payments)


def _clear(queue: SupplyQueue, asks, values, units: int) -> tuple[np.ndarray, np.ndarray]:
    """Allocation and payments (one entry per seller) when the first ``units`` are bought."""
    taken = queue.taken(units)
    rejected = queue.position_of_unit(units + 1)
    price = np.inf if rejected is None else asks[queue.sellers[rejected]]
    per_unit = np.minimum(price, values[queue.sellers])
    paid = np.where(taken > 0, taken * per_unit, 0.0)
    return queue.to_sellers(taken, dtype=np.int64), queue.to_sellers(paid)


def _most_affordable(queue: SupplyQueue, asks, market: Market, most: int) -> int:
    """Largest ``k <= most`` whose total payment ``T(k)`` is within the budget (bisection)."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if _clear(queue, asks, market.values, middle)[1].sum() <= market.budget:
            low = middle
        else:
            high = middle - 1
    return low
