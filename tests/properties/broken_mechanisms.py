"""Mechanisms that break the contract of ``run`` (see ``mechanisms.run_contract``).

Each clears like VCG except for its one breach, and keeps VCG's claims, so a kit that
let the breach through would report a clean or a misleading result.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms import Market, MarketRefusedError, Outcome
from mechanisms.vcg import VCG

CLAIMS = {"dsic": True, "ir": True, "budget_feasible": False, "monotone": True}


def _has_tie(asks) -> bool:
    return len(set(np.asarray(asks).tolist())) < len(asks)


class NanOnTies:
    """Returns NaN payments whenever two asks tie (``Outcome`` raises ``ValueError``)."""

    name = "broken_nan_on_ties"
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        outcome = VCG().run(asks, market, rng)
        if _has_tie(asks):
            return Outcome(outcome.allocation, np.full(market.n_sellers, np.nan))
        return outcome


class TypeErrorOnTies:
    """Raises ``TypeError`` whenever two asks tie."""

    name = "broken_type_error_on_ties"
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        if _has_tie(asks):
            raise TypeError("tied asks")
        return VCG().run(asks, market, rng)


class OneShortFromThree:
    """Returns an outcome one entry short on markets of three or more sellers."""

    name = "broken_one_short_from_three"
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        outcome = VCG().run(asks, market, rng)
        if market.n_sellers >= 3:
            return Outcome(outcome.allocation[:-1], outcome.payments[:-1])
        return outcome


class OverCapacity:
    """Buys one label more than seller 0 can supply."""

    name = "broken_over_capacity"
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        allocation = np.zeros(market.n_sellers, dtype=np.int64)
        allocation[0] = market.capacities[0] + 1
        return Outcome(allocation, allocation * market.values)


class GlobalRandomPostedPrice:
    """Posted price 0.5 to sellers in an arrival order drawn from Python's global ``random``.

    Truthful for every order, but the order changes between calls, so a seller that loses
    the race while truthful seems to gain by misreporting.
    """

    name = "broken_global_random_posted_price"
    properties: ClassVar[Mapping[str, bool]] = {**CLAIMS, "budget_feasible": True}
    price = 0.5

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        order = list(range(market.n_sellers))
        random.shuffle(order)
        allocation = np.zeros(market.n_sellers, dtype=np.int64)
        left = market.effective_demand
        if market.budget is not None:
            left = min(left, int(market.budget // self.price))
        for seller in order:
            if asks[seller] <= self.price <= market.values[seller]:
                allocation[seller] = min(market.capacities[seller], left)
                left -= allocation[seller]
        return Outcome(allocation, allocation * self.price)


class CallCounting:
    """VCG plus a bonus of 0.01 per label on every other call: state kept between runs."""

    name = "broken_call_counting"
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def __init__(self) -> None:
        self.calls = 0

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        self.calls += 1
        outcome = VCG().run(asks, market, rng)
        bonus = 0.01 * outcome.allocation * (self.calls % 2)
        return Outcome(outcome.allocation, outcome.payments + bonus)


class SortsValues:
    """Sorts ``market.values`` in place before clearing: run changes the market."""

    name = "broken_sorts_values"
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        market.values.sort()
        return VCG().run(asks, market, rng)


class RefusesHighAsks:
    """Raises ``MarketRefusedError`` when an ask is above 0.9: a refusal that depends on asks."""

    name = "broken_refuses_high_asks"
    properties: ClassVar[Mapping[str, bool]] = CLAIMS

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        if np.max(asks) > 0.9:
            raise MarketRefusedError("asks: every ask must be at most 0.9")
        return VCG().run(asks, market, rng)
