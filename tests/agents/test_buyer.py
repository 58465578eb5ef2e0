"""The buyer's Beta posteriors, label values, budget pacing and its round's decisions."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from agents.buyer import Buyer
from mechanisms import Market, available_mechanisms, get_mechanism
from sim.config import BuyerConfig


def _buyer(ids=(11, 12, 13), **settings):
    arguments = {"budget": 100.0, "demand_per_round": 10, "rounds": 4} | settings
    return Buyer(mesa.Model(seed=0), BuyerConfig(**arguments), ids)


@given(
    prior=st.tuples(st.floats(0.1, 10), st.floats(0.1, 10)),
    batches=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 30), st.integers(0, 30)), max_size=8
    ),
)
def test_beta_posterior_is_the_conjugate_closed_form(prior, batches):
    """Beta(a, b) prior and s successes, f failures in total -> Beta(a + s, b + f)."""
    buyer = _buyer(quality_prior=prior)
    ids = [11, 12, 13]
    successes, failures = np.zeros(3), np.zeros(3)
    for position, correct, incorrect in batches:
        buyer.update_quality([ids[position]], [correct], [incorrect])
        successes[position] += correct
        failures[position] += incorrect
    np.testing.assert_allclose(buyer.alpha_, prior[0] + successes)
    np.testing.assert_allclose(buyer.beta_, prior[1] + failures)
    np.testing.assert_allclose(
        buyer.quality_mean(), (prior[0] + successes) / (sum(prior) + successes + failures)
    )


def test_repeated_ids_in_one_update_add_up():
    buyer = _buyer(quality_prior=(1.0, 1.0))
    buyer.update_quality([12, 12, 11], [3, 4, 1], [1, 0, 2])
    np.testing.assert_allclose(buyer.alpha_, [2, 8, 1])
    np.testing.assert_allclose(buyer.beta_, [3, 2, 1])


def test_posterior_concentrates_on_the_true_accuracy():
    """Labels right w.p. 0.8: the 95% interval covers 0.8 and shrinks like 1/sqrt(n)."""
    rng = np.random.default_rng(0)
    buyer = _buyer(quality_prior=(1.0, 1.0))
    correct = int(rng.binomial(2000, 0.8))
    buyer.update_quality([11], [correct], [2000 - correct])
    lower, upper = buyer.quality_interval(0.95)
    assert lower[0] < 0.8 < upper[0]
    assert upper[0] - lower[0] == pytest.approx(2 * 1.96 * np.sqrt(0.8 * 0.2 / 2000), rel=0.1)
    assert (lower[1], upper[1]) == pytest.approx((0.025, 0.975))
    assert stats.beta.cdf(upper[0], buyer.alpha_[0], buyer.beta_[0]) == pytest.approx(0.975)


def test_value_per_label_is_the_informative_share():
    buyer = _buyer(base_value=2.0, quality_prior=(1.0, 1.0))
    np.testing.assert_allclose(buyer.value_per_label([0.5, 0.75, 1.0, 0.2]), [0, 1, 2, 0])
    np.testing.assert_allclose(buyer.value_per_label(), 0.0)
    buyer.update_quality([11], [8], [0])
    assert buyer.value_per_label()[0] == pytest.approx(2.0 * (2 * 9 / 10 - 1))


def test_pacing_spreads_the_remaining_budget_over_the_remaining_rounds():
    buyer = _buyer()
    assert buyer.round_budget() == 25.0
    buyer.record_round(10.0)
    assert buyer.round_budget() == pytest.approx(30.0)
    buyer.record_round(30.0)
    buyer.record_round(0.0)
    assert buyer.round_budget() == pytest.approx(60.0)
    with pytest.raises(ValueError, match=r"^spend:"):
        buyer.record_round(60.5)


def test_repeated_annotator_ids_are_refused():
    with pytest.raises(ValueError, match=r"^annotator_ids:"):
        _buyer(ids=[1, 1])


def test_without_pacing_a_round_may_spend_all_that_is_left():
    buyer = _buyer(pacing=False)
    assert buyer.round_budget() == 100.0
    buyer.record_round(70.0)
    assert buyer.round_budget() == pytest.approx(30.0)


def test_optimistic_valuation_reads_the_upper_quantile():
    """Beta(3, 1): the mean is 0.75; the optimistic buyer values at the 0.9 quantile."""
    mean, optimistic = _buyer(valuation="mean"), _buyer(optimism=0.9)
    np.testing.assert_allclose(mean.valued_quality(), 0.75)
    np.testing.assert_allclose(optimistic.valued_quality(), stats.beta.ppf(0.9, 3.0, 1.0))
    assert optimistic.valued_quality()[0] > mean.valued_quality()[0]


@pytest.mark.parametrize("name", ["vcg", "uniform_price", "first_price"])
def test_a_fixed_demand_round_stays_within_its_paced_budget(name):
    """VCG may pay far above asks; the buyer caps it at the round's budget (budget_capped)."""
    buyer = _buyer(budget=2.0, demand_per_round=6, rounds=4)
    asks, capacities = np.array([0.05, 0.3, 0.4]), np.array([3, 3, 3])
    outcome, values, demand = buyer.procure(get_mechanism(name), asks, capacities, 100)
    assert demand == 6
    assert outcome.spend <= 0.5 + 1e-12
    assert buyer.spent_ == pytest.approx(outcome.spend)
    np.testing.assert_allclose(values, buyer.value_per_label(buyer.valued_quality()))


def test_a_budget_demand_round_buys_what_its_budget_buys():
    buyer = _buyer(budget=4.0, rounds=1, demand_mode="budget", golden_rate=0.0)
    asks, capacities = np.array([0.1, 0.2, 0.3]), np.array([5, 5, 5])
    outcome, _, demand = buyer.procure(get_mechanism("first_price"), asks, capacities, 100)
    assert demand == outcome.units == 15  # pay-as-bid: 0.5 + 1.0 + 1.5 = 3.0 <= 4.0
    assert outcome.spend == pytest.approx(3.0)


def test_without_feedback_the_buyer_learns_nothing():
    golden = pd.DataFrame({"worker": [11, 12], "correct": [True, False]})
    regular = golden.iloc[:0]
    quiet, learning = _buyer(feedback=False), _buyer()
    for buyer in (quiet, learning):
        buyer.learn_quality(golden, regular, lambda labels: None, float("nan"))
    np.testing.assert_allclose(quiet.alpha_, 3.0)
    np.testing.assert_allclose(learning.alpha_, [4.0, 3.0, 3.0])
    np.testing.assert_allclose(learning.beta_, [1.0, 2.0, 1.0])


def test_unknown_annotator_in_update_is_named():
    with pytest.raises(ValueError, match=r"^annotator_ids:"):
        _buyer().update_quality([99], [1], [0])


def test_a_budget_demand_round_under_vcg_buys_the_most_its_budget_allows():
    """VCG is not budget feasible: the buyer bisects the demand (agents.budget_clearing); the
    result fits the round's budget and one more label would not."""
    buyer = _buyer(ids=(1, 2, 3, 4), budget=0.9, rounds=1, demand_mode="budget", golden_rate=0.0)
    asks, capacities = np.array([0.05, 0.1, 0.2, 0.3]), np.array([2, 2, 2, 2])
    mechanism = get_mechanism("vcg")
    budget = buyer.round_budget()
    outcome, values, demand = buyer.procure(mechanism, asks, capacities, 100)
    assert demand == outcome.units
    assert 0 < outcome.units < capacities.sum()
    assert outcome.spend <= budget + 1e-12
    more = Market(values, capacities, demand=outcome.units + 1)
    assert mechanism.run(asks, more, np.random.default_rng(0)).spend > budget


@pytest.mark.parametrize("items_left", [1, 5, 20, 21, 23, 40])
@pytest.mark.parametrize("golden_rate", [0.0, 0.1, 0.3])
def test_a_split_round_buys_no_more_labels_than_the_items_left_hold(items_left, golden_rate):
    """Budget mode with ``ai_budget_share``: whatever each channel buys, the round's labels,
    dealt together, fill at most ``items_left`` regular items (here both channels could buy
    far more)."""
    buyer = _buyer(
        ids=tuple(range(1, 7)),
        budget=1e6,
        rounds=1,
        demand_mode="budget",
        golden_rate=golden_rate,
        ai_budget_share=0.5,
    )
    asks = np.array([0.001, 0.001, 0.002, 0.1, 0.2, 0.3])
    capacities = np.array([6, 7, 9, 5, 5, 5])
    ai = np.array([True, True, True, False, False, False])
    outcome, _, demand = buyer.procure(get_mechanism("vcg"), asks, capacities, items_left, ai)
    units = outcome.units
    golden = min(round(golden_rate * units), units)
    assert demand == units
    assert units - golden <= items_left
    assert outcome.allocation[ai].sum() > 0
    assert outcome.spend <= buyer.settings.budget


def test_a_split_round_gives_each_channel_its_share_of_the_budget():
    buyer = _buyer(
        ids=(1, 2, 3, 4),
        budget=2.0,
        rounds=1,
        demand_mode="budget",
        golden_rate=0.0,
        ai_budget_share=0.25,
    )
    asks = np.array([1 / 64, 1 / 64, 1 / 8, 1 / 8])  # exact in binary
    capacities = np.array([100, 100, 100, 100])
    ai = np.array([True, True, False, False])
    outcome, _, _ = buyer.procure(get_mechanism("first_price"), asks, capacities, 10_000, ai)
    assert outcome.allocation[ai].sum() == 32  # 0.5 at 1/64 a label
    assert outcome.allocation[~ai].sum() == 12  # 1.5 at 1/8
    assert outcome.payments[ai].sum() == pytest.approx(0.5)
    assert outcome.payments[~ai].sum() == pytest.approx(1.5)


LIBRARY_PARAMS = {"posted_price": {"price": 0.5}, "myerson": {"distribution": stats.uniform(0, 1)}}


@pytest.mark.parametrize("name", available_mechanisms())
@pytest.mark.parametrize("demand_mode", ["budget", "fixed"])
def test_a_split_round_with_an_empty_side_clears_the_other_alone(name, demand_mode):
    """Share 0 with only humans, 1 with only AI sellers: one side has no seller at all."""
    mechanism = get_mechanism(name, **LIBRARY_PARAMS.get(name, {}))
    asks, capacities = np.array([0.1, 0.2]), np.array([3, 3])
    settings = {"budget": 10.0, "rounds": 1, "demand_per_round": 3, "golden_rate": 0.0}
    for share, ai in ((0.0, np.array([False, False])), (1.0, np.array([True, True]))):
        buyer = _buyer((1, 2), demand_mode=demand_mode, ai_budget_share=share, **settings)
        alone = _buyer((1, 2), demand_mode=demand_mode, **settings)
        outcome, _, demand = buyer.procure(mechanism, asks, capacities, 100, ai)
        expected, _, expected_demand = alone.procure(mechanism, asks, capacities, 100)
        assert demand == expected_demand
        assert outcome.units == expected.units
