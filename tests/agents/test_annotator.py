"""Annotators inside a mesa model: ask, label, observe."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from agents.annotator import Annotator
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


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cost": -1.0}, "cost"),
        ({"capacity": 1.5}, "capacity"),
        ({"skill": 1.2}, "skill"),
        ({"judge": object()}, "judge"),
        ({"bidder": object()}, "bidder"),
    ],
)
def test_bad_annotator_fields_are_named(kwargs, field):
    arguments = {
        "cost": 0.1,
        "capacity": 1,
        "skill": 0.5,
        "judge": BradleyTerryJudge(np.ones(5) / 5),
        "bidder": Truthful(),
    } | kwargs
    with pytest.raises(ValueError, match=f"^{field}:"):
        Annotator(mesa.Model(seed=0), **arguments)
