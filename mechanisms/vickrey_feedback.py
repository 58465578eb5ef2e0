"""VickreyFeedback (Zhang & Duan 2024) adapted to buying labels per item from the best sellers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from scipy.special import expit

from mechanisms.item_filling import items_fillable
from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.supply_queue import SupplyQueue
from mechanisms.unit_thresholds import unit_threshold_scores


def quality_weight(b_a, b_r):
    """QA-DPO training weight of a pair from the quality bids of its two winners.

    ``w(b_a, b_r) = 0.5 + sigmoid(b_a - b_r)``, in ``(0.5, 1.5)``: Zhang & Duan (2024),
    "VickreyFeedback: cost-efficient data construction for reinforcement learning
    from human feedback", PRIMA 2024, arXiv:2409.18417 (QA-DPO). ``b_a`` is the bid
    behind the chosen response and ``b_r`` the one behind the rejected response;
    equal bids give weight 1. Works elementwise on arrays.
    """
    return 0.5 + expit(np.subtract(b_a, b_r, dtype=float))


class VickreyFeedback:
    """Per item, the ``labels_per_item`` best sellers by quality-adjusted price win, Vickrey-paid.

    Zhang & Duan (2024), arXiv:2409.18417, collect preference data through a
    VCG-inspired auction: per item, two winners are selected by declared quality
    and paid the second-highest bid. Their bids are self-assessed qualities of
    generated responses; here sellers sell *labels*, so the protocol is adapted:

    Assumptions
        - Quality is the buyer's value per label from the seller (``market.values``,
          its running quality estimate); the seller declares only its price (ask).
        - Sellers are ranked by the score ``value - ask`` (quality minus price, a
          quasi-linear scoring rule, Che 1993 "Design competition through multidimensional
          auctions", RAND J. Econ.). It is the buyer's surplus, so the ranking is the
          welfare-maximising one the paper's VCG inspiration asks for; with a common
          value it is plain lowest-ask-first, i.e. Vickrey's ordering. (The ratio
          ``value / ask`` would favour cheap low-quality sellers and is undefined at
          ask 0.) Only sellers with score ``>= 0`` (ask at most value) take part.
        - Labels are bought in items of ``labels_per_item`` labels (default 2, the
          paper's two winners), each label of an item from a different seller, so a
          seller labels at most one unit per item. Items are interchangeable (the
          Market has no item identities): ``K`` is the largest number of items,
          at most ``demand // labels_per_item``, with
          ``sum_i min(capacity_i, K) >= K * labels_per_item`` over taking-part
          sellers; then the ``K * labels_per_item`` best-scored units are bought,
          each seller capped at ``min(capacity_i, K)``. Any such allocation fills
          ``K`` items with distinct sellers (deal a seller's units to consecutive
          items); which seller labels which item is left to the caller.
        - Payment generalises "second price" to the first losing bid: each unit is
          paid ``value_i - s``, with ``s`` the score of the best unit from another
          seller that would replace it (floored at 0, so never above ``value_i``).
          With a common value and one seller per unit, both winners of an item are
          paid the lowest losing ask. Paying the second winner its own bid, as a
          literal "second-highest bid" would, is pay-as-bid for it and not DSIC.
        - ``market.budget`` is ignored (``budget_feasible`` is not claimed); pace spend
          through ``demand``. No randomness: ``rng`` is unused.

    The allocation is monotone in a seller's own ask (its ask only moves its score
    and, at 0, whether it takes part) and every unit is paid its threshold, so DSIC
    and IR hold for any capacities (Myerson 1981; see
    :mod:`mechanisms.unit_thresholds`). Training pairs built from two winners'
    labels are weighted by :func:`quality_weight`.

    Parameters
    ----------
    labels_per_item : int
        Labels bought per item, each from a different seller; ``>= 1``.
    """

    name = "vickrey_feedback"
    description = "Per item, the best sellers by value minus ask win, paid the first losing bid."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": False,
        "monotone": True,
    }

    def __init__(self, labels_per_item: int = 2):
        if isinstance(labels_per_item, bool) or int(labels_per_item) != labels_per_item:
            raise ValueError(f"labels_per_item: must be a whole number, got {labels_per_item!r}")
        if labels_per_item < 1:
            raise ValueError(f"labels_per_item: must be >= 1, got {labels_per_item}")
        self.labels_per_item = int(labels_per_item)

    def items_fillable(self, capacities: np.ndarray, max_items: int) -> int:
        """Largest ``K <= max_items`` items this supply fills (:func:`items_fillable`)."""
        return items_fillable(capacities, max_items, self.labels_per_item)

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        asks = market.check_asks(asks)
        score = market.values - asks
        taking_part = score >= 0
        items = self.items_fillable(
            market.capacities[taking_part], market.effective_demand // self.labels_per_item
        )
        queue = SupplyQueue(-score, np.minimum(market.capacities, items), taking_part)
        positions, rival_score = unit_threshold_scores(
            queue, score, items * self.labels_per_item, reserve=0.0
        )
        n_positions = queue.sellers.size
        unit_payments = market.values[queue.sellers[positions]] - rival_score
        taken = np.bincount(positions, minlength=n_positions)
        paid = np.bincount(positions, weights=unit_payments, minlength=n_positions)
        return Outcome(queue.to_sellers(taken, dtype=np.int64), queue.to_sellers(paid))
