"""Posted-price procurement: a take-it-or-leave-it price per label, sellers in random order."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.supply_queue import SupplyQueue


class PostedPrice:
    """Offer every seller the same ``price`` per label; sellers arrive in a random order.

    Parameters
    ----------
    price : float
        Payment per label, finite and ``>= 0``.

    Rule
    ----
    Seller ``i`` arrives ``rng.permutation(n)[i]``-th (one draw on every call, whatever
    the asks). In arrival order each seller with ``ask_i <= price`` sells
    ``min(capacity_i, remaining demand, remaining affordable units)`` labels at
    ``price`` each, where the budget affords ``floor(B / price)`` labels in all. The
    buyer makes no offer to a seller whose label it values below the price
    (``value_i < price``), since that purchase would lose it money.

    Properties
    ----------
    Neither the price nor the order depends on the asks, so a seller's ask only
    decides whether it accepts: accepting exactly when ``cost <= price`` is optimal
    for any capacity (DSIC), earns ``(price - cost) * x >= 0`` (IR), spends at most
    ``B`` (budget-feasible), and a lower ask never loses units (monotone).
    With no demand or budget limit and i.i.d. costs with CDF ``F``, the expected
    number of unit sellers who sell is ``n * F(price)``.
    """

    name = "posted_price"
    description = "Take-it-or-leave-it price per label; sellers arrive in random order."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": True,
        "monotone": True,
    }

    def __init__(self, price: float):
        price = float(price)
        if not math.isfinite(price) or price < 0:
            raise ValueError(f"price: must be a finite number >= 0, got {price!r}")
        self.price = price

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        asks = market.check_asks(asks)
        arrival_rank = rng.permutation(market.n_sellers)
        accepts = (asks <= self.price) & (market.values >= self.price)
        queue = SupplyQueue(arrival_rank, market.capacities, accepts)
        units = queue.total_units
        if market.demand is not None:
            units = min(units, market.demand)
        if market.budget is not None and self.price > 0:
            units = min(units, _affordable_units(market.budget, self.price))
        taken = queue.taken(units)
        return Outcome(
            queue.to_sellers(taken, dtype=np.int64), queue.to_sellers(taken * self.price)
        )


def _affordable_units(budget: float, price: float) -> int:
    """Largest ``k`` with ``k * price <= budget``."""
    affordable = math.floor(budget / price)
    while affordable > 0 and affordable * price > budget:
        affordable -= 1
    return affordable
