"""``demand_mode = "budget"``: a round buys what its budget buys, never more than the budget."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.budget_clearing import clear_within_budget, most_labels
from mechanisms import Market, get_mechanism

MECHANISMS = {
    "vcg": {},
    "uniform_price": {},
    "first_price": {},
    "posted_price": {"price": 0.3},
    "budget_feasible": {},
    "vickrey_feedback": {"labels_per_item": 2},
}


@st.composite
def rounds(draw):
    n = draw(st.integers(2, 10))
    asks = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    values = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    capacities = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    budget = draw(st.floats(0.0, 5.0))
    most = draw(st.integers(0, int(capacities.sum())))
    return asks, values, capacities, budget, most


@settings(max_examples=150, deadline=None)
@given(case=rounds(), name=st.sampled_from(sorted(MECHANISMS)), seed=st.integers(0, 2**16))
def test_spend_never_exceeds_the_budget_nor_labels_the_bound(case, name, seed):
    asks, values, capacities, budget, most = case
    mechanism = get_mechanism(name, **MECHANISMS[name])
    outcome = clear_within_budget(
        mechanism, asks, values, capacities, budget, most, np.random.default_rng(seed)
    )
    assert outcome.spend <= budget * (1 + 1e-12) + 1e-12
    assert outcome.units <= most
    assert np.all(outcome.allocation <= capacities)


@settings(max_examples=150, deadline=None)
@given(case=rounds())
def test_paying_as_bid_buys_at_least_as_many_labels_as_a_uniform_price(case):
    """First price pays each winner its ask, uniform price the first losing ask, so at the
    same budget and truthful asks first price pays less per label and buys at least as many."""
    asks, _, capacities, budget, most = case
    values = np.ones_like(asks)  # one value: both buy the lowest asks first
    bought = {
        name: clear_within_budget(
            get_mechanism(name), asks, values, capacities, budget, most, np.random.default_rng(0)
        )
        for name in ("first_price", "uniform_price")
    }
    assert bought["first_price"].units >= bought["uniform_price"].units


def test_the_largest_demand_within_budget_is_found():
    """Uniform price on unit sellers asking 0.1, 0.2, ..., 0.8 pays k labels the (k+1)-th ask:
    0.3 * 2 = 0.6 <= 0.7 < 0.4 * 3 = 1.2, so a budget of 0.7 buys 2 labels."""
    asks = np.arange(1, 9) / 10
    outcome = clear_within_budget(
        get_mechanism("uniform_price"),
        asks,
        np.ones(8),
        np.ones(8, int),
        0.7,
        8,
        np.random.default_rng(0),
    )
    assert outcome.units == 2 and outcome.spend == pytest.approx(0.6)
    direct = get_mechanism("uniform_price").run(
        asks, Market(np.ones(8), np.ones(8, int), 2), np.random.default_rng(0)
    )
    np.testing.assert_array_equal(outcome.allocation, direct.allocation)


@pytest.mark.parametrize(
    ("capacity", "items_left", "per_item", "golden", "expected"),
    [(100, 1000, 1, 0.1, 100), (100, 9, 1, 0.1, 10), (100, 9, 2, 0.0, 19), (0, 5, 1, 0.1, 0)],
)
def test_most_labels_leaves_no_item_short(capacity, items_left, per_item, golden, expected):
    assert most_labels(capacity, items_left, per_item, golden) == expected
