"""Systematic biases and the one-coin judge against their declared choice probabilities, and
judges that read the named view of a pair exactly as they read bare attributes."""

import math

import numpy as np
import pytest
from scipy.special import expit, logit, ndtr

from agents.judges import (
    AdversarialJudge,
    BradleyTerryJudge,
    FeatureBias,
    LexicographicSemiorderJudge,
    OneCoinJudge,
    SpammerJudge,
    ThurstoneJudge,
    accuracy_from_skill,
)
from agents.pair_view import PairLayout, Responses

K = 5
WEIGHTS = np.array([0.4, 0.3, 0.1, 0.1, 0.1])
LAYOUT = PairLayout(tuple(f"a{j}" for j in range(K)), ("length", "confidence"))
LENGTH = "length"


def share_is(hits: np.ndarray, expected: float, z: float = 4.0) -> bool:
    """The share of hits lies within ``z`` standard errors of ``expected``."""
    standard_error = math.sqrt(expected * (1 - expected) / hits.size)
    return abs(hits.mean() - expected) <= z * standard_error


def side(gold, attributes, length, confidence) -> Responses:
    """One side of the pairs, in LAYOUT."""
    features = {"length": np.asarray(length, float), "confidence": np.asarray(confidence, float)}
    return Responses(np.asarray(attributes, float), features, np.asarray(gold, float))


def pair_matrices(m: int, rng: np.random.Generator, length_gap: float = 0.0, equal=False):
    """``m`` pairs in LAYOUT: random gold side and attributes (equal on both sides when
    ``equal``), random confidence, and ``f_left - f_right = length_gap``."""
    gold_left = rng.random(m) < 0.5
    attributes_left, attributes_right = rng.random((m, K)), rng.random((m, K))
    if equal:
        attributes_right = attributes_left.copy()
    length = rng.normal(size=m)
    left = side(gold_left, attributes_left, length, rng.normal(size=m))
    right = side(~gold_left, attributes_right, length - length_gap, rng.normal(size=m))
    return left, right


@pytest.mark.parametrize("accuracy", [0.5, 0.62, 0.9])
def test_one_coin_accuracy_is_its_declared_accuracy(accuracy):
    rng = np.random.default_rng(0)
    left, right = pair_matrices(40_000, rng)
    gold_left = left.gold > right.gold
    labels = OneCoinJudge(accuracy).prefer_left(left, right, rng)
    assert share_is(labels == gold_left, accuracy)


def test_one_coin_bias_is_exact_where_the_feature_is_equal_and_logistic_elsewhere():
    accuracy, strength = 0.8, 0.7
    judge = OneCoinJudge(accuracy, bias=FeatureBias(LENGTH, strength))
    rng = np.random.default_rng(1)
    left, right = pair_matrices(40_000, rng, length_gap=0.0)
    gold_left = left.gold > right.gold
    assert share_is(judge.prefer_left(left, right, rng) == gold_left, accuracy)
    for gap in (1.5, -1.0):
        left, right = pair_matrices(40_000, rng, length_gap=gap)
        gold_left = left.gold > right.gold
        labels = judge.prefer_left(left, right, rng)
        for side, sign in ((gold_left, 1.0), (~gold_left, -1.0)):
            expected = expit(sign * logit(accuracy) + strength * gap)
            assert share_is(labels[side], expected)


def test_accuracy_from_skill_is_the_declared_line():
    assert accuracy_from_skill(0.0) == 0.5
    assert accuracy_from_skill(1.0) == 1.0
    np.testing.assert_allclose(accuracy_from_skill(np.array([0.2, 0.6])), [0.6, 0.8])
    with pytest.raises(ValueError, match=r"^skill"):
        accuracy_from_skill(-0.1)


def one_pair_repeated(m: int, length_gap: float):
    """``m`` copies of one pair whose utility gap under WEIGHTS is 0.4 * 0.1 = 0.04."""
    left = side(np.ones(m), np.tile([0.6, 0.5, 0.5, 0.5, 0.5], (m, 1)), [length_gap] * m, [0] * m)
    right = side(np.zeros(m), np.full((m, K), 0.5), [0.0] * m, [0] * m)
    return left, right


def test_a_biased_bradley_terry_judge_adds_the_bias_to_the_utility_gap_before_noise():
    temperature, strength, gap = 0.1, 0.05, 1.2
    judge = BradleyTerryJudge(WEIGHTS, temperature, bias=FeatureBias(LENGTH, strength))
    hits = judge.prefer_left(*one_pair_repeated(40_000, gap), np.random.default_rng(2))
    assert share_is(hits, expit((0.04 + strength * gap) / temperature))


def test_a_biased_thurstone_judge_adds_the_bias_to_the_utility_gap_before_noise():
    noise, strength, gap = 0.1, -0.08, 1.0
    judge = ThurstoneJudge(WEIGHTS, noise, bias=FeatureBias(LENGTH, strength))
    hits = judge.prefer_left(*one_pair_repeated(40_000, gap), np.random.default_rng(3))
    assert share_is(hits, ndtr((0.04 + strength * gap) / (math.sqrt(2) * noise)))


def biased_judges(strength: float | None):
    """One judge of every kind; no bias when ``strength`` is None."""
    bias = None if strength is None else FeatureBias(LENGTH, strength)
    reads = {"bias": bias}
    return {
        "bradley_terry": BradleyTerryJudge(WEIGHTS, 0.1, **reads),
        "thurstone": ThurstoneJudge(WEIGHTS, 0.1, **reads),
        "lexicographic": LexicographicSemiorderJudge(range(K), 0.05, noise=0.02, **reads),
        "adversarial": AdversarialJudge(WEIGHTS, **reads),
        "spammer": SpammerJudge(bias=bias),
        "one_coin": OneCoinJudge(0.75, bias=bias),
    }


@pytest.mark.parametrize("kind", list(biased_judges(None)))
def test_a_bias_pulls_every_judge_toward_the_larger_feature_and_a_negative_one_away(kind):
    """On pairs equal in every attribute, whose left response is one standard deviation
    longer: the unbiased judge picks left at its own rate; strength +0.5 raises that rate,
    -0.5 lowers it, each by more than four standard errors."""
    m = 20_000
    rates = {}
    for strength in (None, 0.5, -0.5):
        rng = np.random.default_rng(4)
        left, right = pair_matrices(m, rng, length_gap=1.0, equal=True)
        rates[strength] = biased_judges(strength)[kind].prefer_left(left, right, rng).mean()
    margin = 4 * math.sqrt(0.5 / m)
    assert rates[0.5] > rates[None] + margin
    assert rates[-0.5] < rates[None] - margin


def test_judges_read_the_named_view_exactly_as_bare_attributes():
    """Without a bias, a judge given the named view labels exactly as it does given the
    attribute matrices alone, draw for draw: gold and features do not leak in."""
    rng = np.random.default_rng(5)
    left, right = pair_matrices(2_000, rng)
    bare = (left.attributes, right.attributes)
    judges = [
        BradleyTerryJudge(WEIGHTS, 0.1),
        BradleyTerryJudge(WEIGHTS, 0),
        ThurstoneJudge(WEIGHTS, 0.1),
        LexicographicSemiorderJudge([2, 0, 1], 0.05, noise=0.03),
        AdversarialJudge(WEIGHTS),
        SpammerJudge(),
    ]
    for judge in judges:
        expected = judge.prefer_left(*bare, np.random.default_rng(6))
        got = judge.prefer_left(left, right, np.random.default_rng(6))
        assert np.array_equal(expected, got), type(judge).__name__


def test_a_zero_strength_bias_changes_no_probability():
    rng = np.random.default_rng(7)
    left, right = pair_matrices(500, rng, length_gap=2.0)
    plain = OneCoinJudge(0.7).prefer_left(left, right, np.random.default_rng(8))
    zero = OneCoinJudge(0.7, bias=FeatureBias(LENGTH, 0.0)).prefer_left(
        left, right, np.random.default_rng(8)
    )
    assert np.array_equal(plain, zero)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: FeatureBias(LENGTH, math.inf), "bias_strength"),
        (lambda: FeatureBias("", 1.0), "bias_feature"),
        (lambda: OneCoinJudge(1.2), "accuracy"),
        (
            lambda: OneCoinJudge(0.7).prefer_left(
                np.ones((2, 5)), np.ones((2, 5)), np.random.default_rng()
            ),
            "judge_mix",
        ),
        (
            lambda: SpammerJudge(bias=FeatureBias("politeness", 1.0)).prefer_left(
                *pair_matrices(2, np.random.default_rng()), np.random.default_rng()
            ),
            "bias_feature",
        ),
        (
            lambda: BradleyTerryJudge(WEIGHTS).prefer_left(
                np.ones((2, 4)), np.ones((2, 4)), np.random.default_rng()
            ),
            "left",
        ),
        (lambda: LAYOUT.check_feature("politeness"), "bias_feature"),
    ],
)
def test_bad_bias_and_one_coin_input_names_the_field(build, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        build()


def test_a_side_of_the_view_takes_rows_of_every_named_part():
    left, _ = pair_matrices(6, np.random.default_rng(9))
    rows = np.array([4, 1])
    taken = left[rows]
    np.testing.assert_array_equal(taken.attributes, left.attributes[rows])
    np.testing.assert_array_equal(taken.gold, left.gold[rows])
    for name in LAYOUT.features:
        np.testing.assert_array_equal(taken.feature(name), left.feature(name)[rows])
    assert len(taken) == 2
