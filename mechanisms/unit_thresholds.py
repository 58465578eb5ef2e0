"""Per-unit threshold scores for mechanisms that buy the best-ranked units.

Myerson and VickreyFeedback rank sellers by a score that falls as the seller's ask
rises (virtual surplus, buyer surplus) and buy the first ``n_units`` units of that
ranking. A seller's allocation is then non-increasing in its own ask, and paying
each bought unit the *threshold* (the highest ask at which the seller would still
sell that unit) is the payment rule of Myerson's (1981) lemma: with a constant cost
per label, ``p_i(c) = c x_i(c) + integral_c^inf x_i(t) dt``, which is the sum over
the seller's units of their thresholds. It is DSIC and IR for any capacities.
"""

from __future__ import annotations

import numpy as np

from mechanisms.supply_queue import SupplyQueue


def unit_threshold_scores(
    queue: SupplyQueue, score: np.ndarray, n_units: int, reserve: float
) -> tuple[np.ndarray, np.ndarray]:
    """The lowest score at which each bought unit would still be bought.

    Parameters
    ----------
    queue : SupplyQueue
        Sellers with ``score >= reserve``, queued by ``-score`` (best first, ties by
        seller index).
    score : array of float, shape (n,)
        Every seller's score, indexed by seller.
    n_units : int
        Units bought: the first ``n_units`` of the queue (fewer if it runs out).
    reserve : float
        The lowest score that is queued at all.

    Returns
    -------
    positions : array of int
        Queue position of the seller of each bought unit, in queue order.
    thresholds : array of float
        For the ``j``-th unit of a seller, the ``(n_units - j + 1)``-th best score
        among the *other* sellers' queued units (its seller keeps the unit while it
        ranks ahead of that unit), floored at ``reserve``; ``reserve`` when fewer
        rival units exist.
    """
    taken = queue.taken(min(n_units, queue.total_units))
    positions = np.repeat(np.arange(taken.size), taken)
    first_of_block = np.repeat(np.cumsum(taken) - taken, taken)
    unit_index = np.arange(positions.size) - first_of_block + 1
    rival_rank = n_units - unit_index + 1
    own_start = (queue.ends - queue.capacities)[positions]
    own_capacity = queue.capacities[positions]
    rival_unit = np.where(rival_rank <= own_start, rival_rank, rival_rank + own_capacity)
    has_rival = rival_unit <= queue.total_units
    rival_position = np.searchsorted(
        queue.ends, np.minimum(rival_unit, queue.total_units), side="left"
    )
    rival_score = score[queue.sellers[np.minimum(rival_position, queue.sellers.size - 1)]]
    thresholds = np.where(has_rival, np.maximum(rival_score, reserve), reserve)
    return positions, thresholds
