"""Every registered judge and bidding strategy against the kinds it declares, as
tests/properties/test_declared_properties.py checks every mechanism against its properties.

Judges are built as the population builds them (``for_annotator``), bidders likewise
(``for_population``); pairs have continuous random scores and features, so exact ties have
probability zero.
"""

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar

import mesa
import numpy as np
import pytest

from agents.bidding import BIDDERS
from agents.judges import JUDGES, FeatureBias, JudgeTraits
from agents.pair_view import PairLayout
from agents.plugin_registry import Registry
from agents.population import (
    ATTRIBUTE_JUDGES,
    BIDDING_TYPES,
    JUDGE_TYPES,
    PopulationSpec,
    build_population,
)
from tests.agents.random_pairs import random_sides

K = 5
WEIGHTS = np.array([0.4, 0.3, 0.1, 0.1, 0.1])
FEATURES = ("length", "confidence")
WITH_SCORES = PairLayout(tuple(f"a{j}" for j in range(K)), FEATURES)
WITHOUT_SCORES = PairLayout((), FEATURES)
M = 4000


def judges_declaring(**kinds):
    return [pytest.param(name, id=name) for name in JUDGES.names(**kinds)]


def bidders_declaring(**kinds):
    return [pytest.param(name, id=name) for name in BIDDERS.names(**kinds)]


def judge(name, bias=None, skill=0.5):
    traits = JudgeTraits(WEIGHTS, skill, PopulationSpec(), bias)
    return JUDGES.get(name).for_annotator(traits)


def pairs(layout: PairLayout, m: int = M, seed: int = 0):
    """``m`` pairs carrying ``layout``: a random gold side, uniform scores, normal features."""
    return random_sides(layout, m, np.random.default_rng(seed))


def labels(judge, left, right, seed: int = 1) -> np.ndarray:
    return judge.prefer_left(left, right, np.random.default_rng(seed))


def test_the_population_types_are_the_registered_names_in_their_order():
    assert JUDGE_TYPES == (
        "bradley_terry",
        "thurstone",
        "lexicographic",
        "spammer",
        "adversarial",
        "one_coin",
        "calibrated",
    )
    assert ATTRIBUTE_JUDGES == (
        "bradley_terry",
        "thurstone",
        "lexicographic",
        "adversarial",
        "calibrated",
    )
    assert BIDDING_TYPES == ("truthful", "markup", "equilibrium", "learning")


@pytest.mark.parametrize("name", judges_declaring())
def test_every_judge_labels_each_pair_once_and_reproducibly(name):
    left, right = pairs(WITH_SCORES)
    first = labels(judge(name), left, right)
    assert first.shape == (M,) and first.dtype == bool
    np.testing.assert_array_equal(first, labels(judge(name), left, right))


@pytest.mark.parametrize("name", judges_declaring(stochastic=False))
def test_a_deterministic_judge_gives_the_same_labels_whatever_the_generator(name):
    left, right = pairs(WITH_SCORES)
    np.testing.assert_array_equal(
        labels(judge(name), left, right, 1), labels(judge(name), left, right, 2)
    )


@pytest.mark.parametrize("name", judges_declaring(stochastic=True))
def test_a_stochastic_judge_gives_different_labels_for_another_generator(name):
    left, right = pairs(WITH_SCORES)
    assert np.any(labels(judge(name), left, right, 1) != labels(judge(name), left, right, 2))


@pytest.mark.parametrize("name", judges_declaring(order_neutral=True, stochastic=False))
def test_swapping_sides_flips_a_deterministic_judge(name):
    left, right = pairs(WITH_SCORES)
    np.testing.assert_array_equal(
        labels(judge(name), right, left), ~labels(judge(name), left, right)
    )


@pytest.mark.parametrize("name", judges_declaring(order_neutral=True, stochastic=True))
def test_swapping_sides_flips_a_stochastic_judge_in_probability(name):
    # Each pair's P(left | left, right) + P(left | right, left) = 1, so the two shares of
    # left labels sum to 1 up to sampling error (variance at most 2 * 0.25 / M).
    left, right = pairs(WITH_SCORES, seed=3)
    left, right = left[np.repeat(np.arange(M), 5)], right[np.repeat(np.arange(M), 5)]
    shares = labels(judge(name), left, right, 1).mean() + labels(judge(name), right, left, 2).mean()
    assert abs(shares - 1.0) <= 4.0 * math.sqrt(0.5 / len(left))


@pytest.mark.parametrize("name", judges_declaring(needs_attributes=False))
def test_a_judge_needing_no_attributes_labels_pairs_without_scores(name):
    left, right = pairs(WITHOUT_SCORES)
    assert labels(judge(name), left, right).shape == (M,)
    PopulationSpec(judge_mix={name: 1.0}).check_layout(WITHOUT_SCORES)


@pytest.mark.parametrize("name", judges_declaring(needs_attributes=True))
def test_a_judge_needing_attributes_refuses_pairs_without_scores(name):
    left, right = pairs(WITHOUT_SCORES)
    with pytest.raises(ValueError):
        labels(judge(name), left, right)
    with pytest.raises(ValueError, match="judge_mix"):
        PopulationSpec(judge_mix={name: 1.0}).check_layout(WITHOUT_SCORES)


def gold_flipped(left, right):
    return replace(left, gold=right.gold), replace(right, gold=left.gold)


def without_gold(left, right):
    return replace(left, gold=None), replace(right, gold=None)


@pytest.mark.parametrize("name", judges_declaring(reads_gold=False))
def test_a_judge_that_does_not_read_gold_ignores_it(name):
    left, right = pairs(WITH_SCORES)
    np.testing.assert_array_equal(
        labels(judge(name), *gold_flipped(left, right)), labels(judge(name), left, right)
    )
    np.testing.assert_array_equal(
        labels(judge(name), *without_gold(left, right)), labels(judge(name), left, right)
    )


@pytest.mark.parametrize("name", judges_declaring(reads_gold=True))
def test_a_judge_that_reads_gold_follows_it_and_needs_gold(name):
    left, right = pairs(WITH_SCORES)
    assert np.any(
        labels(judge(name), *gold_flipped(left, right)) != labels(judge(name), left, right)
    )
    with pytest.raises(ValueError, match="judge_mix"):
        labels(judge(name), *without_gold(left, right))
    with pytest.raises(ValueError, match="judge_mix"):
        PopulationSpec(judge_mix={name: 1.0}).check_layout(None)


def without_features(left, right):
    return (
        replace(left, features={}, ids=None),
        replace(right, features={}, ids=None),
    )


@pytest.mark.parametrize("name", judges_declaring(reads_features=False))
def test_a_judge_that_does_not_read_features_labels_the_same_without_them(name):
    left, right = pairs(WITH_SCORES)
    np.testing.assert_array_equal(
        labels(judge(name), *without_features(left, right)), labels(judge(name), left, right)
    )


@pytest.mark.parametrize("name", judges_declaring(reads_features=True))
def test_a_judge_that_reads_features_needs_them(name):
    left, right = pairs(WITH_SCORES)
    changed = replace(left, features={key: -value for key, value in left.features.items()})
    assert np.any(labels(judge(name), changed, right) != labels(judge(name), left, right))
    with pytest.raises(ValueError):
        labels(judge(name), *without_features(left, right))
    with pytest.raises(ValueError, match="judge_mix"):
        PopulationSpec(judge_mix={name: 1.0}).check_layout(None)


@pytest.mark.parametrize("name", judges_declaring())
def test_a_strong_bias_pulls_every_judge_to_the_larger_feature(name):
    left, right = pairs(WITH_SCORES)
    biased = judge(name, bias=FeatureBias("length", 100.0))
    agrees = labels(biased, left, right) == (left.feature("length") > right.feature("length"))
    assert agrees.mean() > 0.95


def bidder(name):
    return BIDDERS.get(name).for_population(PopulationSpec(bidding_mix={name: 1.0}))


COSTS = (0.0, 0.01, 0.1, 0.3, 1.0, 5.0)


@pytest.mark.parametrize("name", bidders_declaring())
def test_every_ask_is_finite_and_non_negative_and_every_outcome_is_observed(name):
    strategy, rng = bidder(name), np.random.default_rng(0)
    for cost in COSTS:
        for units, paid in ((0, 0.0), (1, 1.0), (3, 0.5)):
            ask = strategy.ask(cost, rng)
            assert np.isfinite(ask) and ask >= 0
            strategy.observe(ask, units, paid * ask * units, cost)


@pytest.mark.parametrize("name", bidders_declaring(truthful=True))
def test_a_truthful_bidder_asks_its_cost(name):
    strategy, rng = bidder(name), np.random.default_rng(0)
    assert [strategy.ask(cost, rng) for cost in COSTS] == list(COSTS)


@pytest.mark.parametrize("name", bidders_declaring(truthful=False))
def test_an_untruthful_bidder_asks_otherwise_than_its_cost(name):
    strategy, rng = bidder(name), np.random.default_rng(0)
    assert any(strategy.ask(cost, rng) != cost for cost in COSTS[1:] * 5)


@pytest.mark.parametrize("name", bidders_declaring(stochastic=False))
def test_a_deterministic_bidder_asks_the_same_whatever_the_generator(name):
    strategy = bidder(name)
    for cost in COSTS:
        assert strategy.ask(cost, np.random.default_rng(1)) == strategy.ask(
            cost, np.random.default_rng(2)
        )


@pytest.mark.parametrize("name", bidders_declaring(stochastic=True))
def test_a_stochastic_bidder_asks_differently_for_other_generators(name):
    strategy = bidder(name)
    asks = {strategy.ask(0.1, np.random.default_rng(seed)) for seed in range(20)}
    assert len(asks) > 1


def trained(strategy, rounds: int = 200):
    """``strategy`` after ``rounds`` sales of one label at its ask, at cost 0.1."""
    rng = np.random.default_rng(5)
    for _ in range(rounds):
        ask = strategy.ask(0.1, rng)
        strategy.observe(ask, 1, ask, 0.1)
    return strategy


def asks(strategy, n: int = 100) -> list[float]:
    rng = np.random.default_rng(7)
    return [strategy.ask(0.1, rng) for _ in range(n)]


@pytest.mark.parametrize("name", bidders_declaring(learns=False))
def test_a_static_bidder_asks_the_same_after_what_it_observed(name):
    assert asks(trained(bidder(name))) == asks(bidder(name))


@pytest.mark.parametrize("name", bidders_declaring(learns=True))
def test_a_learning_bidder_asks_otherwise_after_what_it_observed(name):
    assert asks(trained(bidder(name))) != asks(bidder(name))


class AlwaysLeft:
    """A judge plugin for the registry's own tests: labels every pair left."""

    name = "always_left"
    kinds: ClassVar[Mapping[str, bool]] = {
        "needs_attributes": False,
        "reads_gold": False,
        "stochastic": False,
        "order_neutral": False,
        "reads_features": False,
    }

    @classmethod
    def for_annotator(cls, traits):
        return cls()

    def prefer_left(self, left, right, rng):
        return np.ones(len(left), dtype=bool)


def test_a_registered_judge_joins_the_population_types_and_populations():
    JUDGES.register(AlwaysLeft)
    try:
        assert "always_left" in JUDGE_TYPES and "always_left" not in ATTRIBUTE_JUDGES
        spec = PopulationSpec(n_annotators=4, judge_mix={"always_left": 1.0})
        population = build_population(mesa.Model(seed=0), spec, WEIGHTS)
        assert all(isinstance(annotator.judge, AlwaysLeft) for annotator in population)
    finally:
        JUDGES.unregister("always_left")
    assert "always_left" not in JUDGE_TYPES
    with pytest.raises(ValueError, match="judge_mix: unknown type"):
        PopulationSpec(judge_mix={"always_left": 1.0})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "declares no name"),
        ({"name": "bradley_terry"}, "already registered"),
        ({"kinds": {"stochastic": False}}, "kinds must declare exactly"),
        ({"kinds": {**AlwaysLeft.kinds, "stochastic": 0}}, "True or False"),
        ({"for_annotator": None}, "defines no class method for_annotator"),
    ],
)
def test_the_registry_refuses_a_plugin_that_does_not_declare_itself(change, message):
    plugin = type("Broken", (AlwaysLeft,), change)
    with pytest.raises(ValueError, match=message):
        JUDGES.register(plugin)


def test_a_registry_refuses_an_unknown_name_or_kind():
    registry = Registry("judge", "judge_mix", {"stochastic": "draws"}, builder="for_annotator")
    with pytest.raises(ValueError, match="judge_mix: unknown type 'x'"):
        registry.get("x")
    with pytest.raises(ValueError, match="unknown kind"):
        registry.names(noisy=True)
