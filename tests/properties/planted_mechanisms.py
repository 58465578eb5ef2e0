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
from mechanisms.uniform_price import UniformPrice
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


UNIFORM_CLAIMS = {**CLAIMS, "budget_feasible": True}


class BandPaysAsk:
    """The (k+1)-th price, except that a winner asking in ``[low, high]`` is paid its own ask.

    Claims DSIC with unit capacities, as :class:`~mechanisms.uniform_price.UniformPrice`
    does. A seller whose true cost lies in the band is paid its cost (utility 0) when
    truthful, and the uniform price when it asks just above the band: a profitable
    misreport only for true costs inside a band 0.01 wide (issue 27).
    """

    name = "planted_band_pays_ask"
    description = "Uniform price, but a winner asking in [0.41, 0.42] is paid its ask."
    properties: ClassVar[Mapping[str, bool]] = UNIFORM_CLAIMS
    conditions: ClassVar[Mapping[str, str]] = {"dsic": "unit_capacity"}

    def __init__(self, low: float = 0.41, high: float = 0.42):
        self.low = low
        self.high = high

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        outcome = UniformPrice().run(asks, market, rng)
        in_band = (outcome.allocation > 0) & (asks >= self.low) & (asks <= self.high)
        payments = np.where(in_band, outcome.allocation * asks, outcome.payments)
        return Outcome(outcome.allocation, payments)


class CloseToThePricePaysAsk:
    """The (k+1)-th price, except that a winner asking within ``width`` of its price gets its ask.

    Claims DSIC with unit capacities. The band sits just below each winner's own
    threshold, so it moves with the market: a seller whose true cost lies in it gains
    (up to ``width``) by asking further below the price.
    """

    name = "planted_close_to_the_price_pays_ask"
    description = "Uniform price, but a winner asking within 0.005 of its price is paid its ask."
    properties: ClassVar[Mapping[str, bool]] = UNIFORM_CLAIMS
    conditions: ClassVar[Mapping[str, str]] = {"dsic": "unit_capacity"}

    def __init__(self, width: float = 0.005):
        self.width = width

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        outcome = UniformPrice().run(asks, market, rng)
        units = np.maximum(outcome.allocation, 1)
        close = (outcome.allocation > 0) & (outcome.payments / units - asks <= self.width)
        payments = np.where(close, outcome.allocation * asks, outcome.payments)
        return Outcome(outcome.allocation, payments)
