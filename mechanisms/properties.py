"""The property kit: search one market for counterexamples to a mechanism's claims.

Each check takes a mechanism, the sellers' true costs and a market, and returns a
list of :class:`Violation` records, empty when no counterexample is found::

    from mechanisms.properties import check_dsic
    violations = check_dsic(mech, true_costs, market, seed=0)

Randomness is held fixed: every call of ``mech.run`` inside one check gets a fresh
``np.random.default_rng(seed)``, so a randomised mechanism sees the same draws while
one seller deviates (DSIC is checked ex post, for each realisation of the coins).
Every call is held to the contract of ``run`` (:mod:`mechanisms.run_contract`): a
breach raises :class:`~mechanisms.run_contract.ContractError`, a refusal of the
market at the truthful asks raises
:class:`~mechanisms.run_contract.MarketRefusedError`, and the truthful profile and
every reported counterexample are run twice, so what is reported replays. For DSIC and
monotonicity each seller in turn tries the asks of :mod:`mechanisms.deviation_search`, the
others asking their true costs.

Every ask tried is also tried as a *true cost*. DSIC is a claim about every type
(Nisan et al. 2007, ch. 9): with the others' asks fixed, the seller's allocation
``x(b)`` and payment ``p(b)`` as functions of its own ask decide it for every true cost
at once, and a type ``c`` gains by asking ``b`` when ``p(b) - c x(b) > p(c) - c x(c)``.
The check tests that for every pair of asks tried, so true costs and misreports on both
sides of every breakpoint found: a violation confined to a narrow band of true costs (a
seller paid its own ask inside a band, a rounding step, a tier boundary) is found as
soon as one ask lands in the band, not only when the drawn cost does.

Per seller the reported counterexample is the most profitable misreport of its given
true cost; when that cost has none, the most profitable one of any type tried (its
``true_cost`` then differs from the one given; ``truthful_asks`` replays it). Ties go
to the misreport closest to the true cost; sellers without one are not reported.
"""

from __future__ import annotations

import itertools

import numpy as np

from mechanisms import deviation_search
from mechanisms.conditions import condition_holds
from mechanisms.deviation_search import GRID_POINTS, Deviations, Search
from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.protocol import PROPERTY_NAMES, Mechanism
from mechanisms.run_contract import DEFAULT_TIMEOUT, CheckedRuns
from mechanisms.violation import Violation


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
    n_grid: int = GRID_POINTS,
    n_local: int = 8,
    rel_tol: float = 1e-9,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> list[Violation]:
    """Profitable unilateral misreports: ``u_i(b, c_-i) - u_i(c_i, c_-i) > tol``.

    ``u_i = payment_i - c_i * allocation_i`` (quasi-linear, docs/architecture.md). Truthfulness is
    dominant-strategy (Nisan et al. 2007, ch. 9): the others ask their true costs here,
    and the hypothesis suites vary those costs; the seller's own true cost is the one
    given and, failing a gain there, every ask the search tries (a violation's
    ``true_cost`` may then differ from ``true_costs``). See the module docstring.
    """
    search = Search(n_grid, n_local)
    return _checks(mech, true_costs, market, seed, ("dsic",), search, rel_tol, timeout)["dsic"]


def check_monotone(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int = 0,
    *,
    n_grid: int = GRID_POINTS,
    n_local: int = 8,
    rel_tol: float = 1e-9,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> list[Violation]:
    """Asks ``b < b'`` of one seller, others fixed, where the allocation at ``b'`` is larger.

    A seller's allocation must weakly decrease in its own ask (Myerson 1981; Archer &
    Tardos 2001): the condition under which threshold payments make a mechanism DSIC.
    Uses the same asks as :func:`check_dsic`.
    """
    search = Search(n_grid, n_local)
    return _checks(mech, true_costs, market, seed, ("monotone",), search, rel_tol, timeout)[
        "monotone"
    ]


def check_ir(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int = 0,
    *,
    rel_tol: float = 1e-9,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> list[Violation]:
    """Truthful sellers with negative utility: ``payment_i - c_i * allocation_i < -tol``."""
    return _checks(mech, true_costs, market, seed, ("ir",), None, rel_tol, timeout)["ir"]


def check_budget_feasible(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int = 0,
    *,
    rel_tol: float = 1e-9,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> list[Violation]:
    """Total payment above the budget at truthful asks; ``[]`` when the market has no budget."""
    if market.budget is None:
        return []
    return _checks(mech, true_costs, market, seed, ("budget_feasible",), None, rel_tol, timeout)[
        "budget_feasible"
    ]


def check_all(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int = 0,
    *,
    n_grid: int = GRID_POINTS,
    n_local: int = 8,
    rel_tol: float = 1e-9,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> dict[str, list[Violation]]:
    """Every check, keyed by property name; the deviation search is shared by DSIC and monotone.

    All four properties are checked whatever the mechanism declares; use
    :func:`declared` to tell a broken claim from a property the mechanism disclaims.
    """
    search = Search(n_grid, n_local)
    return _checks(mech, true_costs, market, seed, PROPERTY_NAMES, search, rel_tol, timeout)


def find_breakpoints(
    mech: Mechanism,
    asks,
    market: Market,
    seller: int,
    seed: int = 0,
    *,
    n_grid: int = GRID_POINTS,
    rel_tol: float = 1e-9,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> list[tuple[float, float]]:
    """Where ``seller``'s allocation or payment jumps as a function of its own ask.

    The others ask ``asks``; the seller's asks are those of the deviation search (module
    docstring, stages 1 to 3, the seller's entry of ``asks`` as its cost). Returns
    brackets ``(low, high)``, sorted, each at most ``1e-6 * scale`` wide, with a
    different allocation, or a payment differing by more than ``rel_tol * scale``, at its
    two ends; a payment that moves linearly with the ask (pay-as-bid) has no breakpoint.
    A breakpoint between two asks the grids and named asks leave on one side (a band
    narrower than a grid slice, and not next to a cost, value or budget share) can be
    missed.
    """
    if not 0 <= seller < market.n_sellers:
        raise ValueError(f"seller: must be in 0..{market.n_sellers - 1}, got {seller!r}")
    costs, scale = _prepare(asks, market)
    with CheckedRuns(mech, market, seed, timeout) as runs:
        runs.outcome(costs)
        deviations = deviation_search.deviations(
            runs, costs, seller, scale, Search(n_grid, 0), rel_tol * scale
        )
    return list(deviations.breakpoints)


def _checks(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int,
    props: tuple[str, ...],
    search: Search | None,
    rel_tol: float,
    timeout: float | None,
) -> dict[str, list[Violation]]:
    """Run the checks named in ``props`` under the run contract; replay what they report."""
    costs, scale = _prepare(true_costs, market)
    tol = rel_tol * scale
    found: dict[str, list[Violation]] = {prop: [] for prop in props}
    with CheckedRuns(mech, market, seed, timeout) as runs:
        truthful = runs.outcome(costs)
        if "ir" in found:
            found["ir"] = _ir_violations(runs, costs, truthful, tol)
        if "budget_feasible" in found:
            found["budget_feasible"] = _budget_violations(runs, costs, truthful, tol)
        for seller in range(market.n_sellers) if {"dsic", "monotone"} & set(props) else ():
            deviations = deviation_search.deviations(runs, costs, seller, scale, search, tol)
            if "dsic" in found and (violation := _dsic_violation(runs, costs, deviations, tol)):
                found["dsic"].append(violation)
            if "monotone" in found and (violation := _monotone_violation(runs, costs, deviations)):
                found["monotone"].append(violation)
        runs.replay(costs)
        for violation in itertools.chain.from_iterable(found.values()):
            runs.replay(violation.asks)
            if violation.property == "dsic":
                runs.replay(violation.truthful_asks)
    return found


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


def _ir_violations(
    runs: CheckedRuns, costs: np.ndarray, outcome: Outcome, tol: float
) -> list[Violation]:
    utilities = outcome.seller_utilities(costs)
    return [
        Violation(
            property="ir",
            seller=int(i),
            true_cost=float(costs[i]),
            misreport=None,
            amount=float(-utilities[i]),
            market=runs.market,
            asks=costs,
            seed=runs.seed,
            detail=(
                f"asking its true cost, seller {i} sells {outcome.allocation[i]} label(s) "
                f"for {outcome.payments[i]:.6g} at cost {costs[i]:.6g} each: "
                f"utility {utilities[i]:.6g} < 0"
            ),
        )
        for i in np.flatnonzero(utilities < -tol)
    ]


def _budget_violations(
    runs: CheckedRuns, costs: np.ndarray, outcome: Outcome, tol: float
) -> list[Violation]:
    budget = runs.market.budget
    if budget is None or outcome.spend - budget <= tol:
        return []
    return [
        Violation(
            property="budget_feasible",
            seller=None,
            true_cost=None,
            misreport=None,
            amount=float(outcome.spend - budget),
            market=runs.market,
            asks=costs,
            seed=runs.seed,
            detail=(
                f"payments {np.array2string(outcome.payments, precision=6)} sum to "
                f"{outcome.spend:.6g} > budget {budget:.6g}"
            ),
        )
    ]


def _dsic_violation(
    runs: CheckedRuns, costs: np.ndarray, deviations: Deviations, tol: float
) -> Violation | None:
    """The most profitable misreport of the seller's true cost, else of any ask tried as a type.

    Every ask ``c`` tried is also a true cost the seller could have (the others' costs
    fixed): DSIC requires ``u(b; c) = p(b) - c * x(b) <= u(c; c)`` for every pair of asks
    tried, and the asks on both sides of each breakpoint are among them. A gain at the
    given true cost is reported first; otherwise the largest gain over all types, ties
    going to the misreport closest to the type.
    """
    seller = deviations.seller
    tried = deviations.asks
    # utility[c, b]: a seller of true cost tried[c] asking tried[b]
    utility = deviations.payments[None, :] - tried[:, None] * deviations.allocation[None, :]
    gains = utility - np.diag(utility)[:, None]
    own = int(np.searchsorted(tried, costs[seller]))
    rows = [own] if gains[own].max() > tol else np.arange(tried.size)
    best_gain = gains[rows].max()
    if best_gain <= tol:
        return None
    near = np.argwhere(gains[rows] >= best_gain - tol)
    distance = np.abs(tried[near[:, 1]] - tried[np.asarray(rows)[near[:, 0]]])
    row, best = near[np.argmin(distance)]
    truthful = int(np.asarray(rows)[row])
    true_cost, misreport = float(tried[truthful]), float(tried[best])
    asks = costs.copy()
    asks[seller] = misreport
    return Violation(
        property="dsic",
        seller=seller,
        true_cost=true_cost,
        misreport=misreport,
        amount=float(gains[truthful, best]),
        market=runs.market,
        asks=asks,
        seed=runs.seed,
        detail=(
            f"seller {seller} of true cost {true_cost:.9g}, the others truthful: asking it, sells "
            f"{deviations.allocation[truthful]} for {deviations.payments[truthful]:.9g} "
            f"(utility {utility[truthful, truthful]:.9g}); asking {misreport:.9g}, sells "
            f"{deviations.allocation[best]} for {deviations.payments[best]:.9g} "
            f"(utility {utility[truthful, best]:.9g})"
        ),
    )


def _monotone_violation(
    runs: CheckedRuns, costs: np.ndarray, deviations: Deviations
) -> Violation | None:
    seller = deviations.seller
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
        market=runs.market,
        asks=asks,
        seed=runs.seed,
        detail=(
            f"seller {seller} sells {allocation[lower]} at ask {deviations.asks[lower]:.6g} "
            f"but {allocation[higher]} at the higher ask {deviations.asks[higher]:.6g}"
        ),
    )
