import numpy as np
import pytest

from mechanisms import Market
from mechanisms.first_price import FirstPrice
from tests.mechanisms.monte_carlo import assert_mean_matches

RNG = np.random.default_rng(0)


def test_hand_case_pay_as_bid_within_demand():
    # s3 asks 0.2 above its value 0.15: ineligible. Queue: s1 (0.1 x2), s0 (0.3), s2 (0.5 x2).
    # Demand 4 buys s1 x2, s0 x1, s2 x1 at their asks: 0.2, 0.3, 0.5 (total 1.0).
    market = Market(values=[1.0, 1.0, 1.0, 0.15], capacities=[1, 2, 2, 1], demand=4)
    out = FirstPrice().run(np.array([0.3, 0.1, 0.5, 0.2]), market, RNG)
    np.testing.assert_array_equal(out.allocation, [1, 2, 1, 0])
    np.testing.assert_allclose(out.payments, [0.3, 0.2, 0.5, 0.0])


@pytest.mark.parametrize(("budget", "allocation"), [(1.0, [1, 2, 1, 0]), (0.9, [1, 2, 0, 0])])
def test_hand_case_budget_stops_at_the_first_unit_that_does_not_fit(budget, allocation):
    # The cheapest 3 units cost 0.1 + 0.1 + 0.3 = 0.5; the 4th (0.5) fits 1.0 exactly but
    # not 0.9, and every later unit costs at least as much.
    market = Market(values=[1.0, 1.0, 1.0, 0.15], capacities=[1, 2, 2, 1], demand=4, budget=budget)
    out = FirstPrice().run(np.array([0.3, 0.1, 0.5, 0.2]), market, RNG)
    np.testing.assert_array_equal(out.allocation, allocation)


def test_budget_part_of_a_multi_unit_seller():
    # Budget 1.0, asks 0.3 x5 from one seller: floor(1.0 / 0.3) = 3 units, cost 0.9.
    market = Market(values=[1.0], capacities=[5], budget=1.0)
    out = FirstPrice().run(np.array([0.3]), market, RNG)
    assert out.units == 3
    assert out.spend == pytest.approx(0.9)


def test_equilibrium_bids_give_the_second_price_revenue():
    # Revenue equivalence (Vickrey 1961; Myerson 1981): with n i.i.d. U[0,1] costs the
    # symmetric first-price equilibrium ask is b(c) = E[min other cost | > c] = c + (1-c)/n,
    # so the buyer pays E[b(c_(1))] = 1/(n+1) + (n/(n+1))/n = 2/(n+1), as in second price.
    n_sellers = 4
    rng = np.random.default_rng(3)
    market = Market(values=np.ones(n_sellers), capacities=np.ones(n_sellers), demand=1)
    payments = []
    for _ in range(4000):
        costs = rng.uniform(size=n_sellers)
        payments.append(FirstPrice().run(costs + (1 - costs) / n_sellers, market, rng).spend)
    assert_mean_matches(payments, 2 / (n_sellers + 1))
