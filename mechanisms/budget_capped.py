"""``BudgetCapped``: make any mechanism that never pays above value respect a budget.

A mechanism that is not budget-feasible (VCG, uniform price, ...) can still be used by a
buyer with a budget ``B``: offer it values scaled down so that the highest is at most
``B / K``, where ``K`` is the most labels the market can buy (``demand`` capped by total
capacity). A mechanism that pays each label at most its offered value (individual
rationality for the buyer, which every built-in mechanism has) then pays at most
``K * B / K = B`` in total, whatever the asks.

Scaling depends only on the market, never on the asks, so a mechanism's incentive
properties carry over unchanged: a truthful seller faces the same rule with other
numbers. The ranking of sellers by value is kept (all values share one factor); the
buyer's welfare and utility should still be measured at the unscaled values.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.protocol import Mechanism


def budget_capped_values(market: Market) -> np.ndarray:
    """``values * min(1, (budget / K) / max(values))`` with ``K = market.effective_demand``.

    Values are returned unchanged without a budget; all become 0 when ``K = 0``.
    """
    values = market.values
    if market.budget is None:
        return values
    units = market.effective_demand
    top = float(values.max(initial=0.0))
    cap = market.budget / units if units > 0 else 0.0
    if top <= cap:
        return values
    return values * (cap / top)


class BudgetCapped:
    """``inner`` run on :func:`budget_capped_values`; claims budget feasibility besides.

    Parameters
    ----------
    inner : Mechanism
        Any mechanism whose payment per label never exceeds the offered value; its other
        claims and conditions are kept.
    """

    def __init__(self, inner: Mechanism) -> None:
        self.inner = inner
        self.name = f"budget_capped({inner.name})"
        self.description = f"{getattr(inner, 'description', inner.name)} Values capped at B / K."
        self.properties = {**inner.properties, "budget_feasible": True}
        self.conditions = {
            prop: condition
            for prop, condition in getattr(inner, "conditions", {}).items()
            if prop != "budget_feasible"
        }

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        return self.inner.run(asks, replace(market, values=budget_capped_values(market)), rng)
