"""Myerson's (1981) optimal procurement mechanism for a known cost distribution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from scipy import stats

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.supply_queue import SupplyQueue
from mechanisms.unit_thresholds import unit_threshold_scores

_REGULARITY_GRID = np.linspace(0.0005, 0.9995, 2001)
_BISECTION_STEPS = 64


class Myerson:
    """Buyer-optimal procurement when every cost is drawn i.i.d. from a known ``F``.

    Myerson (1981), "Optimal auction design", Math. Oper. Res. 6(1), in its reverse
    (procurement) form: in any DSIC, IR mechanism the buyer's expected payment to
    seller ``i`` equals the expected *virtual cost* of what it buys,

        phi(c) = c + F(c) / f(c),

    so the buyer's expected utility is ``E[sum_i (value_i - phi(c_i)) x_i]``. With a
    regular ``F`` (``phi`` non-decreasing) it is maximised pointwise:

    Allocation
        Queue the units of sellers with virtual surplus ``value_i - phi(ask_i) >= 0``
        by that surplus, largest first (ties by seller index), and buy the first
        ``demand`` units, each seller up to its capacity. With a common value this is
        "ascending virtual cost while ``phi(ask) <= value``"; with per-seller values
        the surplus order is the one that maximises the objective above.
    Payments
        Each bought unit is paid its threshold: the highest ask at which its seller
        would still sell it. For the ``j``-th unit of seller ``i`` with ``s`` the best
        virtual surplus among the other sellers' units that would take its place
        (:func:`~mechanisms.unit_thresholds.unit_threshold_scores`),
        ``p = phi^{-1}(value_i - max(s, 0))``, where ``phi^{-1}(y) = sup{c : phi(c) <= y}``,
        clipped to the support's upper end. With one seller, ``F = U[0, 1]`` and value
        1 this is the optimal reserve price ``phi^{-1}(1) = 0.5``.

    Assumptions and choices
        - ``phi`` is evaluated from ``distribution.cdf`` and ``.pdf``; ``phi^{-1}`` by
          bisection (64 halvings), returning a point where ``phi <= y`` so that a
          payment never falls below the ask, or in closed form for
          ``scipy.stats.uniform(a, w)``: ``phi^{-1}(y) = (y + a) / 2``. Below the support
          ``phi(c) = c`` (no mass below); above it ``phi = inf``: an ask the prior deems
          impossible never sells.
        - The distribution must be regular; this is checked on a quantile grid at
          construction (no ironing). Its support must lie in ``[0, inf)``.
        - ``market.budget`` is ignored (``budget_feasible`` is not claimed).
        - No randomness: ``rng`` is unused.

    Sellers are single-parameter (cost per label, public capacity), and the
    allocation is monotone in the own ask, so threshold payments make DSIC, IR and
    monotonicity hold for any capacities and demand.

    Parameters
    ----------
    distribution : scipy.stats frozen continuous distribution, optional
        The cost distribution ``F``; default ``scipy.stats.uniform(0, 1)``
        (``phi(c) = 2c``).
    """

    name = "myerson"
    description = "Optimal procurement for a known cost distribution: virtual-cost ranking."
    properties: ClassVar[Mapping[str, bool]] = {
        "dsic": True,
        "ir": True,
        "budget_feasible": False,
        "monotone": True,
    }

    def __init__(self, distribution=None):
        distribution = stats.uniform(0, 1) if distribution is None else distribution
        for method in ("cdf", "pdf", "ppf", "support"):
            if not callable(getattr(distribution, method, None)):
                raise ValueError(
                    "distribution: expected a frozen scipy.stats continuous distribution, "
                    f"e.g. scipy.stats.uniform(0, 1); got {distribution!r}"
                )
        lower, upper = (float(bound) for bound in distribution.support())
        if lower < 0:
            raise ValueError(
                f"distribution: support starts at {lower}, but costs are >= 0; "
                "use a distribution on [0, inf), e.g. scipy.stats.truncnorm"
            )
        self.distribution = distribution
        self.lower, self.upper = lower, upper
        self._is_uniform = getattr(getattr(distribution, "dist", None), "name", "") == "uniform"
        grid = distribution.ppf(_REGULARITY_GRID)
        phi = self.virtual_cost(grid)
        drops = np.flatnonzero(np.diff(phi) < -1e-9 * np.maximum(1.0, np.abs(phi[1:])))
        if drops.size:
            raise ValueError(
                "distribution: not regular, c + F(c)/f(c) decreases near "
                f"c = {grid[drops[0]]:.4g}; Myerson here needs a non-decreasing virtual cost "
                "(no ironing); pick a distribution with log-concave F (uniform, lognormal, ...)"
            )

    def virtual_cost(self, costs) -> np.ndarray:
        """``phi(c) = c + F(c)/f(c)``; ``c`` below the support, ``inf`` above it."""
        costs = np.asarray(costs, dtype=float)
        cdf = self.distribution.cdf(costs)
        pdf = self.distribution.pdf(costs)
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = costs + cdf / pdf
        phi = np.where(cdf <= 0, costs, phi)
        return np.where((cdf > 0) & (pdf <= 0), np.inf, phi)

    def inverse_virtual_cost(self, targets, lower) -> np.ndarray:
        """``sup{c : phi(c) <= target}`` by bisection, clipped to the support's upper end.

        ``lower`` holds a cost with ``phi(lower) <= target`` for each target.
        """
        low = np.asarray(lower, dtype=float).copy()
        targets = np.asarray(targets, dtype=float)
        if self._is_uniform:
            # phi(c) = 2c - a on the support [a, upper] and c below it.
            start = self.lower
            closed_form = np.where(targets < start, targets, 0.5 * (targets + start))
            return np.clip(closed_form, low, self.upper)
        if np.isfinite(self.upper):
            high = np.full_like(low, self.upper)
            settled = self.virtual_cost(high) <= targets
        else:
            high = np.maximum(2 * low, 1.0)
            while np.any(grow := self.virtual_cost(high) <= targets):
                high = np.where(grow, 2 * high, high)
            settled = np.zeros(low.shape, dtype=bool)
        low = np.where(settled, high, low)
        for _ in range(_BISECTION_STEPS):
            middle = 0.5 * (low + high)
            below = self.virtual_cost(middle) <= targets
            low = np.where(below & ~settled, middle, low)
            high = np.where(below | settled, high, middle)
        return low

    def run(self, asks, market: Market, rng: np.random.Generator) -> Outcome:
        asks = market.check_asks(asks)
        surplus = market.values - self.virtual_cost(asks)
        queue = SupplyQueue(-surplus, market.capacities, surplus >= 0)
        n_units = queue.total_units if market.demand is None else market.demand
        positions, rival_surplus = unit_threshold_scores(queue, surplus, n_units, reserve=0.0)
        sellers = queue.sellers[positions]
        unit_payments = self.inverse_virtual_cost(
            market.values[sellers] - rival_surplus, lower=asks[sellers]
        )
        n_positions = queue.sellers.size
        taken = np.bincount(positions, minlength=n_positions)
        paid = np.bincount(positions, weights=unit_payments, minlength=n_positions)
        return Outcome(queue.to_sellers(taken, dtype=np.int64), queue.to_sellers(paid))
