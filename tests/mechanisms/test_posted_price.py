import numpy as np
import pytest

from mechanisms import Market
from mechanisms.posted_price import PostedPrice
from tests.mechanisms.monte_carlo import assert_mean_matches


class FixedArrival:
    """Stands in for the generator: seller i arrives ``ranks[i]``-th."""

    def __init__(self, ranks):
        self.ranks = np.array(ranks)

    def permutation(self, n):
        assert n == self.ranks.size
        return self.ranks


ASKS = np.array([0.2, 0.6, 0.4, 0.1, 0.3])
VALUES = [1.0, 1.0, 1.0, 0.4, 1.0]
CAPACITIES = [1, 1, 2, 1, 1]
# Arrival: s1, s2, s0, s4, s3.
ARRIVAL = FixedArrival([2, 0, 1, 4, 3])


def test_hand_case_demand():
    # Price 0.5. s1 declines (0.6 > 0.5); s2 sells 2 (demand 3 -> 1 left); s0 sells the
    # last one; s4 gets nothing; s3 (ask 0.1) is never offered: value 0.4 < price.
    out = PostedPrice(price=0.5).run(ASKS, Market(VALUES, CAPACITIES, demand=3), ARRIVAL)
    np.testing.assert_array_equal(out.allocation, [1, 0, 2, 0, 0])
    np.testing.assert_allclose(out.payments, [0.5, 0.0, 1.0, 0.0, 0.0])


def test_hand_case_budget():
    # Budget 1.2 affords floor(1.2 / 0.5) = 2 labels: both go to s2, the first acceptor.
    out = PostedPrice(price=0.5).run(ASKS, Market(VALUES, CAPACITIES, budget=1.2), ARRIVAL)
    np.testing.assert_array_equal(out.allocation, [0, 0, 2, 0, 0])
    np.testing.assert_allclose(out.payments, [0.0, 0.0, 1.0, 0.0, 0.0])


def test_no_limits_buys_every_acceptor():
    out = PostedPrice(price=0.5).run(ASKS, Market(VALUES, CAPACITIES), ARRIVAL)
    np.testing.assert_array_equal(out.allocation, [1, 0, 2, 0, 1])


@pytest.mark.parametrize("price", [-0.1, float("nan"), float("inf")])
def test_bad_price_names_the_field(price):
    with pytest.raises(ValueError, match=r"^price: "):
        PostedPrice(price=price)


def test_arrival_order_comes_from_the_generator():
    # Demand 1 among four identical acceptors: each must win about a quarter of the time.
    market = Market(values=np.ones(4), capacities=np.ones(4), demand=1)
    rng = np.random.default_rng(5)
    wins = np.array(
        [PostedPrice(0.5).run(np.zeros(4), market, rng).allocation for _ in range(2000)]
    )
    for seller in range(4):
        assert_mean_matches(wins[:, seller], 0.25)


def test_mean_units_is_n_times_price():
    # No demand or budget limit, n i.i.d. U[0,1] costs: each sells iff cost <= p, so the
    # number sold is Binomial(n, p) with mean n * p.
    n_sellers, price = 20, 0.3
    rng = np.random.default_rng(9)
    market = Market(values=np.ones(n_sellers), capacities=np.ones(n_sellers))
    units = [
        PostedPrice(price).run(rng.uniform(size=n_sellers), market, rng).units for _ in range(3000)
    ]
    assert_mean_matches(units, n_sellers * price)
