"""VCG (Clarke pivot) procurement for additive unit values, cleared in O(n log n)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.supply_queue import SupplyQueue


class VCG:
    """Welfare-maximising purchase, Clarke-pivot payments (Vickrey 1961; Clarke 1971; Groves 1973).

    Allocation
    ----------
    Maximise ``W = sum_i (value_i - ask_i) * x_i`` subject to ``0 <= x_i <= capacity_i``
    and ``sum_i x_i <= demand``. With additive values this is solved greedily: queue the
    units of sellers with surplus ``s_i = value_i - ask_i >= 0`` by surplus, largest
    first (equal surpluses in seller-index order), and take the first
    ``K = min(demand, queued units)``.

    Payments
    --------
    Clarke pivot: seller ``i``'s utility is its marginal contribution ``W - W_{-i}``, so

        p_i = ask_i * x_i + W - W_{-i}.

    Removing ``i`` frees its ``x_i`` slots, which the optimum without ``i`` fills with
    the next ``x_i`` queued units beyond position ``K`` that are not ``i``'s own, so
    ``W_{-i} = W - s_i x_i + R_i`` where ``R_i`` is the total surplus of those
    replacement units (fewer, or none, when the queue runs out). Hence

        p_i = value_i * x_i - R_i,

    i.e. each unit is paid the buyer's value less the surplus of the unit that would
    replace it; with a common value ``v`` that is the replacement's ask. Only the
    marginal (partly filled) seller has own units beyond ``K``; they come first among
    the rejected units, so skipping them gives, with ``L(j)`` the surplus of the first
    ``j`` rejected units and ``l_i`` seller ``i``'s rejected units (0 for all but the
    marginal seller),

        R_i = L(min(l_i + x_i, rejected units)) - L(l_i).

    One sort plus prefix sums: O(n log n), no re-solves.

    Budget
    ------
    ``market.budget`` is ignored: the welfare optimum with VCG payments can cost more
    than any budget, which is why VCG does not claim ``budget_feasible``.
    DSIC, IR and monotone hold for any capacities and demand.
    """

    name = "vcg"
    description = "Welfare-maximising purchase with Clarke-pivot payments; ignores the budget."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": False,
        "monotone": True,
    }

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        asks = market.check_asks(asks)
        surplus = market.values - asks
        queue = SupplyQueue(-surplus, market.capacities, surplus >= 0)
        units = (
            queue.total_units if market.demand is None else min(market.demand, queue.total_units)
        )
        taken = queue.taken(units)
        rejected = queue.capacities - taken
        queued_surplus = surplus[queue.sellers]
        replacement = _rejected_surplus(rejected, queued_surplus, rejected + taken) - (
            _rejected_surplus(rejected, queued_surplus, rejected)
        )
        paid = taken * market.values[queue.sellers] - replacement
        return Outcome(queue.to_sellers(taken, dtype=np.int64), queue.to_sellers(paid))


def _rejected_surplus(rejected: np.ndarray, surplus: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``L(j)``: total surplus of the first ``j`` rejected units in queue order, for each ``j``.

    ``rejected[p]`` units of queue position ``p`` (surplus ``surplus[p]`` each) are
    rejected; ``counts`` beyond the number of rejected units are capped at it.
    """
    ends = np.cumsum(rejected)
    total = int(ends[-1]) if ends.size else 0
    counts = np.minimum(counts, total)
    if total == 0:
        return np.zeros(counts.shape)
    ends_surplus = np.cumsum(rejected * surplus)
    position = np.searchsorted(ends, counts, side="left")
    before_units = np.where(position > 0, ends[position - 1], 0)
    before_surplus = np.where(position > 0, ends_surplus[position - 1], 0.0)
    return before_surplus + (counts - before_units) * surplus[position]
