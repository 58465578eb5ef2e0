"""The hypothesis strategies honour their options and produce valid, bounded markets."""

import itertools

import hypothesis
import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from mechanisms.search_space import MAX_SELLERS, MONEY_SCALES, SMALL_MARKET
from mechanisms.strategies import amounts, cost_profiles, market_and_costs, markets, misreports
from mechanisms.uniform_price import UniformPrice
from tests.properties.planted_mechanisms import BandPaysAsk


@settings(max_examples=100)
@given(markets(unit_capacity=True, with_budget=True, with_demand=False, max_value=1.0))
def test_unit_markets_with_budget_and_no_demand(market):
    assert (market.capacities == 1).all()
    assert market.budget is not None and 0 < market.budget <= market.n_sellers
    assert market.demand is None
    assert ((market.values >= 0) & (market.values <= 1)).all()


@settings(max_examples=100)
@given(market_and_costs())
def test_default_markets_stay_within_the_largest_scale(case):
    market, costs = case
    top = max(MONEY_SCALES)
    assert 1 <= market.n_sellers <= MAX_SELLERS
    assert ((market.values >= 0) & (market.values <= top)).all()
    assert ((costs >= 0) & (costs <= top)).all()
    assert market.budget is None or 0 < market.budget <= market.n_sellers * top


def test_default_markets_reach_every_size_and_scale():
    find(markets(), lambda market: market.n_sellers == MAX_SELLERS)
    for low, high in itertools.pairwise(MONEY_SCALES):
        # values above the lower scale, on a market no larger than the higher one
        find(markets(), lambda market, low=low, high=high: low < market.values.max() <= high)


def test_a_failure_that_needs_many_sellers_shrinks_to_the_fewest():
    market = find(markets(), lambda market: market.n_sellers > SMALL_MARKET)
    assert market.n_sellers == SMALL_MARKET + 1


def test_costs_are_drawn_on_the_market_scale():
    find(market_and_costs(), lambda case: case[1].max() > 1)
    _, costs = find(market_and_costs(max_value=10.0), lambda case: case[1].max() > 9)
    assert costs.max() <= 10.0


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


def test_bad_value_bound_is_rejected():
    with pytest.raises(ValueError, match=r"^max_value: "):
        find(markets(max_value=0.0), lambda market: True)


def test_bad_seller_count_is_rejected():
    with pytest.raises(ValueError, match=r"^market_or_n: "):
        cost_profiles(0)


def hand_written_dsic_test(mech, seed):
    """A user's own DSIC test drawing from ``misreports``; returns whether it failed."""

    @hypothesis.seed(seed)
    @settings(max_examples=200, database=None, phases=(Phase.generate,))
    @given(st.data())
    def truthful(data):
        market, costs = data.draw(market_and_costs(unit_capacity=True, max_value=1.0))
        seller, cost, ask = data.draw(misreports(mech, market, costs))
        utility = []
        for own in (cost, ask):
            asks = costs.copy()
            asks[seller] = own
            outcome = mech.run(asks, market, np.random.default_rng(0))
            utility.append(outcome.payments[seller] - cost * outcome.allocation[seller])
        assert utility[1] <= utility[0] + 1e-9

    try:
        truthful()
    except AssertionError:
        return True
    return False


@pytest.mark.parametrize("seed", range(2))
def test_misreports_give_a_hand_written_test_the_reach_of_the_kit(seed):
    # BandPaysAsk gains only for true costs in [0.41, 0.42]; the uniform price it
    # changes is DSIC with unit capacities (Vickrey 1961), so a test of it must pass.
    assert hand_written_dsic_test(BandPaysAsk(), seed)
    assert not hand_written_dsic_test(UniformPrice(), seed)
