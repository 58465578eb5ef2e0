"""The hypothesis strategies honour their options and produce valid, bounded markets."""

import numpy as np
import pytest
from hypothesis import find, given, settings

from mechanisms.strategies import amounts, cost_profiles, market_and_costs, markets


@settings(max_examples=100)
@given(markets(unit_capacity=True, with_budget=True, with_demand=False))
def test_unit_markets_with_budget_and_no_demand(market):
    assert (market.capacities == 1).all()
    assert market.budget is not None and 0 < market.budget <= market.n_sellers
    assert market.demand is None
    assert ((market.values >= 0) & (market.values <= 1)).all()


@settings(max_examples=100)
@given(markets(unit_capacity=False, with_budget=False, with_demand=True, max_capacity=4))
def test_multi_unit_markets_have_a_seller_above_one_unit(market):
    assert market.capacities.max() >= 2
    assert market.capacities.max() <= 4
    assert market.budget is None
    assert 1 <= market.demand <= market.total_capacity + 1


@settings(max_examples=100)
@given(market_and_costs(n_sellers=3, max_cost=2.0))
def test_costs_match_the_market_and_stay_in_range(case):
    market, costs = case
    assert market.n_sellers == 3
    assert costs.shape == (3,)
    assert np.isfinite(costs).all() and (costs >= 0).all() and (costs <= 2.0).all()


def test_ties_between_costs_are_drawn():
    tie = find(cost_profiles(3), lambda costs: costs[0] == costs[1] > 0)
    assert tie[0] == tie[1]


def test_free_options_reach_both_cases():
    find(markets(), lambda market: market.budget is not None and market.demand is None)
    find(markets(), lambda market: market.budget is None and market.capacities.max() > 1)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf")])
def test_bad_amount_bound_is_rejected(bad):
    with pytest.raises(ValueError, match=r"^max_amount: "):
        amounts(bad)


def test_bad_seller_count_is_rejected():
    with pytest.raises(ValueError, match=r"^market_or_n: "):
        cost_profiles(0)
