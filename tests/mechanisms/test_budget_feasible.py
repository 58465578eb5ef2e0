"""Singer's proportional-share budget-feasible mechanism: hand cases, budget, truthfulness."""

import numpy as np
import pytest
from hypothesis import given, settings

from mechanisms.budget_feasible import BudgetFeasible
from mechanisms.market import Market
from mechanisms.strategies import market_and_costs
from tests.mechanisms.deviation_grid import allocation_rises_with_ask, largest_gain

RNG = np.random.default_rng(0)


def test_hand_case_threshold_set_by_first_rejected_item():
    # B = 1, values (1, 2, 1), asks (0.1, 0.2, 0.3): ratios c/v = 0.1, 0.1, 0.3.
    # Prefix test r_k * V_k <= B: 0.1*1 = 0.1 ok; 0.1*(1+2) = 0.3 ok; 0.3*4 = 1.2 fails.
    # Bought: sellers 0, 1 with V = 3. Price per unit of value = min(r_3, B/V)
    # = min(0.3, 1/3) = 0.3, so payments 1*0.3 = 0.3 and 2*0.3 = 0.6 (spend 0.9 <= 1).
    market = Market(values=[1.0, 2.0, 1.0], capacities=[1, 1, 1], budget=1.0)
    out = BudgetFeasible().run([0.1, 0.2, 0.3], market, RNG)
    assert out.allocation.tolist() == [1, 1, 0]
    np.testing.assert_allclose(out.payments, [0.3, 0.6, 0.0])


def test_hand_case_threshold_set_by_budget_share():
    # B = 1, values all 1, asks (0.2, 0.3, 0.9). Prefix: 0.2*1 ok; 0.3*2 = 0.6 ok;
    # 0.9*3 = 2.7 fails. V = 2; price = min(0.9, 1/2) = 0.5: each winner paid 0.5,
    # spend exactly B. Seller 0 still wins at ask 0.5 (order 0.3, 0.5: 0.5*2 = 1 <= 1)
    # and loses at 0.51 (0.51*2 > 1): 0.5 is its threshold.
    market = Market(values=[1.0, 1.0, 1.0], capacities=[1, 1, 1], budget=1.0)
    mech = BudgetFeasible()
    out = mech.run([0.2, 0.3, 0.9], market, RNG)
    assert out.allocation.tolist() == [1, 1, 0]
    np.testing.assert_allclose(out.payments, [0.5, 0.5, 0.0])
    assert mech.run([0.5, 0.3, 0.9], market, RNG).allocation[0] == 1
    assert mech.run([0.51, 0.3, 0.9], market, RNG).allocation[0] == 0


def test_demand_truncates_the_prefix():
    # As the first hand case with demand 1: only seller 0 (tie at ratio 0.1 broken by
    # index); the first item not bought is seller 1 at ratio 0.1, B/V = 1/1:
    # price min(0.1, 1) = 0.1.
    market = Market(values=[1.0, 2.0, 1.0], capacities=[1, 1, 1], demand=1, budget=1.0)
    out = BudgetFeasible().run([0.1, 0.2, 0.3], market, RNG)
    assert out.allocation.tolist() == [1, 0, 0]
    np.testing.assert_allclose(out.payments, [0.1, 0.0, 0.0])


def test_zero_value_sellers_are_never_bought():
    market = Market(values=[0.0, 1.0], capacities=[1, 1], budget=1.0)
    out = BudgetFeasible().run([0.0, 0.4], market, RNG)
    assert out.allocation.tolist() == [0, 1]
    np.testing.assert_allclose(out.payments, [0.0, 1.0])


def test_missing_budget_is_a_clear_error():
    with pytest.raises(ValueError, match=r"^budget: .*needs a budget"):
        BudgetFeasible().run([0.1], Market(values=[1.0], capacities=[1]), RNG)


@settings(max_examples=300)
@given(market_and_costs(with_budget=True))
def test_payments_never_exceed_budget_and_cover_costs(case):
    market, costs = case
    out = BudgetFeasible().run(costs, market, RNG)
    assert out.spend <= market.budget * (1 + 1e-12)
    assert np.all(out.seller_utilities(costs) >= -1e-12)
    assert np.all(out.allocation <= market.capacities)
    assert market.demand is None or out.units <= market.demand


@settings(max_examples=40)
@given(market_and_costs(unit_capacity=True, with_budget=True, n_sellers=3))
def test_no_profitable_misreport_with_unit_capacities(case):
    market, costs = case
    gain, seller, misreport = largest_gain(BudgetFeasible(), costs, market)
    assert gain <= 1e-9, f"seller {seller} gains {gain} by asking {misreport}"


@settings(max_examples=25)
@given(market_and_costs(with_budget=True, n_sellers=3))
def test_allocation_never_rises_with_own_ask(case):
    market, costs = case
    assert not allocation_rises_with_ask(BudgetFeasible(), costs, market)


def test_multi_unit_seller_profits_from_raising_its_ask():
    # Seller 0 (value 1, two labels, cost 0.1), seller 1 (value 1, one label, cost 0.5),
    # demand 1, B = 1. Truthful: seller 0 sells one label; the first item not bought
    # is its own second label at ratio 0.1, so it is paid min(0.1, 1/1) = 0.1, utility 0.
    # Asking 0.5 it still sells first (tie with seller 1, lower index) and the next
    # item's ratio is 0.5: paid 0.5, utility 0.4. Why DSIC is declared only for unit
    # capacities.
    market = Market(values=[1.0, 1.0], capacities=[2, 1], demand=1, budget=1.0)
    mech = BudgetFeasible()
    truthful = mech.run([0.1, 0.5], market, RNG)
    shaded = mech.run([0.5, 0.5], market, RNG)
    assert truthful.seller_utilities([0.1, 0.5])[0] == pytest.approx(0.0)
    assert shaded.seller_utilities([0.1, 0.5])[0] == pytest.approx(0.4)
    assert mech.conditions == {"dsic": "unit_capacity"}


def test_a_tiny_value_does_not_overflow_the_budget_share():
    """Found by the property suite: B / V overflowed to inf for V near the smallest float."""
    from mechanisms import Market, get_mechanism

    market = Market(np.array([2.2250738585072014e-308]), np.array([2]), budget=15.625)
    outcome = get_mechanism("budget_feasible").run(np.array([0.0]), market, None)
    assert outcome.units == 2
    assert np.isfinite(outcome.payments).all() and outcome.spend == pytest.approx(15.625)


def test_a_tiny_value_does_not_overflow_the_cost_per_value():
    """Found by the property suite: c / v overflowed to inf for v near the smallest float,
    so a truthful seller whose cost fits the whole budget was not bought (and lowering its
    ask by a hair got it bought at the budget)."""
    market = Market(np.array([2.2250738585072014e-308]), np.array([1]), budget=4.0625)
    truthful = BudgetFeasible().run(np.array([4.0]), market, RNG)
    assert truthful.units == 1
    assert truthful.payments[0] == pytest.approx(4.0625)
