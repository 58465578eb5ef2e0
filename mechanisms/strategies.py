"""Hypothesis strategies for markets and cost profiles, to compose in property tests.

::

    from hypothesis import given
    from mechanisms.strategies import market_and_costs

    @given(market_and_costs(unit_capacity=True))
    def test_my_mechanism_is_truthful(case):
        market, costs = case
        assert check_dsic(MyMechanism(), costs, market) == []

By default a market has 1 to 8 sellers (most of them small) and its money on a scale
of 1, 10 or 1000, as :mod:`mechanisms.search_space` sets out. Money amounts (values,
costs, budgets) are bounded and finite. Half of the draws lie on the grid of multiples
of 1/64 of the bound, so ties between asks, values and budget shares happen often (that
is where tie-breaking bugs live), and those draws shrink to small round numbers; the
other half are arbitrary floats in range.

:func:`misreports` draws what a hand-written DSIC test needs, with the reach of
:func:`mechanisms.properties.check_dsic`: a seller, a true cost and a misreport, both
taken from the two sides of the breakpoints of that seller's outcome in its own ask.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st

from mechanisms.market import Market
from mechanisms.properties import find_breakpoints
from mechanisms.protocol import Mechanism
from mechanisms.search_space import MAX_SELLERS, MONEY_SCALES, SMALL_MARKET

#: Grid step for money amounts drawn on the grid, as a share of the bound.
GRID = 1 / 64

#: Default money scale: ``MONEY_SCALES[0]`` (1) half the time, else one of ``MONEY_SCALES``.
SCALES = st.one_of(st.just(MONEY_SCALES[0]), st.sampled_from(MONEY_SCALES))


@functools.cache
def amounts(max_amount: float = 1.0) -> st.SearchStrategy[float]:
    """A money amount in ``[0, max_amount]``: a multiple of ``GRID * max_amount``, or any float.

    Strategies here are cached: building them anew on every draw costs more than drawing.
    """
    if not (np.isfinite(max_amount) and max_amount > 0):
        raise ValueError(f"max_amount: must be a finite number > 0, got {max_amount!r}")
    steps = round(1 / GRID)
    return st.one_of(
        st.integers(0, steps).map(lambda k: k * max_amount / steps),
        st.floats(0.0, max_amount, allow_nan=False, allow_subnormal=False),
    )


@functools.cache
def _vectors(elements: st.SearchStrategy, n: int) -> st.SearchStrategy[list]:
    return st.lists(elements, min_size=n, max_size=n)


#: Whether a default market is large (more than ``SMALL_MARKET`` sellers): one in four.
LARGE_MARKET = st.sampled_from((False, False, False, True))


@functools.cache
def _seller_lists(elements: st.SearchStrategy, large: bool) -> st.SearchStrategy[list]:
    """One element per seller, 1 to ``SMALL_MARKET`` of them, or more when ``large``.

    The length is the list's own, so hypothesis shrinks a market by deleting sellers.
    """
    if large:
        return st.lists(elements, min_size=SMALL_MARKET + 1, max_size=MAX_SELLERS)
    return st.lists(elements, min_size=1, max_size=SMALL_MARKET)


def _size(n_sellers: int | st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    if isinstance(n_sellers, st.SearchStrategy):
        return n_sellers
    if isinstance(n_sellers, bool) or not isinstance(n_sellers, int | np.integer) or n_sellers < 1:
        raise ValueError(f"n_sellers: must be an int >= 1 or a strategy, got {n_sellers!r}")
    return st.just(int(n_sellers))


def _bound(max_value: float | st.SearchStrategy[float]) -> st.SearchStrategy[float]:
    if isinstance(max_value, st.SearchStrategy):
        return max_value
    if isinstance(max_value, bool) or not (np.isfinite(max_value) and max_value > 0):
        raise ValueError(f"max_value: must be a finite number > 0 or a strategy, got {max_value!r}")
    return st.just(float(max_value))


@functools.cache
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.cache
def _positive_amounts(max_amount: float) -> st.SearchStrategy[float]:
    return amounts(max_amount).filter(lambda amount: amount > 0)


@functools.cache
def _maybe(flag: bool | None, strategy: st.SearchStrategy) -> st.SearchStrategy:
    """``None`` (flag False), a draw from ``strategy`` (flag True), or either (flag None)."""
    if flag is None:
        return st.one_of(st.none(), strategy)
    return strategy if flag else st.none()


@st.composite
def markets(
    draw,
    n_sellers: int | st.SearchStrategy[int] | None = None,
    unit_capacity: bool | None = None,
    with_budget: bool | None = None,
    with_demand: bool | None = None,
    max_capacity: int = 3,
    max_value: float | st.SearchStrategy[float] = SCALES,
) -> Market:
    """A :class:`~mechanisms.market.Market`.

    Parameters
    ----------
    n_sellers : int, strategy of int, or None
        Number of sellers. ``None`` (default): 1 to ``SMALL_MARKET`` three times in four,
        else ``SMALL_MARKET + 1`` to ``MAX_SELLERS`` (:mod:`mechanisms.search_space`).
    unit_capacity : bool or None
        True: every capacity is 1. False: capacities in ``1..max_capacity`` with at least
        one seller above 1. None: either.
    with_budget, with_demand : bool or None
        True: always set (budget in ``(0, n * max_value]``, demand in
        ``1..total capacity + 1``), False: always ``None``, None: either.
    max_capacity : int
        Largest capacity drawn (>= 2 when ``unit_capacity`` is False).
    max_value : float or strategy of float
        Values lie in ``[0, max_value]`` (default :data:`SCALES`: 1, 10 or 1000).
    """
    if unit_capacity is False and max_capacity < 2:
        raise ValueError("max_capacity: must be >= 2 when unit_capacity is False")
    max_value = draw(_bound(max_value))
    if n_sellers is None:
        values = np.array(draw(_seller_lists(amounts(max_value), draw(LARGE_MARKET))))
    else:
        values = np.array(draw(_vectors(amounts(max_value), draw(_size(n_sellers)))))
    n = values.shape[0]
    if unit_capacity is None:
        unit_capacity = draw(st.booleans())
    if unit_capacity:
        capacities = np.ones(n, dtype=np.int64)
    else:
        capacities = np.array(draw(_vectors(_integers(1, max_capacity), n)), dtype=np.int64)
        capacities[draw(_integers(0, n - 1))] = draw(_integers(2, max_capacity))
    demand = draw(_maybe(with_demand, _integers(1, int(capacities.sum()) + 1)))
    budget = draw(_maybe(with_budget, _positive_amounts(n * max_value)))
    return Market(values=values, capacities=capacities, demand=demand, budget=budget)


def cost_profiles(
    market_or_n: Market | int, max_cost: float = 1.0
) -> st.SearchStrategy[np.ndarray]:
    """One true cost per seller, each in ``[0, max_cost]`` (see :func:`amounts`)."""
    n = market_or_n.n_sellers if isinstance(market_or_n, Market) else market_or_n
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"market_or_n: give a Market or an int >= 1, got {market_or_n!r}")
    return _vectors(amounts(max_cost), int(n)).map(np.array)


@st.composite
def market_and_costs(
    draw, max_cost: float | None = None, **market_options
) -> tuple[Market, np.ndarray]:
    """A ``(market, true_costs)`` pair; ``market_options`` go to :func:`markets`.

    Costs lie in ``[0, max_cost]``; by default on the market's scale, ``[0, max_value]``.
    """
    scale = draw(_bound(market_options.pop("max_value", SCALES)))
    market = draw(markets(max_value=scale, **market_options))
    return market, draw(cost_profiles(market, scale if max_cost is None else max_cost))


@st.composite
def misreports(
    draw, mech: Mechanism, market: Market, costs, seed: int = 0
) -> tuple[int, float, float]:
    """A ``(seller, true_cost, ask)`` triple from both sides of the seller's breakpoints.

    The others ask ``costs``. The seller's breakpoints (where its allocation or payment
    jumps as its own ask moves, :func:`mechanisms.properties.find_breakpoints`, seeded
    by ``seed``) are found once per draw. Two draws in three take the true cost on one
    side of a breakpoint and the ask on the other (either way round), the pair that
    exposes a band of profitable types; the others draw both from the seller's given
    cost, 0 and the two ends of every breakpoint. A property test that compares
    ``u(ask; true_cost)`` with ``u(true_cost; true_cost)`` so tests a seller just inside
    and just outside every band where the outcome changes::

        @given(st.data())
        def test_truthful(data):
            market, costs = data.draw(market_and_costs(unit_capacity=True))
            seller, cost, ask = data.draw(misreports(MyMechanism(), market, costs))
            ...  # run at cost and at ask (others at costs), compare the seller's utility
    """
    costs = market.check_asks(costs)
    seller = draw(_integers(0, market.n_sellers - 1))
    brackets = find_breakpoints(mech, costs, market, seller, seed)
    way = draw(_integers(0, 2))
    if brackets and way < 2:
        low, high = draw(st.sampled_from(brackets))
        return (seller, low, high) if way == 0 else (seller, high, low)
    sides = sorted({float(costs[seller]), 0.0, *(end for bracket in brackets for end in bracket)})
    points = st.sampled_from(sides)
    return seller, draw(points), draw(points)
