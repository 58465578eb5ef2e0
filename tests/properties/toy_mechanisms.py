"""Small mechanisms with known properties, for testing the property kit and the CLI.

Each buys (at most) the ``demand`` cheapest units among asks at or below the
seller's value, ties by seller index, and differs only in what it pays. Some declare
properties they do not have, as a careless user might; the kit must catch them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms import Market, Outcome
from mechanisms.second_price import SecondPrice
from mechanisms.uniform_price import UniformPrice
from mechanisms.vcg import VCG


def cheapest_units(asks: np.ndarray, market: Market) -> np.ndarray:
    """Units bought from each seller: the cheapest eligible units up to demand."""
    allocation = np.zeros(market.n_sellers, dtype=np.int64)
    left = market.effective_demand
    for seller in np.argsort(asks, kind="stable"):
        if left == 0:
            break
        if asks[seller] <= market.values[seller]:
            allocation[seller] = min(market.capacities[seller], left)
            left -= allocation[seller]
    return allocation


class PayAsBid:
    """First-price procurement: each unit is paid its ask. IR and monotone, not DSIC."""

    name = "toy_pay_as_bid"
    description = "Cheapest units, each paid its own ask."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": False,
        "ir": True,
        "budget_feasible": False,
        "monotone": True,
    }

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        allocation = cheapest_units(asks, market)
        return Outcome(allocation, allocation * asks)


class AskPlusBonus:
    """Pays each unit its ask + 0.01 and *falsely* declares DSIC (a winner gains by asking more)."""

    name = "toy_ask_plus_bonus"
    description = "Cheapest units, each paid its ask + 0.01; falsely claims DSIC."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": False,
        "monotone": True,
    }

    def __init__(self, bonus: float = 0.01):
        self.bonus = bonus

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        allocation = cheapest_units(asks, market)
        return Outcome(allocation, allocation * (asks + self.bonus))


class ReservePayAsBid:
    """Buys one unit from the cheapest ask at or below a hidden reserve of 0.37, paying the ask.

    Not DSIC: the winner's best misreport is exactly the reserve, a threshold that is
    neither a cost nor a value, so only the kit's bisection brackets it.
    """

    name = "toy_reserve_pay_as_bid"
    description = "One unit from the cheapest ask <= 0.37, paid its ask."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": False,
        "ir": True,
        "budget_feasible": False,
        "monotone": True,
    }
    reserve = 0.37

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        allocation = np.zeros(market.n_sellers, dtype=np.int64)
        cheapest = int(np.argmin(asks))
        if asks[cheapest] <= self.reserve and market.capacities[cheapest] > 0:
            allocation[cheapest] = 1
        return Outcome(allocation, allocation * asks)


class FreeLabour:
    """Buys the cheapest units and pays nothing, yet declares IR."""

    name = "toy_free_labour"
    description = "Cheapest units, paid nothing; falsely claims IR."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": False,
        "ir": True,
        "budget_feasible": True,
        "monotone": True,
    }

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        allocation = cheapest_units(asks, market)
        return Outcome(allocation, np.zeros(market.n_sellers))


class HighestAskWins:
    """Buys one label from the *highest* ask at or below its value, paying that value.

    Declares monotone and DSIC; is neither (raising your ask can win the label).
    """

    name = "toy_highest_ask_wins"
    description = "One label from the highest eligible ask, paid its value; falsely monotone."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": False,
        "monotone": True,
    }

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        allocation = np.zeros(market.n_sellers, dtype=np.int64)
        eligible = np.flatnonzero((asks <= market.values) & (market.capacities > 0))
        if eligible.size and market.effective_demand > 0:
            allocation[eligible[np.argmax(asks[eligible])]] = 1
        return Outcome(allocation, allocation * market.values)


class RandomSerialPostedPrice:
    """Posted price 0.5: sellers arrive in an order drawn from ``rng``; those asking <= 0.5 sell.

    Truthful for every realisation of the order (the price is fixed and the order does
    not depend on the asks), but *only* if the order is the same when a seller deviates:
    this is the mechanism that shows the kit holds randomness fixed.
    """

    name = "toy_random_posted_price"
    description = "Posted price 0.5 in random arrival order, within demand and budget."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": True,
        "monotone": True,
    }
    price = 0.5

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        allocation = np.zeros(market.n_sellers, dtype=np.int64)
        demand_left = market.effective_demand
        budget_left = market.budget
        for seller in rng.permutation(market.n_sellers):
            if asks[seller] > self.price:
                continue
            units = min(market.capacities[seller], demand_left)
            if budget_left is not None:
                units = min(units, int(budget_left // self.price))
                budget_left -= units * self.price
            allocation[seller] = units
            demand_left -= units
        return Outcome(allocation, allocation * self.price)


TRUTHFUL = {"dsic": True, "ir": True, "budget_feasible": False, "monotone": True}


def _reserve(market: Market, rng: np.random.Generator) -> float:
    """A reserve drawn from ``rng``, uniform on ``[0, highest value]``; the asks play no part."""
    return float(rng.uniform(0.0, market.values.max(initial=0.0)))


def _values_capped(market: Market, cap: float) -> Market:
    """The market with every value lowered to at most ``cap``."""
    return Market(np.minimum(market.values, cap), market.capacities, market.demand, market.budget)


class VCGRandomReserve:
    """VCG on values capped by a reserve drawn from ``rng`` (uniform up to the highest value).

    The reserve depends on the market and the coins, not on the asks, and VCG is DSIC for
    any values (Clarke 1971), so this is DSIC, IR and monotone for every draw.
    """

    name = "toy_vcg_random_reserve"
    description = "VCG with a random reserve on every value."
    properties: ClassVar[Mapping[str, bool]] = TRUTHFUL

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        return VCG().run(asks, _values_capped(market, _reserve(market, rng)), rng)


class CappedUniformPrice:
    """The (k+1)-th price with every unit's price capped at ``cap``: the uniform price on
    values lowered to ``cap``, so DSIC with unit capacities (Vickrey 1961), as UniformPrice.
    """

    name = "toy_capped_uniform_price"
    description = "Uniform (k+1)-th price, each unit's price capped at 0.6."
    properties: ClassVar[Mapping[str, bool]] = {**TRUTHFUL, "budget_feasible": True}
    conditions: ClassVar[Mapping[str, str]] = {"dsic": "unit_capacity"}

    def __init__(self, cap: float = 0.6):
        self.cap = cap

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        return UniformPrice().run(asks, _values_capped(market, self.cap), rng)


class SecondPriceRandomReserve:
    """A second-price auction on values capped by a reserve drawn from ``rng``.

    The single-item Vickrey auction with a random reserve, a mixture of DSIC
    mechanisms over coins independent of the asks: DSIC for every draw.
    """

    name = "toy_second_price_random_reserve"
    description = "One label from the lowest ask, second price, random reserve."
    properties: ClassVar[Mapping[str, bool]] = {**TRUTHFUL, "budget_feasible": True}

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        return SecondPrice().run(asks, _values_capped(market, _reserve(market, rng)), rng)


class LotteryPostedPrice:
    """A posted price drawn from ``rng`` (uniform up to the highest value), then
    :class:`RandomSerialPostedPrice` at that price: a take-it-or-leave-it offer whose
    price and arrival order ignore the asks, so DSIC for every draw.
    """

    name = "toy_lottery_posted_price"
    description = "Posted price drawn at random, random arrival order."
    properties: ClassVar[Mapping[str, bool]] = {**TRUTHFUL, "budget_feasible": True}

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        posted = RandomSerialPostedPrice()
        posted.price = _reserve(market, rng)
        if posted.price <= 0:  # all values 0: nothing is worth buying
            return Outcome.empty(market.n_sellers)
        return posted.run(asks, market, rng)
