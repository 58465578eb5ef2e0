"""Singer's (2010) proportional-share budget-feasible mechanism for additive values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.run_contract import MarketRefusedError
from mechanisms.supply_queue import SupplyQueue


class BudgetFeasible:
    """Buy the best value-per-cost units whose cost fits a proportional share of the budget.

    Singer (2010), "Budget feasible mechanisms", FOCS, section on additive values
    (knapsack); see also Chen, Gravin & Lu (2011), "On the approximability of budget
    feasible mechanisms", SODA, who restate it for knapsack.

    Allocation (proportional share)
        Every label is an item with cost ``c`` (its seller's ask) and value ``v`` (the
        buyer's value for that seller's label). Sellers with ``v = 0`` are never
        bought from. Order the items by ``r = c / v`` ascending (ties by seller
        index, a seller's units together) and let ``V_k`` be the value of the first
        ``k``. Item ``k`` passes when ``c_k <= B v_k / V_k``, i.e. ``r_k V_k <= B``;
        since ``r_k`` rises and ``B / V_k`` falls with ``k``, the passing items form
        a prefix. Buy that prefix, truncated to ``demand`` units.
    Payments (thresholds)
        With ``K`` items bought, value ``V_K``, and ``r_{K+1}`` the ratio of the first
        item not bought (``inf`` if none), every bought item is paid

            p = v * min(r_{K+1}, B / V_K).

        This is the threshold (the highest cost at which the item still wins, others
        fixed) that Singer's payment rule gives for additive values: moving an item
        later in the order only adds value before it, so it keeps winning until it
        passes item ``K+1`` or its share ``B v / V_K`` binds. Hence
        ``sum p <= B sum v / V_K = B``: payments never exceed the budget, and each is
        at least the item's cost (``r_k <= r_K <= B / V_K``).

    Properties and their conditions
        DSIC when every seller has one label (``unit_capacity``): each item is then one
        seller and the threshold payment is truthful (Myerson 1981, Singer 2010).
        With several labels per seller, each label is treated as its own item and
        paid its own threshold with the seller's other labels held fixed, so a seller
        whose next label is item ``K+1`` can raise ``r_{K+1}`` with its ask: not DSIC
        (a truthful multi-unit budget-feasible mechanism needs another design; Chan &
        Chen 2014, "Truthful multi-unit procurements with budgets", WINE). IR,
        budget feasibility and monotonicity of the allocation hold for any
        capacities and demand.

    Choices
        - ``market.budget`` is required; ``None`` raises ``MarketRefusedError`` (a
          ``ValueError``; with no budget the proportional share and the payments are
          unbounded), which the property kit counts as refusing the market.
        - The condition uses ``B``, not Singer's ``B/2`` variant; the comparison with
          the single most valuable item, which his constant approximation ratio
          needs, is left out, so the mechanism is truthful and budget feasible but
          carries no approximation guarantee.
        - Values are divided by the largest one first (every formula above is unchanged
          by scaling values, and the scale depends on no ask). Without that, a seller
          whose value is near the smallest float has ``c / v`` overflow to ``inf`` and
          is never bought although ``c <= B v / V`` may hold; after it, the only
          ratios that overflow belong to items that cannot pass behind the most
          valuable one.
        - No randomness: ``rng`` is unused.
    """

    name = "budget_feasible"
    description = "Singer's proportional share: best value per cost within a share of the budget."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": True,
        "monotone": True,
    }
    conditions: ClassVar[Mapping[str, str]] = {"dsic": "unit_capacity"}

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        asks = market.check_asks(asks)
        if market.budget is None:
            raise MarketRefusedError(
                "budget: budget_feasible needs a budget; set Market(budget=...) "
                "or use a mechanism that ignores budgets (e.g. vcg)"
            )
        budget = market.budget
        top = market.values.max(initial=0.0)
        values = market.values / top if top > 0 else market.values
        valued = values > 0  # a value so small that normalising it underflows is no value
        with np.errstate(over="ignore"):  # an overflow to inf cannot pass (see Choices)
            ratio = np.divide(asks, values, out=np.full(asks.shape, np.inf), where=valued)
        queue = SupplyQueue(ratio, market.capacities, valued)
        queued_ratio = ratio[queue.sellers]
        queued_value = values[queue.sellers]
        value_before = np.cumsum(queue.capacities * queued_value) - queue.capacities * queued_value
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            room = np.floor((budget / queued_ratio - value_before) / queued_value)
        passing = np.clip(np.where(queued_ratio > 0, room, np.inf), 0, queue.capacities)
        full = passing >= queue.capacities
        first_short = int(np.argmin(full)) if not full.all() else full.size
        bought = int(queue.ends[first_short - 1]) if first_short > 0 else 0
        if first_short < full.size:
            bought += int(passing[first_short])
        if market.demand is not None:
            bought = min(bought, market.demand)
        taken = queue.taken(bought)
        bought_value = float(np.dot(taken, queued_value))
        if bought == 0:
            return Outcome.empty(market.n_sellers)
        next_position = queue.position_of_unit(bought + 1)
        next_ratio = np.inf if next_position is None else queued_ratio[next_position]
        with np.errstate(over="ignore"):  # inf: the budget binds
            next_ratio_fits = next_ratio * bought_value <= budget
        if next_ratio_fits:  # price per value min(next_ratio, B / V)
            paid = taken * queued_value * next_ratio
        else:  # the budget binds: shares of it, so that B / V cannot overflow for tiny values
            paid = budget * (taken * queued_value / bought_value)
        return Outcome(queue.to_sellers(taken, dtype=np.int64), queue.to_sellers(paid))
