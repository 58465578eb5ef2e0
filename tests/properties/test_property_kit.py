"""The property kit finds the violations economics predicts, and only those.

Expected gains are worked out by hand from the mechanism's rule, not taken from the kit.
"""

import numpy as np
import pytest
from hypothesis import given, settings

from mechanisms import ContractError, Market, get_mechanism
from mechanisms.properties import (
    check_all,
    check_budget_feasible,
    check_dsic,
    check_ir,
    check_monotone,
    declared,
)
from mechanisms.strategies import market_and_costs
from tests.properties.toy_mechanisms import (
    AskPlusBonus,
    FreeLabour,
    HighestAskWins,
    PayAsBid,
    RandomSerialPostedPrice,
    ReservePayAsBid,
)

# The kit brackets thresholds to within eps = 1e-6 * scale; scale is 1 in these markets.
THRESHOLD_TOL = 1e-5

TWO_SELLERS_ONE_LABEL = Market(values=np.array([1.0, 1.0]), capacities=np.array([1, 1]), demand=1)


def test_pay_as_bid_winner_gains_by_asking_up_to_the_runner_up():
    # Pay-as-bid, costs 0.2 and 0.5: the winner's best response is an ask just at the
    # runner-up's 0.5 (ties go to the lower index), gaining 0.5 - 0.2 = 0.3 over truth.
    violations = check_dsic(PayAsBid(), np.array([0.2, 0.5]), TWO_SELLERS_ONE_LABEL)
    assert [v.seller for v in violations] == [0, 1]
    assert violations[0].amount == pytest.approx(0.3, abs=THRESHOLD_TOL)
    assert violations[0].misreport == pytest.approx(0.5, abs=THRESHOLD_TOL)
    assert violations[0].true_cost == 0.2
    # Seller 1 (cost 0.5) loses at any ask that gains, but a seller 1 of a true cost
    # c < 0.2 would win paid c truthfully, and 0.2 - c more by asking just under 0.2
    # (the tie at 0.2 goes to seller 0): the kit tries every ask as a true cost.
    other_type = violations[1]
    assert other_type.true_cost < 0.2 < other_type.misreport + THRESHOLD_TOL
    assert other_type.amount == pytest.approx(
        other_type.misreport - other_type.true_cost, abs=1e-12
    )


def test_first_price_is_not_dsic():
    mech = get_mechanism("first_price")
    violations = check_dsic(mech, np.array([0.2, 0.5]), TWO_SELLERS_ONE_LABEL)
    assert [v.seller for v in violations] == [0, 1]  # seller 1: a type below 0.2, as above
    assert violations[0].amount == pytest.approx(0.3, abs=THRESHOLD_TOL)
    assert violations[1].true_cost < 0.2


def test_vcg_overspends_a_budget():
    # No competition: Clarke pivot pays each seller the buyer's value, 1 + 1 = 2 > 0.5.
    market = Market(values=np.array([1.0, 1.0]), capacities=np.array([1, 1]), budget=0.5)
    violations = check_budget_feasible(get_mechanism("vcg"), np.array([0.0, 0.0]), market)
    assert len(violations) == 1
    assert violations[0].amount == pytest.approx(1.5)


def test_uniform_price_with_a_multi_unit_seller_is_not_dsic():
    # Seller 0 has 2 units at cost 0; one unit at 0.1, one at 1.0; demand 2.
    # Truthful: seller 0 sells both at the third-lowest ask 0.1, utility 0.2.
    # Asking 1.0 (demand reduction): it sells one unit whose price is its own second
    # unit's ask 1.0, utility 1.0; gain 0.8.
    market = Market(values=np.ones(3), capacities=np.array([2, 1, 1]), demand=2)
    violations = check_dsic(get_mechanism("uniform_price"), np.array([0.0, 0.1, 1.0]), market)
    assert [v.seller for v in violations] == [0]
    assert violations[0].amount == pytest.approx(0.8, abs=THRESHOLD_TOL)


def test_declared_dsic_that_pays_a_bonus_is_caught_and_reproducible():
    # Winner asking 0.2 gets 0.21; asking just 0.5 it gets 0.51: gain 0.3.
    mech = AskPlusBonus()
    violation = check_dsic(mech, np.array([0.2, 0.5]), TWO_SELLERS_ONE_LABEL, seed=7)[0]
    assert declared(mech, "dsic", violation.market)
    assert violation.amount == pytest.approx(0.3, abs=THRESHOLD_TOL)
    replay = mech.run(violation.asks, violation.market, np.random.default_rng(violation.seed))
    utility = replay.payments[0] - violation.true_cost * replay.allocation[0]
    assert utility == pytest.approx(0.01 + violation.amount)


def test_a_threshold_named_by_no_cost_or_value_is_found_by_bisection():
    # Reserve 0.37: the winner (cost 0.1) gains most by asking exactly 0.37: 0.27.
    market = Market(values=np.ones(2), capacities=np.ones(2), demand=1)
    violation = check_dsic(ReservePayAsBid(), np.array([0.1, 0.9]), market)[0]
    assert violation.misreport == pytest.approx(0.37, abs=THRESHOLD_TOL)
    assert violation.amount == pytest.approx(0.27, abs=THRESHOLD_TOL)


def test_unpaid_labour_breaks_ir_by_the_cost_of_the_labels():
    market = Market(values=np.ones(2), capacities=np.array([2, 1]), demand=3)
    violations = check_ir(FreeLabour(), np.array([0.25, 0.5]), market)
    assert [(v.seller, v.amount) for v in violations] == [(0, 0.5), (1, 0.5)]


def test_winning_by_asking_more_breaks_monotonicity():
    # Highest eligible ask wins: seller 0 (0.2) loses below 0.5 and wins above it;
    # seller 1 (0.5) loses below 0.2 and wins above it.
    market = Market(values=np.ones(2), capacities=np.ones(2), demand=1)
    violations = check_monotone(HighestAskWins(), np.array([0.2, 0.5]), market)
    assert [(v.seller, v.amount) for v in violations] == [(0, 1), (1, 1)]
    assert violations[0].misreport >= 0.5
    assert violations[1].misreport > 0.2


@settings(max_examples=200)
@given(market_and_costs(with_demand=True))
def test_randomness_is_held_fixed_while_a_seller_deviates(case):
    # Random arrival order decides who sells under a posted price. Were the order redrawn
    # per call, a seller that loses the race while truthful would "gain" by a misreport.
    market, costs = case
    found = check_all(RandomSerialPostedPrice(), costs, market, seed=11)
    assert found == {"dsic": [], "ir": [], "budget_feasible": [], "monotone": []}


def test_conditions_limit_where_a_claim_is_declared():
    mech = get_mechanism("uniform_price")
    unit = Market(values=np.ones(2), capacities=np.ones(2))
    multi = Market(values=np.ones(2), capacities=np.array([1, 2]))
    assert declared(mech, "dsic", unit)
    assert not declared(mech, "dsic", multi)
    assert declared(mech, "ir", multi)
    assert not declared(PayAsBid(), "dsic")


def test_unknown_property_is_rejected_with_the_field_name():
    with pytest.raises(ValueError, match=r"^prop: "):
        declared(PayAsBid(), "efficiency")


def test_a_wrong_length_outcome_breaks_the_run_contract():
    class Short(PayAsBid):
        def run(self, asks, market, rng):
            return super().run(asks[:-1], Market(market.values[:-1], market.capacities[:-1]), rng)

    with pytest.raises(ContractError, match=r"run returned 1 allocations for 2 sellers") as caught:
        check_ir(Short(), np.array([0.2, 0.5]), TWO_SELLERS_ONE_LABEL)
    assert caught.value.clause == "returns an outcome"
