"""Pay-as-bid (first-price) procurement auction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.supply_queue import SupplyQueue


class FirstPrice:
    """Buy the cheapest units with ``ask <= value``; each unit is paid its own ask.

    Eligible units (``ask_i <= value_i``) are queued by ask, cheapest first, ties in
    seller-index order, and bought in that order up to ``demand`` and while their
    cumulative cost fits the budget. Because asks rise along the queue, the first unit
    that does not fit ends the purchase: ``k`` is the largest count whose cheapest
    ``k`` units cost at most ``B``.

    Not DSIC: a winner gains by asking more than its cost (bid shading, Vickrey 1961).
    IR (truthful asks earn exactly zero), budget-feasible and monotone (a lower ask
    moves the seller's units earlier in the queue).
    """

    name = "first_price"
    description = "Pay-as-bid: cheapest units with ask <= value bought, each paid its own ask."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": False,
        "ir": True,
        "budget_feasible": True,
        "monotone": True,
    }

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        asks = market.check_asks(asks)
        queue = SupplyQueue(asks, market.capacities, asks <= market.values)
        units = (
            queue.total_units if market.demand is None else min(market.demand, queue.total_units)
        )
        if market.budget is not None:
            units = min(units, _affordable_units(queue, asks[queue.sellers], market.budget))
        taken = queue.taken(units)
        return Outcome(
            queue.to_sellers(taken, dtype=np.int64),
            queue.to_sellers(taken * asks[queue.sellers]),
        )


def _affordable_units(queue: SupplyQueue, queued_asks: np.ndarray, budget: float) -> int:
    """Largest ``k`` such that the cheapest ``k`` queued units cost at most ``budget``."""
    spent_through = np.cumsum(queue.capacities * queued_asks)
    first_short = int(np.searchsorted(spent_through, budget, side="right"))
    if first_short == queued_asks.shape[0]:
        return queue.total_units
    units_before = int(queue.ends[first_short - 1]) if first_short > 0 else 0
    spent_before = float(spent_through[first_short - 1]) if first_short > 0 else 0.0
    extra = int((budget - spent_before) // queued_asks[first_short])
    while extra > 0 and spent_before + extra * queued_asks[first_short] > budget:
        extra -= 1
    return units_before + extra
