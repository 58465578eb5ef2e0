"""The deviation search of the property kit (``mechanisms.properties``): the asks one seller
tries, the others asking their true costs, and where its outcome jumps.

For seller ``i`` (DSIC and monotonicity are checked for each seller in turn):

1. named misreports: the own true cost ``c_i``; 0; ``c_i`` times 0.5, 0.9, 1.1, 1.5, 2;
   every other seller's cost, every value and every ``budget / k`` (``k = 1..n``); and
   a prohibitive ask ``2 * scale``;
2. stratified grids, one uniform draw in each equal slice: :data:`COARSE_POINTS` over
   ``[0, 2 * scale]``, then ``n_grid`` (default :data:`GRID_POINTS`) over ``[0, t]``,
   ``t`` the highest ask tried so far at which the seller sells or is paid (where its
   utility can differ from 0). The draws come from a generator seeded by
   ``seed``, the seller and the instance, separate from the mechanism's, so they
   differ between markets;
3. ``a ± eps`` beside each other cost, value and budget share ``a`` where the seller's
   outcome changes next to it, then bisection, down to ``eps``, of every jump of the
   seller's allocation between neighbouring asks and of its :data:`PAYMENT_JUMPS`
   largest payment jumps, so thresholds no named ask gives (a posted price, a
   virtual-cost cut-off, a proportional share, the edge of a band) are bracketed from
   both sides; then once more for the jumps the first bisections uncovered (a band
   next to a threshold). The brackets are the seller's *breakpoints*
   (``mechanisms.properties.find_breakpoints``);
4. ``n_local`` steps of a seeded local search around the most profitable misreport
   found, the step (from ``0.1 * scale``) halving on failure.

``scale = max(1, values, costs, budget)``, ``eps = 1e-6 * scale``, and a gain counts
only above ``rel_tol * scale`` (float noise). A band ``w`` wide in which the outcome
differs from both sides yet no named ask falls is hit by stage 2 with probability about
``min(1, n_grid * w / t)`` per seller.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mechanisms.market import Market
from mechanisms.run_contract import CheckedRuns

#: Multiples of the true cost always tried as misreports.
COST_MULTIPLES = (0.5, 0.9, 1.1, 1.5, 2.0)

#: Misreports per seller on the coarse stratified grid over ``[0, 2 * scale]``.
COARSE_POINTS = 8

#: Misreports per seller on the dense stratified grid over the asks where it sells or is paid.
GRID_POINTS = 32

#: Payment jumps bisected per seller, the largest first.
PAYMENT_JUMPS = 8


@dataclass(frozen=True)
class Deviations:
    """A seller's allocation and payment at each ask tried, others truthful; sorted by ask."""

    seller: int
    asks: np.ndarray
    allocation: np.ndarray
    payments: np.ndarray
    breakpoints: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Search:
    """Sizes of the deviation search's seeded stages (see the module docstring)."""

    n_grid: int
    n_local: int


def _search_generator(seed: int, seller: int, costs: np.ndarray, market: Market):
    """The search's own generator, seeded by the check's seed, the seller and the instance.

    Seeding by the instance too makes the grid's draws differ between markets checked
    with the same ``seed`` (as a hypothesis suite does), yet replay for each one.
    """
    instance = np.concatenate(
        [costs, market.values, market.capacities, [market.demand or -1, market.budget or -1]]
    )
    words = np.frombuffer(instance.astype(float).tobytes(), dtype=np.uint32)
    return np.random.default_rng([seed, seller, 0x5EA2C4, *words.tolist()])


def deviations(
    runs: CheckedRuns, costs: np.ndarray, seller: int, scale: float, search: Search, tol: float
) -> Deviations:
    """Run the misreport search for one seller (see the module docstring)."""
    market = runs.market
    eps = 1e-6 * scale
    high = 2.0 * scale
    tried: dict[float, tuple[int, float]] = {}
    profile = costs.copy()

    def evaluate(asks_to_try) -> None:
        for ask in np.clip(np.asarray(asks_to_try, dtype=float), 0.0, high):
            ask = float(ask)
            if ask not in tried:
                profile[seller] = ask
                outcome = runs.outcome(profile)
                tried[ask] = (int(outcome.allocation[seller]), float(outcome.payments[seller]))

    own = costs[seller]
    anchors = [np.delete(costs, seller), market.values]
    if market.budget is not None:
        anchors.append(market.budget / np.arange(1, market.n_sellers + 1))
    anchors = np.concatenate(anchors)
    multiples = own * np.array(COST_MULTIPLES)
    evaluate(np.concatenate([[own, 0.0, high], multiples, anchors]))
    generator = _search_generator(runs.seed, seller, costs, market)
    evaluate(_stratified(generator, COARSE_POINTS, high))
    selling = [ask for ask, (units, paid) in tried.items() if units or paid]
    if selling:
        evaluate(_stratified(generator, search.n_grid, max(selling)))
    _step_beside_changes(tried, evaluate, anchors, eps)
    breakpoints = _bisect_jumps(tried, evaluate, eps, tol)
    breakpoints = sorted({*breakpoints, *_bisect_jumps(tried, evaluate, eps, tol)})
    step = 0.1 * scale
    for _ in range(search.n_local):
        best = max(tried, key=lambda ask: tried[ask][1] - own * tried[ask][0])
        best_utility = tried[best][1] - own * tried[best][0]
        candidate = float(np.clip(best + step * generator.standard_normal(), 0.0, high))
        evaluate([candidate])
        allocation, payment = tried[candidate]
        if payment - own * allocation <= best_utility:
            step /= 2
    asks = np.array(sorted(tried))
    allocation = np.array([tried[a][0] for a in asks], dtype=np.int64)
    payments = np.array([tried[a][1] for a in asks])
    return Deviations(seller, asks, allocation, payments, tuple(breakpoints))


def _stratified(generator: np.random.Generator, points: int, top: float) -> np.ndarray:
    """One uniform draw in each of ``points`` equal slices of ``[0, top]``."""
    return (np.arange(points) + generator.random(points)) * top / points


def _step_beside_changes(tried, evaluate, anchors: np.ndarray, eps: float) -> None:
    """Try ``anchor ± eps`` on each side of an anchor where the outcome changes next to it."""
    asks = sorted(tried)
    steps = []
    for anchor in set(anchors.tolist()):
        i = asks.index(anchor)
        if i > 0 and tried[asks[i - 1]] != tried[anchor]:
            steps.append(anchor - eps)
        if i + 1 < len(asks) and tried[asks[i + 1]] != tried[anchor]:
            steps.append(anchor + eps)
    evaluate(steps)


def _bisect_jumps(
    tried: Mapping[float, tuple[int, float]], evaluate, eps: float, tol: float
) -> list[tuple[float, float]]:
    """Bisect every allocation jump, and the largest payment jumps, between neighbouring asks.

    A payment jump is a payment change above ``tol`` between neighbours with the same
    allocation, more than ``2 * eps`` apart (closer, it may be a slope); the
    :data:`PAYMENT_JUMPS` largest are bisected. Returns the breakpoints
    found, as brackets (see :func:`_bisect`).
    """
    allocation_jumps, payment_jumps = [], []
    for low, high in itertools.pairwise(sorted(tried)):
        (units_low, paid_low), (units_high, paid_high) = tried[low], tried[high]
        if units_low != units_high:
            allocation_jumps.append((low, high))
        elif high - low > 2 * eps and abs(paid_high - paid_low) > tol:
            payment_jumps.append((abs(paid_high - paid_low), low, high))
    largest_payment_jumps = [(low, high) for _, low, high in sorted(payment_jumps)[-PAYMENT_JUMPS:]]
    brackets = []
    for low, high in allocation_jumps + largest_payment_jumps:
        if (bracket := _bisect(tried, evaluate, low, high, eps, tol)) is not None:
            brackets.append(bracket)
    return sorted(set(brackets))


def _bisect(
    tried, evaluate, low: float, high: float, eps: float, tol: float
) -> tuple[float, float] | None:
    """Halve ``[low, high]`` down to ``eps``, keeping the half where the outcome jumps.

    An allocation change decides the half; with one allocation throughout, the half with
    the larger payment change does, and the search stops where the payment is linear
    (a midpoint payment within ``tol`` of the chord: a slope, not a jump). Returns the
    final bracket, at most ``eps`` wide, with a different outcome at each end (a
    breakpoint), or ``None`` where the payment turned out to be a slope.
    """
    while high - low > eps:
        middle = 0.5 * (low + high)
        evaluate([middle])
        (units_low, paid_low), (units_mid, paid_mid), (units_high, paid_high) = (
            tried[low],
            tried[middle],
            tried[high],
        )
        if units_mid != units_low:
            high = middle
        elif units_mid != units_high:
            low = middle
        elif abs(paid_mid - 0.5 * (paid_low + paid_high)) <= tol:
            return None
        elif abs(paid_mid - paid_low) >= abs(paid_high - paid_mid):
            high = middle
        else:
            low = middle
    return (low, high)
