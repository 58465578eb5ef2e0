"""Judges against their choice models: logit/probit probabilities, transitivity, Tversky cycles."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from agents.judges import (
    AdversarialJudge,
    BradleyTerryJudge,
    LexicographicSemiorderJudge,
    SpammerJudge,
    ThurstoneJudge,
    draw_annotator_weights,
    temperature_from_skill,
)
from analysis.intransitivity import individual_cycle_rate, majority_cycle_rate
from sim.corpus import builtin_corpus

K = 5
unit_floats = st.floats(0.0, 1.0, allow_nan=False)
weight_vectors = arrays(float, K, elements=unit_floats).filter(lambda w: w.sum() > 0)
triples = arrays(float, (3, K), elements=unit_floats)


def repeated_pair(left, right, m):
    return np.tile(left, (m, 1)), np.tile(right, (m, 1))


def within_standard_errors(hits, expected_share, m, z=4.0):
    standard_error = math.sqrt(expected_share * (1 - expected_share) / m)
    return abs(hits.mean() - expected_share) <= z * standard_error


@given(weights=weight_vectors, triple=triples, seed=st.integers(0, 2**32 - 1))
def test_noiseless_bradley_terry_follows_utility_and_is_transitive(weights, triple, seed):
    utility = triple @ weights
    assume(len({float(u) for u in utility}) == 3)
    judge = BradleyTerryJudge(weights, temperature=0)
    rng = np.random.default_rng(seed)
    a, b, c = triple[[0]], triple[[1]], triple[[2]]
    a_over_b = judge.prefer_left(a, b, rng)[0]
    b_over_c = judge.prefer_left(b, c, rng)[0]
    a_over_c = judge.prefer_left(a, c, rng)[0]
    assert a_over_b == (utility[0] > utility[1])
    assert a_over_c == (utility[0] > utility[2])
    assert not (a_over_b == b_over_c != a_over_c)
    assert individual_cycle_rate(judge, triple[None], rng) == 0.0


@given(weights=weight_vectors, triple=triples, seed=st.integers(0, 2**32 - 1))
def test_noiseless_thurstone_and_adversarial_agree_with_utility_order(weights, triple, seed):
    utility = triple @ weights
    assume(utility[0] != utility[1])
    rng = np.random.default_rng(seed)
    left, right = triple[[0]], triple[[1]]
    truth = utility[0] > utility[1]
    assert ThurstoneJudge(weights, noise=0).prefer_left(left, right, rng)[0] == truth
    assert AdversarialJudge(weights).prefer_left(left, right, rng)[0] == (not truth)


def test_noiseless_tie_is_a_fair_coin():
    judge = BradleyTerryJudge(np.ones(K) / K, temperature=0)
    same = np.full((20_000, K), 0.5)
    hits = judge.prefer_left(same, same, np.random.default_rng(1))
    assert within_standard_errors(hits, 0.5, len(hits))


def test_bradley_terry_choice_probability_is_the_logistic_of_the_utility_gap():
    weights = np.array([0.4, 0.3, 0.1, 0.1, 0.1])
    left, right = np.array([0.9, 0.5, 0.5, 0.5, 0.5]), np.array([0.6, 0.5, 0.5, 0.5, 0.5])
    m, temperature = 40_000, 0.1
    expected = 1 / (1 + math.exp(-0.4 * 0.3 / temperature))
    hits = BradleyTerryJudge(weights, temperature).prefer_left(
        *repeated_pair(left, right, m), np.random.default_rng(2)
    )
    assert within_standard_errors(hits, expected, m)


def test_thurstone_choice_probability_is_case_v_probit():
    weights = np.array([0.4, 0.3, 0.1, 0.1, 0.1])
    left, right = np.array([0.5, 0.8, 0.5, 0.5, 0.5]), np.array([0.5, 0.5, 0.5, 0.5, 0.5])
    m, noise = 40_000, 0.1
    gap = 0.3 * 0.3
    expected = 0.5 * (1 + math.erf(gap / (math.sqrt(2) * noise) / math.sqrt(2)))
    hits = ThurstoneJudge(weights, noise).prefer_left(
        *repeated_pair(left, right, m), np.random.default_rng(3)
    )
    assert within_standard_errors(hits, expected, m)


def test_lexicographic_semiorder_cycles_on_tversky_triple():
    judge = LexicographicSemiorderJudge(order=[0, 1], threshold=0.1)
    a, b, c = np.array([[0.00, 1.0]]), np.array([[0.06, 0.5]]), np.array([[0.12, 0.0]])
    rng = np.random.default_rng(4)
    assert judge.prefer_left(a, b, rng)[0]
    assert judge.prefer_left(b, c, rng)[0]
    assert not judge.prefer_left(a, c, rng)[0]
    assert individual_cycle_rate(judge, np.stack([a[0], b[0], c[0]])[None], rng) == 1.0


def test_lexicographic_semiorder_cycles_at_a_measurable_rate_on_random_responses():
    rng = np.random.default_rng(5)
    attributes = rng.random((20_000, 3, K))
    judge = LexicographicSemiorderJudge(range(K), threshold=0.1)
    rate = individual_cycle_rate(judge, attributes, rng)
    assert rate * len(attributes) >= 20
    strict_order = LexicographicSemiorderJudge(range(K), threshold=0.0)
    assert individual_cycle_rate(strict_order, attributes, rng) == 0.0


def test_lexicographic_semiorder_cycles_on_corpus_triples():
    corpus = builtin_corpus()
    responses = corpus.responses
    rng = np.random.default_rng(10)
    triples = []
    for _, ids in responses.groupby("prompt_id")["response_id"]:
        for chosen in rng.choice(ids.to_numpy(), size=(20, 3)):
            if len(set(chosen)) == 3:
                triples.append(corpus.attribute_matrix(chosen))
    rate = individual_cycle_rate(LexicographicSemiorderJudge(range(K)), np.stack(triples), rng)
    assert rate * len(triples) >= 10


def test_spammer_is_a_fair_coin_and_cycles_on_a_quarter_of_triples():
    rng = np.random.default_rng(6)
    attributes = rng.random((40_000, 3, K))
    hits = SpammerJudge().prefer_left(attributes[:, 0], attributes[:, 1], rng)
    assert within_standard_errors(hits, 0.5, len(hits))
    cycle_rate = individual_cycle_rate(SpammerJudge(), attributes, rng)
    assert abs(cycle_rate - 0.25) <= 4 * math.sqrt(0.25 * 0.75 / len(attributes))


def test_majority_cycles_of_heterogeneous_annotators_vanish_as_concentration_grows():
    rng = np.random.default_rng(7)
    target = np.array([0.35, 0.25, 0.2, 0.1, 0.1])
    attributes = rng.random((2_000, 3, K))
    cycle_counts = []
    for concentration in (1.0, 10.0, 1000.0, np.inf):
        rates = [
            majority_cycle_rate(
                [
                    BradleyTerryJudge(w, temperature=0)
                    for w in draw_annotator_weights(target, concentration, 5, rng)
                ],
                attributes,
                rng,
            )
            for _ in range(30)
        ]
        cycle_counts.append(np.sum(rates) * len(attributes))
    ones, tens, thousands, homogeneous = cycle_counts
    assert ones > tens + 4 * math.sqrt(ones + tens)
    assert tens > thousands + 4 * math.sqrt(tens + thousands)
    assert homogeneous == 0


def test_annotator_weights_have_dirichlet_mean_and_variance():
    target = np.array([2.0, 1.0, 1.0, 0.0, 0.0])
    concentration, size = 10.0, 20_000
    weights = draw_annotator_weights(target, concentration, size, np.random.default_rng(8))
    mean = target / target.sum()
    variance = mean * (1 - mean) / (concentration + 1)
    assert np.allclose(weights.sum(axis=1), 1.0)
    assert np.all(weights[:, 3:] == 0)
    assert np.all(np.abs(weights.mean(axis=0) - mean) <= 4 * np.sqrt(variance / size))
    assert np.allclose(weights[:, :3].var(axis=0), variance[:3], rtol=0.05)
    assert np.array_equal(
        draw_annotator_weights(target, np.inf, 3, np.random.default_rng(0)), np.tile(mean, (3, 1))
    )


def test_judges_repeat_under_the_same_seed():
    attributes = np.random.default_rng(9).random((100, 2, K))
    for judge in (
        BradleyTerryJudge(np.ones(K)),
        ThurstoneJudge(np.ones(K)),
        LexicographicSemiorderJudge(range(K), noise=0.05),
        SpammerJudge(),
    ):
        first = judge.prefer_left(attributes[:, 0], attributes[:, 1], np.random.default_rng(3))
        second = judge.prefer_left(attributes[:, 0], attributes[:, 1], np.random.default_rng(3))
        assert np.array_equal(first, second)


def test_temperature_from_skill_interpolates_between_floor_and_base():
    assert temperature_from_skill(1.0) == pytest.approx(0.02)
    assert temperature_from_skill(0.0) == pytest.approx(0.52)
    assert np.allclose(temperature_from_skill(np.array([0.5, 0.25]), 1.0, 0.0), [0.5, 0.75])


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: BradleyTerryJudge(np.ones(K), temperature=-1), "temperature"),
        (lambda: ThurstoneJudge(np.ones(K), noise=np.nan), "noise"),
        (lambda: LexicographicSemiorderJudge([0, 0]), "order"),
        (lambda: draw_annotator_weights(np.zeros(K), 1.0, 2, np.random.default_rng()), "target"),
        (lambda: draw_annotator_weights(np.ones(K), 0.0, 2, np.random.default_rng()), "concentr"),
        (lambda: temperature_from_skill(1.5), "skill"),
        (
            lambda: BradleyTerryJudge(np.ones(3)).prefer_left(
                np.ones((2, K)), np.ones((2, K)), np.random.default_rng()
            ),
            "left",
        ),
        (
            lambda: SpammerJudge().prefer_left(
                np.ones((2, K)), np.ones((3, K)), np.random.default_rng()
            ),
            "right",
        ),
    ],
)
def test_bad_input_names_the_field(build, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        build()
