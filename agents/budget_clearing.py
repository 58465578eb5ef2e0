"""The buyer's ``demand_mode = "budget"``: a round buys as many labels as its budget buys.

With a fixed demand, a mechanism that pays less only leaves money unspent. In budget mode the
round's demand is whatever the round's budget ``B`` can buy under the mechanism at this
round's asks, bounded by supply and by the items left (``most``):

- a mechanism that declares ``budget_feasible`` (posted price, first price, Singer's
  ``budget_feasible``) clears ``Market(values, capacities, demand=most, budget=B)`` once: it
  buys what the budget allows by its own rule;
- any other (VCG, uniform price, ``vickrey_feedback``, ...) clears at demand ``d`` without a
  budget, for the largest ``d <= most`` found by bisection whose payments stay within ``B``
  (spend grows with demand for the built-in mechanisms; the bisection only ever returns a
  demand it has cleared within budget, so the budget holds whatever the mechanism does).

Every clearing of one round uses a generator seeded with the same number drawn from the
round's ``rng``, so a randomised mechanism sees the same coins at every candidate demand.

What budget mode costs in incentives: a truthful mechanism stays truthful at each demand,
but the demand now depends on the asks, so a seller may gain by moving it (a budget is
exactly what makes VCG and uniform price manipulable; Singer 2010, "Budget feasible
mechanisms", FOCS, builds mechanisms that are truthful under a budget).
"""

from __future__ import annotations

import numpy as np

from agents.label_slots import regular_items
from mechanisms import Market, Outcome
from mechanisms.protocol import Mechanism

SPEND_TOLERANCE = 1e-12
"""Relative slack when comparing a spend with the budget (float rounding of sums)."""


def within_budget(spend: float, budget: float) -> bool:
    """``spend <= budget`` up to :data:`SPEND_TOLERANCE`."""
    return spend <= budget * (1 + SPEND_TOLERANCE) + SPEND_TOLERANCE


def clear_within_budget(
    mechanism: Mechanism,
    asks: np.ndarray,
    values: np.ndarray,
    capacities: np.ndarray,
    budget: float,
    most: int,
    rng: np.random.Generator,
) -> Outcome:
    """The round's outcome (module docstring)."""
    seed = int(rng.integers(2**63))

    def clear(demand: int, with_budget: float | None) -> Outcome:
        market = Market(values, capacities, demand=demand, budget=with_budget)
        return mechanism.run(asks, market, np.random.default_rng(seed))

    if mechanism.properties.get("budget_feasible", False):
        return clear(most, budget)
    outcome = clear(most, None)
    if within_budget(outcome.spend, budget):
        return outcome
    low, high = 0, most  # low: cleared within budget (or 0); high: over budget
    best = clear(0, None)
    if not within_budget(best.spend, budget):
        return Outcome.empty(len(capacities))
    while high - low > 1:
        middle = (low + high) // 2
        candidate = clear(middle, None)
        if within_budget(candidate.spend, budget):
            low, best = middle, candidate
        else:
            high = middle
    return best


def most_labels(capacity: int, items_left: int, labels_per_item: int, golden_rate: float) -> int:
    """The most labels a round can use: at most ``capacity``, and no more regular items than
    ``items_left`` after ``round(golden_rate * units)`` golden checks
    (``agents.label_slots.regular_items``)."""
    units = int(capacity)
    while units > 0 and regular_items(units, labels_per_item, golden_rate) > items_left:
        units -= 1
    return units
