import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from mechanisms import Market
from mechanisms.vcg import VCG
from tests.mechanisms.monte_carlo import assert_mean_matches
from tests.mechanisms.naive_vcg import max_welfare, naive_vcg

RNG = np.random.default_rng(0)


def test_hand_case_multi_unit_clarke_payments():
    # Surplus v - a: s0 0.8 (x2), s1 0.6 (x1), s2 0.5 (x3), s3 0.1 (x1). Demand 4 takes
    # s0 x2, s1 x1, s2 x1 (marginal); W = 1.6 + 0.6 + 0.5 = 2.7.
    # p_i = a_i x_i + W - W_{-i}:
    #   W_{-0} = 0.6 + 3 * 0.5 = 2.1          -> p0 = 0.4 + 2.7 - 2.1 = 1.0
    #   W_{-1} = 1.6 + 2 * 0.5 = 2.6          -> p1 = 0.3 + 2.7 - 2.6 = 0.4
    #   W_{-2} = 1.6 + 0.6 + 0.1 = 2.3        -> p2 = 0.1 + 2.7 - 2.3 = 0.5
    #   s3 wins nothing                       -> p3 = 0
    # The budget (0.5) is ignored.
    market = Market(values=[1.0, 0.9, 0.6, 0.8], capacities=[2, 1, 3, 1], demand=4, budget=0.5)
    out = VCG().run(np.array([0.2, 0.3, 0.1, 0.7]), market, RNG)
    np.testing.assert_array_equal(out.allocation, [2, 1, 1, 0])
    np.testing.assert_allclose(out.payments, [1.0, 0.4, 0.5, 0.0])


def test_hand_case_no_competition_pays_the_value():
    # No demand limit: removing a seller frees no slot for anyone, so W - W_{-i} = s_i x_i
    # and p_i = v_i x_i. s1 (surplus -0.1) is not bought.
    market = Market(values=[0.7, 0.2], capacities=[2, 1])
    out = VCG().run(np.array([0.3, 0.3]), market, RNG)
    np.testing.assert_array_equal(out.allocation, [2, 0])
    np.testing.assert_allclose(out.payments, [1.4, 0.0])


def _random_market(draw_floats):
    return st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.lists(draw_floats, min_size=n, max_size=n),
            st.lists(draw_floats, min_size=n, max_size=n),
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
            st.none() | st.integers(0, 12),
        )
    )


coarse = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])  # many exact ties
fine = st.floats(0, 10, allow_subnormal=False)


@settings(max_examples=300)
@given(_random_market(coarse) | _random_market(fine))
def test_matches_the_naive_n_plus_one_resolve(case):
    values, asks, capacities, demand = case
    market = Market(values, capacities, demand)
    fast = VCG().run(np.array(asks), market, RNG)
    naive = naive_vcg(np.array(asks), market)
    np.testing.assert_array_equal(fast.allocation, naive.allocation)
    np.testing.assert_allclose(fast.payments, naive.payments, rtol=1e-9, atol=1e-9)


@settings(max_examples=100)
@given(_random_market(fine))
def test_naive_oracle_solves_the_welfare_lp(case):
    # The constraint matrix (one demand row plus box bounds) is totally unimodular, so
    # the LP optimum equals the integer optimum that the oracle's greedy claims.
    values, asks, capacities, demand = case
    surplus = np.array(values) - np.array(asks)
    _, welfare = max_welfare(surplus, np.array(capacities), demand)
    rows = None if demand is None else np.ones((1, len(values)))
    lp = linprog(
        -surplus,
        A_ub=rows,
        b_ub=None if demand is None else [demand],
        bounds=[(0, cap) for cap in capacities],
    )
    # HiGHS stops at its default optimality tolerance (1e-7): a surplus below it may be left
    # out of the LP's optimum, as in a market whose one positive surplus is 6e-8.
    assert welfare == pytest.approx(-lp.fun, rel=1e-9, abs=1e-6)


def test_mean_unit_price_with_common_value_is_the_k_plus_first_cost():
    # Common value 1 and unit sellers: VCG buys the k cheapest and pays each the
    # (k+1)-th lowest cost, mean (k+1)/(n+1) for n i.i.d. U[0,1] costs.
    n_sellers, units = 8, 3
    rng = np.random.default_rng(13)
    market = Market(values=np.ones(n_sellers), capacities=np.ones(n_sellers), demand=units)
    prices = []
    for _ in range(4000):
        out = VCG().run(rng.uniform(size=n_sellers), market, rng)
        prices.append(out.spend / out.units)
    assert_mean_matches(prices, (units + 1) / (n_sellers + 1))
