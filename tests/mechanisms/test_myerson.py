"""Myerson's optimal procurement: hand cases, optimal reserve, closed forms by Monte Carlo."""

import numpy as np
import pytest
from hypothesis import given, settings
from scipy import stats

from mechanisms.market import Market
from mechanisms.myerson import Myerson
from mechanisms.strategies import market_and_costs
from tests.mechanisms.deviation_grid import allocation_rises_with_ask, largest_gain
from tests.mechanisms.monte_carlo import assert_mean_matches

RNG = np.random.default_rng(0)

# U[0,1] by two names: the closed-form inverse (uniform) and the bisection (beta(1, 1)).
UNIFORM_COSTS = [stats.uniform(0, 1), stats.beta(1, 1)]


@pytest.mark.parametrize("distribution", UNIFORM_COSTS, ids=["closed_form", "bisection"])
def test_hand_cases_with_uniform_costs(distribution):
    mech = Myerson(distribution)
    # phi(c) = 2c. Values 1, asks (0.2, 0.3, 0.6), demand 2: phi = 0.4, 0.6, 1.2;
    # virtual surplus 0.6, 0.4, -0.2. Sellers 0, 1 win; no eligible rival remains for
    # either, so each is paid the reserve phi^{-1}(1) = 0.5.
    out = mech.run([0.2, 0.3, 0.6], Market([1.0, 1.0, 1.0], [1, 1, 1], demand=2), RNG)
    assert out.allocation.tolist() == [1, 1, 0]
    np.testing.assert_allclose(out.payments, [0.5, 0.5, 0.0], atol=1e-9)
    # Demand 1, asks (0.2, 0.3): the rival's virtual surplus is 1 - 0.6 = 0.4, so the
    # winner is paid phi^{-1}(1 - 0.4) = 0.3, the second price.
    out = mech.run([0.2, 0.3], Market([1.0, 1.0], [1, 1], demand=1), RNG)
    np.testing.assert_allclose(out.payments, [0.3, 0.0], atol=1e-9)
    # Values (1, 0.6), asks (0.1, 0.05), demand 1: surplus 1 - 0.2 = 0.8 beats
    # 0.6 - 0.1 = 0.5 although seller 1 is cheaper; paid phi^{-1}(1 - 0.5) = 0.25.
    out = mech.run([0.1, 0.05], Market([1.0, 0.6], [1, 1], demand=1), RNG)
    assert out.allocation.tolist() == [1, 0]
    np.testing.assert_allclose(out.payments, [0.25, 0.0], atol=1e-9)
    # Seller 0 has two labels at cost 0.1, seller 1 one at 0.3, values 1, demand 2:
    # surplus 0.8 vs 0.4, seller 0 sells both. Its 1st label has no rival beyond
    # seller 1's single label: phi^{-1}(1) = 0.5; its 2nd competes with seller 1:
    # phi^{-1}(1 - 0.4) = 0.3. Total 0.8 = c x(c) + int x = 0.2 + 2*0.2 + 1*0.2.
    out = mech.run([0.1, 0.3], Market([1.0, 1.0], [2, 1], demand=2), RNG)
    assert out.allocation.tolist() == [2, 0]
    np.testing.assert_allclose(out.payments, [0.8, 0.0], atol=1e-9)


def test_reserve_clipped_to_support_and_asks_above_it_never_sell():
    # U[0,1] and value 5: phi^{-1}(5) = 2.5 lies above the support, so the payment is
    # clipped to 1; an ask of 1.2 is impossible under the prior and does not sell.
    mech = Myerson()
    out = mech.run([0.3, 1.2], Market([5.0, 5.0], [1, 1]), RNG)
    assert out.allocation.tolist() == [1, 0]
    np.testing.assert_allclose(out.payments, [1.0, 0.0])


def test_shifted_uniform_reserve():
    # U[0.2, 1.2]: phi(c) = 2c - 0.2, so phi^{-1}(1) = 0.6.
    out = Myerson(stats.uniform(0.2, 1.0)).run([0.3], Market([1.0], [1]), RNG)
    np.testing.assert_allclose(out.payments, [0.6])


def test_irregular_or_negative_distributions_are_refused():
    with pytest.raises(ValueError, match=r"^distribution: not regular"):
        Myerson(stats.beta(0.5, 0.5))
    with pytest.raises(ValueError, match=r"^distribution: support starts at"):
        Myerson(stats.norm())
    with pytest.raises(ValueError, match=r"^distribution: expected a frozen"):
        Myerson(distribution="uniform")


def test_one_seller_buyer_utility_is_one_quarter():
    # One seller, cost ~ U[0,1], value 1: the optimal reserve is phi^{-1}(1) = 0.5, so
    # the buyer pays 0.5 with probability 0.5: E[utility] = 0.5 * (1 - 0.5) = 0.25.
    mech, market = Myerson(), Market([1.0], [1], demand=1)
    draws = np.random.default_rng(11).uniform(size=3000)
    utilities = [mech.run([c], market, RNG).buyer_utility(market.values) for c in draws]
    assert_mean_matches(utilities, 0.25)


def test_beats_second_price_with_two_sellers():
    # n sellers, U[0,1] costs, value 1, one unit. Myerson's buyer utility is the expected
    # virtual surplus E[max(1 - 2 c_(1), 0)] with c_(1) ~ Beta(1, n):
    #   int_0^{1/2} (1 - 2c) n (1-c)^{n-1} dc = 2n/(n+1) (1 - 2^{-(n+1)}) - (1 - 2^{-n}),
    # 5/12 for n = 2. The reverse second-price auction pays the second-lowest cost, so
    # the buyer keeps 1 - 2/(n+1) = 1/3. Paired on the same cost draws.
    n = 2
    mech, market = Myerson(), Market([1.0] * n, [1] * n, demand=1)
    draws = np.random.default_rng(12).uniform(size=(3000, n))
    myerson = np.array([mech.run(c, market, RNG).buyer_utility(market.values) for c in draws])
    second_price = 1.0 - np.sort(draws, axis=1)[:, 1]
    assert_mean_matches(myerson, 2 * n / (n + 1) * (1 - 2.0 ** -(n + 1)) - (1 - 2.0**-n))
    assert_mean_matches(second_price, 1 - 2 / (n + 1))
    advantage = myerson - second_price
    assert advantage.mean() > 4 * advantage.std(ddof=1) / np.sqrt(advantage.size)


@settings(max_examples=20)
@given(market_and_costs(n_sellers=3))
def test_no_profitable_misreport_for_any_capacities(case):
    market, costs = case
    gain, seller, misreport = largest_gain(Myerson(), costs, market)
    assert gain <= 1e-9, f"seller {seller} gains {gain} by asking {misreport}"


@settings(max_examples=50)
@given(market_and_costs())
def test_individually_rational_and_within_demand(case):
    market, costs = case
    out = Myerson().run(costs, market, RNG)
    assert np.all(out.seller_utilities(costs) >= -1e-12)
    assert market.demand is None or out.units <= market.demand


@settings(max_examples=10)
@given(market_and_costs(n_sellers=3))
def test_allocation_never_rises_with_own_ask(case):
    market, costs = case
    assert not allocation_rises_with_ask(Myerson(), costs, market)
