"""Hypothesis strategies for markets and cost profiles, to compose in property tests.

::

    from hypothesis import given
    from mechanisms.strategies import market_and_costs

    @given(market_and_costs(unit_capacity=True))
    def test_my_mechanism_is_truthful(case):
        market, costs = case
        assert check_dsic(MyMechanism(), costs, market) == []

Money amounts (values, costs, budgets) are bounded and finite. Half of the draws lie
on the grid of multiples of 1/64, so ties between asks, values and budgets shares
happen often (that is where tie-breaking bugs live), and those draws shrink to small
round numbers; the other half are arbitrary floats in range.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st

from mechanisms.market import Market

#: Grid step for money amounts drawn on the grid.
GRID = 1 / 64

#: Default number of sellers in :func:`markets`.
SELLER_COUNTS = st.integers(1, 4)


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


def _size(n_sellers: int | st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    if isinstance(n_sellers, st.SearchStrategy):
        return n_sellers
    if isinstance(n_sellers, bool) or not isinstance(n_sellers, int | np.integer) or n_sellers < 1:
        raise ValueError(f"n_sellers: must be an int >= 1 or a strategy, got {n_sellers!r}")
    return st.just(int(n_sellers))


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
    n_sellers: int | st.SearchStrategy[int] = SELLER_COUNTS,
    unit_capacity: bool | None = None,
    with_budget: bool | None = None,
    with_demand: bool | None = None,
    max_capacity: int = 3,
    max_value: float = 1.0,
) -> Market:
    """A :class:`~mechanisms.market.Market`.

    Parameters
    ----------
    n_sellers : int or strategy of int
        Number of sellers (default 1 to 4).
    unit_capacity : bool or None
        True: every capacity is 1. False: capacities in ``1..max_capacity`` with at least
        one seller above 1. None: either.
    with_budget, with_demand : bool or None
        True: always set (budget in ``(0, n * max_value]``, demand in
        ``1..total capacity + 1``), False: always ``None``, None: either.
    max_capacity : int
        Largest capacity drawn (>= 2 when ``unit_capacity`` is False).
    max_value : float
        Values lie in ``[0, max_value]``.
    """
    if unit_capacity is False and max_capacity < 2:
        raise ValueError("max_capacity: must be >= 2 when unit_capacity is False")
    n = draw(_size(n_sellers))
    values = np.array(draw(_vectors(amounts(max_value), n)))
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
def market_and_costs(draw, max_cost: float = 1.0, **market_options) -> tuple[Market, np.ndarray]:
    """A ``(market, true_costs)`` pair; ``market_options`` go to :func:`markets`."""
    market = draw(markets(**market_options))
    return market, draw(cost_profiles(market, max_cost))
