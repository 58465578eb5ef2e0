"""Annotators inside a mesa model: ask, label, observe."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from agents.annotator import Annotator, label_by_annotators
from agents.bidding import FixedMarkup, LearningBidder, Truthful
from agents.judges import AdversarialJudge, BradleyTerryJudge


def _pairs(rng, m=200, k=5):
    return rng.random((m, k)), rng.random((m, k))


def test_annotator_asks_labels_and_observes_inside_a_model():
    model = mesa.Model(seed=3)
    weights = np.full(5, 0.2)
    annotator = Annotator(model, 0.4, 3, 0.9, BradleyTerryJudge(weights, 0.0), FixedMarkup(0.5))
    assert annotator in model.agents
    ask = annotator.make_ask()
    assert ask == pytest.approx(0.6)
    left, right = _pairs(np.random.default_rng(0))
    labels = annotator.label(left, right)
    np.testing.assert_array_equal(labels, left @ weights > right @ weights)
    annotator.observe(ask, units=2, payment=1.2)
    annotator.observe(ask, units=0, payment=0.0)
    np.testing.assert_allclose(annotator.utilities(), [1.2 - 2 * 0.4, 0.0])
    assert annotator.history[0] == pytest.approx(
        {"ask": 0.6, "units": 2, "payment": 1.2, "utility": 0.4}
    )


def test_labels_use_the_model_generator_unless_one_is_passed():
    judge = BradleyTerryJudge(np.full(5, 0.2), temperature=0.3)
    left, right = _pairs(np.random.default_rng(1))
    first = Annotator(mesa.Model(seed=5), 0.1, 1, 0.5, judge, Truthful()).label(left, right)
    second = Annotator(mesa.Model(seed=5), 0.1, 1, 0.5, judge, Truthful()).label(left, right)
    np.testing.assert_array_equal(first, second)
    annotator = Annotator(mesa.Model(seed=6), 0.1, 1, 0.5, judge, Truthful())
    passed = annotator.label(left, right, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(passed, judge.prefer_left(left, right, np.random.default_rng(9)))


def test_adversarial_annotator_flips_every_strict_judgement():
    weights = np.array([0.5, 0.5, 0.0, 0.0, 0.0])
    annotator = Annotator(mesa.Model(seed=0), 0.1, 1, 0.0, AdversarialJudge(weights), Truthful())
    left, right = _pairs(np.random.default_rng(2))
    np.testing.assert_array_equal(annotator.label(left, right), left @ weights < right @ weights)


def test_learning_annotator_feeds_its_bidder():
    model = mesa.Model(seed=4)
    bidder = LearningBidder([1.0, 2.0])
    annotator = Annotator(model, 0.5, 1, 0.5, BradleyTerryJudge(np.ones(5) / 5), bidder)
    ask = annotator.make_ask()
    annotator.observe(ask, units=1, payment=ask)
    assert np.count_nonzero(bidder.reward_estimates_) == 1


def test_each_pair_is_labelled_by_the_annotator_assigned_to_it():
    model = mesa.Model(seed=0)
    weights = np.eye(5)[:3]  # annotator k looks at attribute k only
    annotators = [
        Annotator(model, 0.1, 4, 0.5, BradleyTerryJudge(w, 0.0), Truthful()) for w in weights
    ]
    ids = np.array([a.unique_id for a in annotators])
    rng = np.random.default_rng(3)
    left, right = _pairs(rng, m=60)
    assigned = ids[rng.integers(0, 3, size=60)]
    got = label_by_annotators(model.agents_by_type[Annotator], assigned, left, right)
    position = np.searchsorted(ids, assigned)
    np.testing.assert_array_equal(
        got, left[np.arange(60), position] > right[np.arange(60), position]
    )


def test_annotators_label_in_set_order_and_unassigned_ones_draw_nothing():
    """Noisy judges: the same draws as each assigned annotator labelling its rows in turn."""
    judge = BradleyTerryJudge(np.full(5, 0.2), temperature=0.5)
    model = mesa.Model(seed=0)
    annotators = [Annotator(model, 0.1, 4, 0.5, judge, Truthful()) for _ in range(4)]
    ids = np.array([a.unique_id for a in annotators])
    left, right = _pairs(np.random.default_rng(4), m=30)
    assigned = ids[np.random.default_rng(5).choice([0, 2, 3], size=30)]
    got = label_by_annotators(
        model.agents_by_type[Annotator], assigned, left, right, np.random.default_rng(7)
    )
    expected, rng = np.zeros(30, dtype=bool), np.random.default_rng(7)
    for uid in ids[[0, 2, 3]]:
        rows = np.flatnonzero(assigned == uid)
        expected[rows] = judge.prefer_left(left[rows], right[rows], rng)
    np.testing.assert_array_equal(got, expected)


def test_an_agentset_in_another_order_labels_in_that_order():
    """A set listing the annotators in reverse: the draws follow the set, not the ids."""
    judge = BradleyTerryJudge(np.full(5, 0.2), temperature=0.5)
    model = mesa.Model(seed=0)
    annotators = [Annotator(model, 0.1, 4, 0.5, judge, Truthful()) for _ in range(3)]
    reversed_set = mesa.agent.AgentSet(annotators[::-1], random=model.random)
    ids = np.array([a.unique_id for a in annotators])
    left, right = _pairs(np.random.default_rng(4), m=30)
    assigned = ids[np.random.default_rng(5).integers(0, 3, size=30)]
    got = label_by_annotators(reversed_set, assigned, left, right, np.random.default_rng(7))
    expected, rng = np.zeros(30, dtype=bool), np.random.default_rng(7)
    for uid in ids[::-1]:
        rows = np.flatnonzero(assigned == uid)
        expected[rows] = judge.prefer_left(left[rows], right[rows], rng)
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match=r"^assigned: no annotator has unique_id 99"):
        label_by_annotators(reversed_set, np.array([99]), left[:1], right[:1])
