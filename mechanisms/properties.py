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
every reported counterexample are run twice, so what is reported replays.

Deviation search (for DSIC and monotonicity), for each seller ``i`` in turn, the
others asking their true costs:

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
   (:func:`find_breakpoints`);
4. ``n_local`` steps of a seeded local search around the most profitable misreport
   found, the step (from ``0.1 * scale``) halving on failure.

``scale = max(1, values, costs, budget)``, ``eps = 1e-6 * scale``, and a gain counts
only above ``rel_tol * scale`` (float noise).

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
to the misreport closest to the true cost; sellers without one are not reported. A band
``w`` wide in which the outcome differs from both sides yet no named ask falls is hit
by stage 2 with probability about ``min(1, n_grid * w / t)`` per seller.
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
from mechanisms.run_contract import DEFAULT_TIMEOUT, CheckedRuns

#: Multiples of the true cost always tried as misreports.
COST_MULTIPLES = (0.5, 0.9, 1.1, 1.5, 2.0)

#: Misreports per seller on the coarse stratified grid over ``[0, 2 * scale]``.
COARSE_POINTS = 8

#: Misreports per seller on the dense stratified grid over the asks where it sells or is paid.
GRID_POINTS = 32

#: Payment jumps bisected per seller, the largest first.
PAYMENT_JUMPS = 8


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

    @property
    def truthful_asks(self) -> np.ndarray:
        """The ask profile the misreport is compared with: ``asks``, the seller at its true cost.

        DSIC: ``mech.run`` on this and on ``asks`` gives the two utilities in ``detail``.
        Other properties: ``asks`` itself.
        """
        asks = np.array(self.asks, dtype=float)
        if self.property == "dsic":
            asks[self.seller] = self.true_cost
        return asks


@dataclass(frozen=True)
class _Deviations:
    """A seller's allocation and payment at each ask tried, others truthful; sorted by ask."""

    seller: int
    asks: np.ndarray
    allocation: np.ndarray
    payments: np.ndarray
    breakpoints: tuple[tuple[float, float], ...] = ()


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

    ``u_i = payment_i - c_i * allocation_i`` (quasi-linear, DESIGN.md). Truthfulness is
    dominant-strategy (Nisan et al. 2007, ch. 9): the others ask their true costs here,
    and the hypothesis suites vary those costs; the seller's own true cost is the one
    given and, failing a gain there, every ask the search tries (a violation's
    ``true_cost`` may then differ from ``true_costs``). See the module docstring.
    """
    search = _Search(n_grid, n_local)
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
    search = _Search(n_grid, n_local)
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
    search = _Search(n_grid, n_local)
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
        deviations = _deviations(runs, costs, seller, scale, _Search(n_grid, 0), rel_tol * scale)
    return list(deviations.breakpoints)


@dataclass(frozen=True)
class _Search:
    """Sizes of the deviation search's seeded stages (see the module docstring)."""

    n_grid: int
    n_local: int


def _checks(
    mech: Mechanism,
    true_costs,
    market: Market,
    seed: int,
    props: tuple[str, ...],
    search: _Search | None,
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
            deviations = _deviations(runs, costs, seller, scale, search, tol)
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


def _deviations(
    runs: CheckedRuns, costs: np.ndarray, seller: int, scale: float, search: _Search, tol: float
) -> _Deviations:
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
    return _Deviations(seller, asks, allocation, payments, tuple(breakpoints))


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


def _dsic_violation(
    runs: CheckedRuns, costs: np.ndarray, deviations: _Deviations, tol: float
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
    runs: CheckedRuns, costs: np.ndarray, deviations: _Deviations
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
