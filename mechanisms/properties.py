"""The property kit: search one market for counterexamples to a mechanism's claims.

Each check takes a mechanism, the sellers' true costs and a market, and returns a
list of :class:`Violation` records, empty when no counterexample is found::

    from mechanisms.properties import check_dsic
    violations = check_dsic(mech, true_costs, market, seed=0)

Randomness is held fixed: every call of ``mech.run`` inside one check gets a fresh
``np.random.default_rng(seed)``, so a randomised mechanism sees the same draws while
one seller deviates (DSIC is checked ex post, for each realisation of the coins).

Deviation search (for DSIC and monotonicity), for each seller ``i`` in turn, the
others asking their true costs:

1. a grid of misreports: 0; ``c_i`` times 0.5, 0.9, 1.1, 1.5, 2; every other seller's
   cost, every value and every ``budget / k`` (``k = 1..n``), each exactly and
   ``± eps``; the own true cost ``c_i``; and a prohibitive ask ``2 * scale``;
2. bisection on every jump of the seller's allocation between neighbouring grid
   points, down to ``eps``, so thresholds the grid does not name (a posted price, a
   virtual-cost cut-off, a proportional share) are bracketed from both sides;
3. ``n_random`` misreports uniform on ``[0, 2 * scale]`` from a generator seeded by
   ``seed`` (separate from the mechanism's), then ``n_local`` steps of a seeded local
   search around the most profitable misreport found, the step halving on failure.

``scale = max(1, values, costs, budget)``, ``eps = 1e-6 * scale``, and a gain counts
only above ``rel_tol * scale`` (float noise). Per seller the reported counterexample is
the most profitable misreport found (ties go to the misreport closest to the true
cost); sellers without one are not reported.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mechanisms.conditions import condition_holds
from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.protocol import PROPERTY_NAMES, Mechanism

#: Multiples of the true cost always tried as misreports.
COST_MULTIPLES = (0.5, 0.9, 1.1, 1.5, 2.0)


@dataclass(frozen=True, eq=False)
class Violation:
    """One counterexample to a property.

    Attributes
    ----------
    property : str
        ``"dsic"``, ``"ir"``, ``"budget_feasible"`` or ``"monotone"``.
    seller : int or None
        The seller concerned (``None`` for budget feasibility, a property of the buyer).
    true_cost : float or None
        That seller's true cost.
    misreport : float or None
        DSIC: the profitable ask. Monotone: the higher ask that wins more labels.
        ``None`` for IR and budget feasibility, which are checked at truthful asks.
    amount : float
        How much the property fails by, always > 0. DSIC: utility gain from the
        misreport. IR: the truthful seller's loss, ``-utility``. Budget: total payment
        minus budget. Monotone: extra labels won at the higher ask.
    market : Market
        The market.
    asks : ndarray
        The full ask profile under which the violating outcome occurs.
    seed : int
        ``mech.run(asks, market, np.random.default_rng(seed))`` reproduces it.
    detail : str
        One sentence with the outcomes compared.
    """

    property: str
    seller: int | None
    true_cost: float | None
    misreport: float | None
    amount: float
    market: Market
    asks: np.ndarray
    seed: int
    detail: str


@dataclass(frozen=True)
class _Deviations:
    """Seller ``i``'s allocation and payment at each ask tried, others truthful; sorted by ask."""

    asks: np.ndarray
    allocation: np.ndarray
    payments: np.ndarray


def declared(mech: Mechanism, prop: str, market: Market | None = None) -> bool:
    """True when ``mech`` claims ``prop`` and, given a market, the claim's condition holds on it.

    The condition is ``mech.conditions[prop]`` when present (see :mod:`mechanisms.conditions`).
    """
    if prop not in PROPERTY_NAMES:
        raise ValueError(f"prop: unknown property {prop!r}; use one of {PROPERTY_NAMES}")
    if not mech.properties.get(prop, False):
        return False
    if market is None:
        return True
    return condition_holds(getattr(mech, "conditions", {}).get(prop), market)


def check_dsic(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int = 0,
    *,
    n_random: int = 8,
    n_local: int = 8,
    rel_tol: float = 1e-9,
) -> list[Violation]:
    """Profitable unilateral misreports: ``u_i(b, c_-i) - u_i(c_i, c_-i) > tol``.

    ``u_i = payment_i - c_i * allocation_i`` (quasi-linear, DESIGN.md). Truthfulness is
    dominant-strategy (Nisan et al. 2007, ch. 9): the others ask their true costs here,
    and the hypothesis suites vary those costs. See the module docstring for the search.
    """
    costs, scale = _prepare(true_costs, market)
    return [
        violation
        for seller in range(market.n_sellers)
        if (
            violation := _dsic_violation(
                mech,
                costs,
                market,
                seed,
                seller,
                _deviations(mech, costs, market, seed, seller, scale, n_random, n_local),
                rel_tol * scale,
            )
        )
    ]


def check_monotone(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int = 0,
    *,
    n_random: int = 8,
    n_local: int = 8,
    rel_tol: float = 1e-9,
) -> list[Violation]:
    """Asks ``b < b'`` of one seller, others fixed, where the allocation at ``b'`` is larger.

    A seller's allocation must weakly decrease in its own ask (Myerson 1981; Archer &
    Tardos 2001): the condition under which threshold payments make a mechanism DSIC.
    Uses the same asks as :func:`check_dsic`.
    """
    costs, scale = _prepare(true_costs, market)
    return [
        violation
        for seller in range(market.n_sellers)
        if (
            violation := _monotone_violation(
                costs,
                market,
                seed,
                seller,
                _deviations(mech, costs, market, seed, seller, scale, n_random, n_local),
            )
        )
    ]


def check_ir(
    mech: Mechanism, true_costs, market: Market, seed: int = 0, *, rel_tol: float = 1e-9
) -> list[Violation]:
    """Truthful sellers with negative utility: ``payment_i - c_i * allocation_i < -tol``."""
    costs, scale = _prepare(true_costs, market)
    outcome = _run(mech, costs, market, seed)
    utilities = outcome.seller_utilities(costs)
    return [
        Violation(
            property="ir",
            seller=int(i),
            true_cost=float(costs[i]),
            misreport=None,
            amount=float(-utilities[i]),
            market=market,
            asks=costs,
            seed=seed,
            detail=(
                f"asking its true cost, seller {i} sells {outcome.allocation[i]} label(s) "
                f"for {outcome.payments[i]:.6g} at cost {costs[i]:.6g} each: "
                f"utility {utilities[i]:.6g} < 0"
            ),
        )
        for i in np.flatnonzero(utilities < -rel_tol * scale)
    ]


def check_budget_feasible(
    mech: Mechanism, true_costs, market: Market, seed: int = 0, *, rel_tol: float = 1e-9
) -> list[Violation]:
    """Total payment above the budget at truthful asks; ``[]`` when the market has no budget."""
    if market.budget is None:
        return []
    costs, scale = _prepare(true_costs, market)
    outcome = _run(mech, costs, market, seed)
    overspend = outcome.spend - market.budget
    if overspend <= rel_tol * scale:
        return []
    return [
        Violation(
            property="budget_feasible",
            seller=None,
            true_cost=None,
            misreport=None,
            amount=float(overspend),
            market=market,
            asks=costs,
            seed=seed,
            detail=(
                f"payments {np.array2string(outcome.payments, precision=6)} sum to "
                f"{outcome.spend:.6g} > budget {market.budget:.6g}"
            ),
        )
    ]


def check_all(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int = 0,
    *,
    n_random: int = 8,
    n_local: int = 8,
    rel_tol: float = 1e-9,
) -> dict[str, list[Violation]]:
    """Every check, keyed by property name; the deviation search is shared by DSIC and monotone.

    All four properties are checked whatever the mechanism declares; use
    :func:`declared` to tell a broken claim from a property the mechanism disclaims.
    """
    costs, scale = _prepare(true_costs, market)
    tol = rel_tol * scale
    dsic, monotone = [], []
    for seller in range(market.n_sellers):
        deviations = _deviations(mech, costs, market, seed, seller, scale, n_random, n_local)
        if violation := _dsic_violation(mech, costs, market, seed, seller, deviations, tol):
            dsic.append(violation)
        if violation := _monotone_violation(costs, market, seed, seller, deviations):
            monotone.append(violation)
    return {
        "dsic": dsic,
        "ir": check_ir(mech, costs, market, seed, rel_tol=rel_tol),
        "budget_feasible": check_budget_feasible(mech, costs, market, seed, rel_tol=rel_tol),
        "monotone": monotone,
    }


def _prepare(true_costs, market: Market) -> tuple[np.ndarray, float]:
    """Validated costs and the market's money scale ``max(1, values, costs, budget)``."""
    costs = market.check_asks(true_costs).copy()
    scale = max(
        1.0,
        float(market.values.max(initial=0.0)),
        float(costs.max(initial=0.0)),
        market.budget or 0.0,
    )
    return costs, scale


def _run(mech: Mechanism, asks: np.ndarray, market: Market, seed: int) -> Outcome:
    """``mech.run`` with a fresh ``default_rng(seed)`` and a private copy of the asks."""
    outcome = mech.run(asks.copy(), market, np.random.default_rng(seed))
    if outcome.allocation.shape != (market.n_sellers,):
        raise ValueError(
            f"outcome: {mech.name!r} returned {outcome.allocation.shape[0]} allocations "
            f"for {market.n_sellers} sellers; return one entry per seller"
        )
    return outcome


def _deviations(
    mech: Mechanism,
    costs: np.ndarray,
    market: Market,
    seed: int,
    seller: int,
    scale: float,
    n_random: int,
    n_local: int,
) -> _Deviations:
    """Run the three-stage misreport search for one seller (see the module docstring)."""
    eps = 1e-6 * scale
    high = 2.0 * scale
    tried: dict[float, tuple[int, float]] = {}

    def evaluate(asks_to_try) -> None:
        profile = costs.copy()
        for ask in np.clip(np.asarray(asks_to_try, dtype=float), 0.0, high):
            ask = float(ask)
            if ask in tried:
                continue
            profile[seller] = ask
            try:
                outcome = _run(mech, profile, market, seed)
            except Exception as exc:
                exc.add_note(f"while seller {seller} asks {ask!r} in {market!r}, seed {seed}")
                raise
            tried[ask] = (int(outcome.allocation[seller]), float(outcome.payments[seller]))

    own = costs[seller]
    anchors = [np.delete(costs, seller), market.values]
    if market.budget is not None:
        anchors.append(market.budget / np.arange(1, market.n_sellers + 1))
    anchors = np.concatenate(anchors)
    multiples = own * np.array(COST_MULTIPLES)
    evaluate(np.concatenate([[0.0, own, high], multiples, anchors - eps, anchors, anchors + eps]))
    _bisect_allocation_jumps(tried, evaluate, eps)

    search = np.random.default_rng([seed, seller, 0x5EA2C4])
    evaluate(search.uniform(0.0, high, n_random))
    step = 0.1 * scale
    for _ in range(n_local):
        best = max(tried, key=lambda ask: tried[ask][1] - own * tried[ask][0])
        best_utility = tried[best][1] - own * tried[best][0]
        candidate = float(np.clip(best + step * search.standard_normal(), 0.0, high))
        evaluate([candidate])
        allocation, payment = tried[float(candidate)]
        if payment - own * allocation <= best_utility:
            step /= 2
    asks = np.array(sorted(tried))
    allocation = np.array([tried[a][0] for a in asks], dtype=np.int64)
    payments = np.array([tried[a][1] for a in asks])
    return _Deviations(asks, allocation, payments)


def _bisect_allocation_jumps(tried: Mapping[float, tuple[int, float]], evaluate, eps: float):
    """Narrow every allocation jump between neighbouring tried asks to an interval below ``eps``."""
    for low, high in itertools.pairwise(sorted(tried)):
        if tried[low][0] == tried[high][0] or high - low <= 2 * eps:
            continue
        while high - low > eps:
            middle = 0.5 * (low + high)
            evaluate([middle])
            if tried[middle][0] == tried[low][0]:
                low = middle
            else:
                high = middle


def _dsic_violation(
    mech: Mechanism,
    costs: np.ndarray,
    market: Market,
    seed: int,
    seller: int,
    deviations: _Deviations,
    tol: float,
) -> Violation | None:
    own = costs[seller]
    utilities = deviations.payments - own * deviations.allocation
    truthful = int(np.searchsorted(deviations.asks, own))
    gains = utilities - utilities[truthful]
    if gains.max() <= tol:
        return None
    best_gain = gains.max()
    near_best = np.flatnonzero(gains >= best_gain - tol)
    best = near_best[np.argmin(np.abs(deviations.asks[near_best] - own))]
    misreport = float(deviations.asks[best])
    asks = costs.copy()
    asks[seller] = misreport
    return Violation(
        property="dsic",
        seller=seller,
        true_cost=float(own),
        misreport=misreport,
        amount=float(gains[best]),
        market=market,
        asks=asks,
        seed=seed,
        detail=(
            f"truthful: sells {deviations.allocation[truthful]} for "
            f"{deviations.payments[truthful]:.6g} (utility {utilities[truthful]:.6g}); "
            f"asking {misreport:.6g}: sells {deviations.allocation[best]} for "
            f"{deviations.payments[best]:.6g} (utility {utilities[best]:.6g})"
        ),
    )


def _monotone_violation(
    costs: np.ndarray, market: Market, seed: int, seller: int, deviations: _Deviations
) -> Violation | None:
    allocation = deviations.allocation
    running_min = np.minimum.accumulate(allocation)
    increase = allocation[1:] - running_min[:-1]
    if increase.size == 0 or increase.max() <= 0:
        return None
    higher = int(np.argmax(increase)) + 1
    lower = int(np.flatnonzero(allocation[:higher] == running_min[higher - 1])[-1])
    asks = costs.copy()
    asks[seller] = deviations.asks[higher]
    return Violation(
        property="monotone",
        seller=seller,
        true_cost=float(costs[seller]),
        misreport=float(deviations.asks[higher]),
        amount=float(increase[higher - 1]),
        market=market,
        asks=asks,
        seed=seed,
        detail=(
            f"seller {seller} sells {allocation[lower]} at ask {deviations.asks[lower]:.6g} "
            f"but {allocation[higher]} at the higher ask {deviations.asks[higher]:.6g}"
        ),
    )
