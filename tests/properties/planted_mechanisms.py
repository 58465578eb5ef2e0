"""Mechanisms that break a declared claim only where a narrow search does not look.

Each is VCG (DSIC, IR, monotone; Clarke 1971) changed on one corner of the market
space, and keeps VCG's claims. The default search must reach every corner.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms import Market, Outcome
from mechanisms.first_price import FirstPrice
from mechanisms.vcg import VCG

CLAIMS = {"dsic": True, "ir": True, "budget_feasible": False, "monotone": True}


class PayAsBidFromFive:
    """VCG below five sellers, pay-as-bid from five on: not DSIC, but only with n >= 5."""

    name = "planted_pay_as_bid_from_five"
    description = "VCG under 5 sellers, first price from 5; claims DSIC."
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        inner = FirstPrice() if market.n_sellers >= 5 else VCG()
        return inner.run(asks, market, rng)


class BudgetAssumesUnitPrices:
    """VCG buying at most ``floor(budget)`` labels, as if no label could cost more than 1.

    VCG pays a label at most its value, so this spends within the budget while values
    are <= 1, and overspends on a market whose money is on a larger scale.
    """

    name = "planted_budget_assumes_unit_prices"
    description = "VCG limited to floor(budget) labels; claims budget feasibility."
    properties: ClassVar[Mapping[str, bool]] = {**CLAIMS, "budget_feasible": True}

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        if market.budget is None:
            return VCG().run(asks, market, rng)
        demand = min(market.effective_demand, math.floor(market.budget))
        limited = Market(market.values, market.capacities, demand, market.budget)
        return VCG().run(asks, limited, rng)


class BandBonus:
    """VCG, plus ``bonus`` per label to a winner whose ask lies in ``[low, low + 0.01)``.

    A winner whose VCG threshold is above the band gains the bonus by asking inside it:
    a DSIC violation confined to a band of asks 0.01 wide.
    """

    name = "planted_band_bonus"
    description = "VCG with a bonus for asks in a 0.01-wide band; claims DSIC."
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def __init__(self, low: float = 0.6, bonus: float = 0.05):
        self.low = low
        self.bonus = bonus

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        outcome = VCG().run(asks, market, rng)
        in_band = (asks >= self.low) & (asks < self.low + 0.01)
        bonus = self.bonus * outcome.allocation * in_band
        return Outcome(outcome.allocation, outcome.payments + bonus)
