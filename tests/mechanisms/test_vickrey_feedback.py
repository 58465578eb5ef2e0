"""VickreyFeedback adapted to labels: QA-DPO weight, hand cases, item grouping, truthfulness."""

import numpy as np
import pytest
from hypothesis import given, settings

from mechanisms.market import Market
from mechanisms.strategies import market_and_costs
from mechanisms.vickrey_feedback import VickreyFeedback, quality_weight
from tests.mechanisms.deviation_grid import allocation_rises_with_ask, largest_gain

RNG = np.random.default_rng(0)


def test_quality_weight_formula():
    # w = 0.5 + 1 / (1 + exp(-(b_a - b_r))): equal bids 0.5 + 0.5 = 1;
    # b_a - b_r = 1: 0.5 + 1/(1 + e^-1) = 0.5 + 0.7310585786 = 1.2310585786.
    assert quality_weight(0.3, 0.3) == pytest.approx(1.0)
    assert quality_weight(1.0, 0.0) == pytest.approx(1.2310585786)
    assert quality_weight(0.0, 1.0) == pytest.approx(2 - 1.2310585786)
    weights = quality_weight(np.array([50.0, -50.0]), np.array([0.0, 0.0]))
    np.testing.assert_allclose(weights, [1.5, 0.5])


def test_common_value_winners_paid_first_losing_ask():
    # Values 1, asks (0.1, 0.2, 0.3, 0.4), demand 2 = one item of two labels. Scores
    # 1 - ask: 0.9, 0.8, 0.7, 0.6. Winners 0 and 1; each keeps its label while it beats
    # the 2nd best other score, seller 2's 0.7: paid 1 - 0.7 = 0.3, the lowest losing ask.
    out = VickreyFeedback().run([0.1, 0.2, 0.3, 0.4], Market([1.0] * 4, [1] * 4, demand=2), RNG)
    assert out.allocation.tolist() == [1, 1, 0, 0]
    np.testing.assert_allclose(out.payments, [0.3, 0.3, 0.0, 0.0])


def test_heterogeneous_values_rank_by_value_minus_ask():
    # Values (1.0, 0.5, 0.9, 0.8), asks (0.3, 0.1, 0.5, 0.2): scores 0.7, 0.4, 0.4, 0.6.
    # One item: winners 0 (0.7) and 3 (0.6) although seller 1 is cheapest. The 2nd best
    # other score is 0.4 for both: payments 1.0 - 0.4 = 0.6 and 0.8 - 0.4 = 0.4.
    market = Market([1.0, 0.5, 0.9, 0.8], [1, 1, 1, 1], demand=2)
    out = VickreyFeedback().run([0.3, 0.1, 0.5, 0.2], market, RNG)
    assert out.allocation.tolist() == [1, 0, 0, 1]
    np.testing.assert_allclose(out.payments, [0.6, 0.0, 0.0, 0.4])


def test_items_need_distinct_sellers():
    # Capacities (3, 1, 1), demand 6 -> at most 3 items of 2. K items need
    # min(3, K) + min(1, K) + min(1, K) >= 2K: K = 2 gives 4 >= 4, K = 3 gives 5 < 6.
    # So 2 items: seller 0 labels both (one label each), sellers 1 and 2 one each.
    # All supply is needed, so each label's threshold is the reserve: paid its value 1.
    out = VickreyFeedback().run([0.1, 0.2, 0.3], Market([1.0] * 3, [3, 1, 1], demand=6), RNG)
    assert out.allocation.tolist() == [2, 1, 1]
    np.testing.assert_allclose(out.payments, [2.0, 1.0, 1.0])
    # One seller alone cannot fill an item of two labels.
    alone = VickreyFeedback().run([0.1], Market([1.0], [5], demand=4), RNG)
    assert alone.units == 0


def test_sellers_asking_above_value_never_sell():
    out = VickreyFeedback(labels_per_item=1).run([0.2, 0.9], Market([1.0, 0.5], [1, 1]), RNG)
    assert out.allocation.tolist() == [1, 0]
    np.testing.assert_allclose(out.payments, [1.0, 0.0])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_labels_per_item_must_be_a_positive_whole_number(bad):
    with pytest.raises(ValueError, match=r"^labels_per_item: "):
        VickreyFeedback(labels_per_item=bad)


@settings(max_examples=200)
@given(market_and_costs(max_capacity=4))
def test_allocation_fills_whole_items_with_distinct_sellers(case):
    market, costs = case
    for labels_per_item in (1, 2, 3):
        out = VickreyFeedback(labels_per_item).run(costs, market, RNG)
        items, leftover = divmod(out.units, labels_per_item)
        assert leftover == 0
        assert np.all(out.allocation <= items)
        assert np.all(out.allocation <= market.capacities)
        assert out.units <= market.effective_demand
        assert np.all(out.seller_utilities(costs) >= -1e-12)
        assert np.all(out.payments <= market.values * out.allocation + 1e-12)


@settings(max_examples=30)
@given(market_and_costs(n_sellers=4))
def test_no_profitable_misreport_for_any_capacities(case):
    market, costs = case
    gain, seller, misreport = largest_gain(VickreyFeedback(), costs, market)
    assert gain <= 1e-9, f"seller {seller} gains {gain} by asking {misreport}"


@settings(max_examples=20)
@given(market_and_costs(n_sellers=4))
def test_allocation_never_rises_with_own_ask(case):
    market, costs = case
    assert not allocation_rises_with_ask(VickreyFeedback(), costs, market)
