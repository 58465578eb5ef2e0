import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms import Market
from mechanisms.uniform_price import UniformPrice
from tests.mechanisms.monte_carlo import assert_mean_matches

RNG = np.random.default_rng(0)


def test_hand_case_k_plus_first_price_capped_by_value():
    # Seller 3's ask 0.2 is within its value 0.3, so all four are eligible.
    # Queue by ask: s1 (0.1, two units), s3 (0.2), s0 (0.4), s2 (0.6). demand 3 buys
    # s1 x2 and s3 x1; the 4th unit (s0's 0.4) is the lowest rejected ask, so p = 0.4.
    # s1: 2 * min(0.4, 1.0) = 0.8; s3: 1 * min(0.4, 0.3) = 0.3.
    market = Market(values=[1.0, 1.0, 1.0, 0.3], capacities=[1, 2, 1, 1], demand=3)
    out = UniformPrice().run(np.array([0.4, 0.1, 0.6, 0.2]), market, RNG)
    np.testing.assert_array_equal(out.allocation, [0, 2, 0, 1])
    np.testing.assert_allclose(out.payments, [0.0, 0.8, 0.0, 0.3])


def test_hand_case_budget_buys_fewer_units_at_a_lower_price():
    # Same market, budget 0.9. k = 3 costs 0.8 + 0.3 = 1.1 > 0.9. k = 2 buys s1 x2 and the
    # 3rd unit (s3's 0.2) sets p = 0.2: cost 2 * 0.2 = 0.4 <= 0.9, so k = 2.
    market = Market(values=[1.0, 1.0, 1.0, 0.3], capacities=[1, 2, 1, 1], demand=3, budget=0.9)
    out = UniformPrice().run(np.array([0.4, 0.1, 0.6, 0.2]), market, RNG)
    np.testing.assert_array_equal(out.allocation, [0, 2, 0, 0])
    np.testing.assert_allclose(out.payments, [0.0, 0.4, 0.0, 0.0])


def test_asks_above_value_neither_win_nor_set_the_price():
    # s0 asks 0.05 but values only 0.01: ineligible. s1 wins; the lowest rejected eligible
    # ask is s2's 0.7, not s0's 0.05.
    market = Market(values=[0.01, 1.0, 1.0], capacities=[1, 1, 1], demand=1)
    out = UniformPrice().run(np.array([0.05, 0.3, 0.7]), market, RNG)
    np.testing.assert_array_equal(out.allocation, [0, 1, 0])
    np.testing.assert_allclose(out.payments, [0.0, 0.7, 0.0])


def test_equal_asks_are_served_in_seller_index_order():
    # Three asks of 0.5 for two units: sellers 0 and 1 win; the rejected ask is 0.5.
    market = Market(values=[1.0, 1.0, 1.0], capacities=[1, 1, 1], demand=2)
    out = UniformPrice().run(np.array([0.5, 0.5, 0.5]), market, RNG)
    np.testing.assert_array_equal(out.allocation, [1, 1, 0])
    np.testing.assert_allclose(out.payments, [0.5, 0.5, 0.0])


def test_multi_unit_seller_gains_by_raising_its_own_price():
    # Demand 1; s0 (cost 0.2, two units) and s1 (ask 0.5). Truthful: s0 wins one unit and
    # its own second unit is the lowest rejected ask, so it is paid 0.2: utility 0.
    # Asking 0.5 (tie, s0 first by index): paid s1's 0.5, utility 0.5 - 0.2 = 0.3 > 0.
    market = Market(values=[1.0, 1.0], capacities=[2, 1], demand=1)
    costs = np.array([0.2, 0.5])
    truthful = UniformPrice().run(costs, market, RNG)
    shaded = UniformPrice().run(np.array([0.5, 0.5]), market, RNG)
    assert truthful.seller_utilities(costs)[0] == pytest.approx(0.0)
    assert shaded.seller_utilities(costs)[0] == pytest.approx(0.3)
    assert UniformPrice.conditions["dsic"] == "unit_capacity"


@pytest.mark.parametrize(("n_sellers", "units"), [(10, 3), (6, 1)])
def test_mean_price_is_the_k_plus_first_order_statistic(n_sellers, units):
    # With n i.i.d. U[0,1] costs, the (k+1)-th lowest has mean (k+1)/(n+1) (beta order stat).
    rng = np.random.default_rng(11)
    market = Market(values=np.ones(n_sellers), capacities=np.ones(n_sellers), demand=units)
    prices = []
    for _ in range(4000):
        out = UniformPrice().run(rng.uniform(size=n_sellers), market, rng)
        prices.append(out.spend / out.units)
    assert_mean_matches(prices, (units + 1) / (n_sellers + 1))


budget_markets = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
        st.none() | st.integers(0, 10),
        st.floats(0, 3),
    )
)


@settings(max_examples=200)
@given(budget_markets)
def test_budget_binds_at_the_largest_affordable_count(case):
    values, asks, capacities, demand, budget = case
    market = Market(values, capacities, demand, budget)
    out = UniformPrice().run(np.array(asks), market, RNG)
    assert out.spend <= budget
    unlimited = UniformPrice().run(np.array(asks), Market(values, capacities, demand), RNG)
    if out.units < unlimited.units:
        one_more = Market(values, capacities, out.units + 1)
        assert UniformPrice().run(np.array(asks), one_more, RNG).spend > budget
