import numpy as np
import pytest

from mechanisms import Market
from mechanisms.second_price import SecondPrice
from tests.mechanisms.monte_carlo import assert_mean_matches

RNG = np.random.default_rng(0)


def test_hand_case_one_label_at_the_second_lowest_ask():
    # Asks 0.3, 0.7, 0.5: s0 wins one label (demand forced to 1) and is paid the
    # second-lowest ask 0.5, although it could supply three units: the price is never
    # set by its own second unit (uniform price with capacity 3 would pay 0.3).
    market = Market(values=[1.0, 1.0, 1.0], capacities=[3, 1, 1])
    out = SecondPrice().run(np.array([0.3, 0.7, 0.5]), market, RNG)
    np.testing.assert_array_equal(out.allocation, [1, 0, 0])
    np.testing.assert_allclose(out.payments, [0.5, 0.0, 0.0])


def test_hand_case_payment_capped_by_value_and_budget():
    # s0 values the label at 0.4 < 0.5, so it is paid min(0.5, 0.4) = 0.4; a budget of
    # 0.35 cannot cover that, so nothing is bought.
    market = Market(values=[0.4, 1.0, 1.0], capacities=[1, 1, 1])
    out = SecondPrice().run(np.array([0.3, 0.7, 0.5]), market, RNG)
    assert out.payments[0] == pytest.approx(0.4)
    tight = Market(values=[0.4, 1.0, 1.0], capacities=[1, 1, 1], budget=0.35)
    assert SecondPrice().run(np.array([0.3, 0.7, 0.5]), tight, RNG).units == 0


def test_zero_demand_buys_nothing():
    market = Market(values=[1.0, 1.0], capacities=[1, 1], demand=0)
    assert SecondPrice().run(np.array([0.1, 0.2]), market, RNG).units == 0


@pytest.mark.parametrize("n_sellers", [2, 5])
def test_mean_payment_is_two_over_n_plus_one(n_sellers):
    # Reverse Vickrey with n i.i.d. U[0,1] costs and value 1: the winner is paid the
    # second-lowest cost, whose mean is 2/(n+1).
    rng = np.random.default_rng(7)
    market = Market(values=np.ones(n_sellers), capacities=np.ones(n_sellers))
    payments = [
        SecondPrice().run(rng.uniform(size=n_sellers), market, rng).spend for _ in range(4000)
    ]
    assert_mean_matches(payments, 2 / (n_sellers + 1))
