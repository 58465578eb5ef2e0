"""``BudgetCapped``: capped values by hand; every registered mechanism capped stays in budget."""

import numpy as np
import pytest
from hypothesis import given, settings

from mechanisms import Market, Outcome, available_mechanisms, get_mechanism
from mechanisms.budget_capped import BudgetCapped, budget_capped_values
from mechanisms.properties import check_budget_feasible, check_dsic, declared
from mechanisms.strategies import market_and_costs

PARAMS = {"posted_price": {"price": 0.5}}


def test_values_are_scaled_to_budget_over_the_units_the_market_can_buy():
    market = Market(values=[1.0, 0.8, 0.2], capacities=[1, 2, 1], demand=2, budget=1.0)
    np.testing.assert_allclose(budget_capped_values(market), [0.5, 0.4, 0.1])
    no_demand = Market(values=[1.0, 0.8], capacities=[1, 3], demand=None, budget=2.0)
    np.testing.assert_allclose(budget_capped_values(no_demand), [0.5, 0.4])


def test_capped_values_keep_the_order_of_sellers():
    values = np.array([0.9, 0.3, 0.6])
    market = Market(values=values, capacities=[4, 4, 4], demand=10, budget=2.0)
    capped = budget_capped_values(market)
    np.testing.assert_allclose(capped, values * (0.2 / 0.9))
    assert list(np.argsort(capped)) == list(np.argsort(values))


def test_values_under_the_cap_or_without_a_budget_are_unchanged():
    rich = Market(values=[0.3, 0.2], capacities=[1, 1], demand=2, budget=10.0)
    np.testing.assert_array_equal(budget_capped_values(rich), rich.values)
    unlimited = Market(values=[3.0, 2.0], capacities=[1, 1], demand=1, budget=None)
    np.testing.assert_array_equal(budget_capped_values(unlimited), unlimited.values)


@pytest.mark.parametrize("name", available_mechanisms())
@settings(max_examples=100, deadline=None)
@given(case=market_and_costs(with_budget=True))
def test_every_registered_mechanism_capped_stays_within_budget(name, case):
    market, costs = case
    capped = BudgetCapped(get_mechanism(name, **PARAMS.get(name, {})))
    assert capped.properties["budget_feasible"]
    assert check_budget_feasible(capped, costs, market) == []


@pytest.mark.parametrize("name", ["vcg", "second_price", "uniform_price"])
@settings(max_examples=60, deadline=None)
@given(case=market_and_costs(with_budget=True))
def test_capping_keeps_truthfulness_where_the_inner_mechanism_claims_it(name, case):
    market, costs = case
    capped = BudgetCapped(get_mechanism(name))
    if declared(capped, "dsic", market):
        assert check_dsic(capped, costs, market) == []


class PaysTwiceTheValue:
    """Buys every ask below value and pays twice the value: not IR for the buyer."""

    name = "pays_twice_the_value"
    properties = {"dsic": True, "ir": True, "budget_feasible": False, "monotone": True}  # noqa: RUF012

    def run(self, asks, market, rng):
        bought = np.where(asks <= market.values, market.capacities, 0)
        return Outcome(bought, 2 * bought * market.values)


def test_a_mechanism_that_pays_above_value_breaks_the_cap_and_the_kit_says_so():
    market = Market(values=[1.0, 1.0], capacities=[1, 1], demand=2, budget=1.0)
    found = check_budget_feasible(BudgetCapped(PaysTwiceTheValue()), np.zeros(2), market)
    assert len(found) == 1
    assert found[0].amount == pytest.approx(1.0)
