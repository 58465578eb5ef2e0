"""The buyer's Beta posteriors, label values and budget pacing."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from agents.buyer import Buyer


def _buyer(**overrides):
    arguments = {
        "target_weights": [0.4, 0.3, 0.1, 0.1, 0.1],
        "budget": 100.0,
        "demand_per_round": 10,
        "n_rounds": 4,
        "annotator_ids": [11, 12, 13],
    } | overrides
    return Buyer(mesa.Model(seed=0), **arguments)


@given(
    prior=st.tuples(st.floats(0.1, 10), st.floats(0.1, 10)),
    batches=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 30), st.integers(0, 30)), max_size=8
    ),
)
def test_beta_posterior_is_the_conjugate_closed_form(prior, batches):
    """Beta(a, b) prior and s successes, f failures in total -> Beta(a + s, b + f)."""
    buyer = _buyer(prior_alpha=prior[0], prior_beta=prior[1])
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
    buyer = _buyer()
    buyer.update_quality([12, 12, 11], [3, 4, 1], [1, 0, 2])
    np.testing.assert_allclose(buyer.alpha_, [2, 8, 1])
    np.testing.assert_allclose(buyer.beta_, [3, 2, 1])


def test_posterior_concentrates_on_the_true_accuracy():
    """Labels right w.p. 0.8: the 95% interval covers 0.8 and shrinks like 1/sqrt(n)."""
    rng = np.random.default_rng(0)
    buyer = _buyer()
    correct = int(rng.binomial(2000, 0.8))
    buyer.update_quality([11], [correct], [2000 - correct])
    lower, upper = buyer.quality_interval(0.95)
    assert lower[0] < 0.8 < upper[0]
    assert upper[0] - lower[0] == pytest.approx(2 * 1.96 * np.sqrt(0.8 * 0.2 / 2000), rel=0.1)
    assert (lower[1], upper[1]) == pytest.approx((0.025, 0.975))
    assert stats.beta.cdf(upper[0], buyer.alpha_[0], buyer.beta_[0]) == pytest.approx(0.975)


def test_value_per_label_is_the_informative_share():
    buyer = _buyer(base_value=2.0)
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


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"target_weights": [0.0, 0.0]}, "target_weights"),
        ({"budget": -1.0}, "budget"),
        ({"demand_per_round": 2.5}, "demand_per_round"),
        ({"n_rounds": 0}, "n_rounds"),
        ({"annotator_ids": [1, 1]}, "annotator_ids"),
        ({"prior_alpha": 0.0}, "prior_alpha"),
    ],
)
def test_bad_buyer_fields_are_named(overrides, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        _buyer(**overrides)


def test_unknown_annotator_in_update_is_named():
    with pytest.raises(ValueError, match=r"^annotator_ids:"):
        _buyer().update_quality([99], [1], [0])
