"""Reverse second-price (Vickrey) auction: buy one label from the cheapest seller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.uniform_price import UniformPrice


class SecondPrice:
    """The single-unit case of :class:`~mechanisms.uniform_price.UniformPrice`.

    One label is bought (none when ``demand == 0``) from the seller with the lowest
    eligible ask, and it is paid ``min(second-lowest eligible ask, its value)``
    (Vickrey 1961, reversed). Every seller offers a single unit here whatever its
    capacity, so the price is always set by *another* seller's ask: DSIC, IR and
    monotone hold for any capacities, and the payment never exceeds a set budget
    (the label is then not bought when its price does not fit).
    """

    name = "second_price"
    description = "One label from the lowest ask, paid the second-lowest ask (capped by value)."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": True,
        "monotone": True,
    }

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        single_unit = Market(
            values=market.values,
            capacities=np.minimum(market.capacities, 1),
            demand=1 if market.demand is None else min(market.demand, 1),
            budget=market.budget,
        )
        return UniformPrice().run(asks, single_unit, rng)
