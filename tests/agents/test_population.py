"""Populations built from a spec: marginals, copula correlation, mixes, determinism, errors."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from scipy import stats

from agents.bidding import FixedMarkup, LearningBidder, PayAsBidEquilibrium, Truthful
from agents.judges import (
    AdversarialJudge,
    BradleyTerryJudge,
    LexicographicSemiorderJudge,
    OneCoinJudge,
    SpammerJudge,
    ThurstoneJudge,
)
from agents.pair_view import PairLayout
from agents.population import PopulationSpec, build_population, draw_costs_and_skills
from tests.agents.random_pairs import random_sides

TARGET = np.array([0.4, 0.3, 0.1, 0.1, 0.1])
FEATURE_NAMES = ("length", "confidence", "politeness")
WITH_ATTRIBUTES = PairLayout(("a", "b", "c", "d", "e"), FEATURE_NAMES)
WITHOUT_ATTRIBUTES = PairLayout((), FEATURE_NAMES)


@pytest.mark.parametrize(
    ("name", "params", "reference"),
    [
        ("uniform", {"loc": 0.2, "scale": 0.6}, stats.uniform(0.2, 0.6)),
        ("lognorm", {"s": 0.5, "scale": 0.3}, stats.lognorm(0.5, scale=0.3)),
        ("gamma", {"a": 2.0, "scale": 0.1}, stats.gamma(2.0, scale=0.1)),
    ],
)
@pytest.mark.parametrize("rho", [0.0, 0.7])
def test_costs_follow_the_named_distribution(name, params, reference, rho):
    spec = PopulationSpec(
        n_annotators=3000,
        cost_distribution=name,
        cost_params=params,
        skill_params={"a": 4.0, "b": 2.0},
        cost_skill_correlation=rho,
    )
    costs, skills = draw_costs_and_skills(spec, np.random.default_rng(0))
    assert stats.kstest(costs, reference.cdf).pvalue > 0.001
    assert stats.kstest(skills, stats.beta(4, 2).cdf).pvalue > 0.001


@pytest.mark.parametrize("rho", [-0.8, -0.3, 0.0, 0.5, 0.9])
def test_cost_skill_spearman_matches_the_gaussian_copula(rho):
    """Spearman's rho of a Gaussian copula is (6 / pi) arcsin(rho / 2) (Kruskal 1958)."""
    n = 4000
    spec = PopulationSpec(
        n_annotators=n,
        cost_distribution="lognorm",
        cost_params={"s": 1.0},
        cost_skill_correlation=rho,
    )
    costs, skills = draw_costs_and_skills(spec, np.random.default_rng(1))
    expected = 6 / np.pi * np.arcsin(rho / 2)
    measured = stats.spearmanr(costs, skills).statistic
    assert abs(measured - expected) < 4 * (1 - expected**2) / np.sqrt(n - 1)
    if rho != 0:
        assert np.sign(measured) == np.sign(rho)


def test_judge_and_bidding_mix_shares_are_respected():
    model = mesa.Model(seed=2)
    spec = PopulationSpec(
        n_annotators=40,
        judge_mix={
            "bradley_terry": 0.5,
            "thurstone": 0.2,
            "lexicographic": 0.15,
            "spammer": 0.1,
            "adversarial": 0.05,
        },
        bidding_mix={"truthful": 0.25, "markup": 0.25, "equilibrium": 0.3, "learning": 0.2},
    )
    population = build_population(model, spec, TARGET)
    judges = [type(a.judge) for a in population]
    assert [
        judges.count(t)
        for t in (
            BradleyTerryJudge,
            ThurstoneJudge,
            LexicographicSemiorderJudge,
            SpammerJudge,
            AdversarialJudge,
        )
    ] == [20, 8, 6, 4, 2]
    bidders = [type(a.bidder) for a in population]
    assert [
        bidders.count(t) for t in (Truthful, FixedMarkup, PayAsBidEquilibrium, LearningBidder)
    ] == [10, 10, 12, 8]
    assert len(model.agents) == 40
    assert all(a.capacity == spec.capacity for a in population)


def test_shares_that_do_not_divide_evenly_round_to_the_nearest_count():
    spec = PopulationSpec(
        n_annotators=7,
        judge_mix={"bradley_terry": 0.5, "spammer": 0.5},
        bidding_mix={"truthful": 1},
    )
    population = build_population(mesa.Model(seed=0), spec, TARGET)
    spammers = sum(isinstance(a.judge, SpammerJudge) for a in population)
    assert spammers in (3, 4)


def test_skilled_annotators_get_less_noisy_judges():
    spec = PopulationSpec(n_annotators=200, judge_mix={"bradley_terry": 1.0})
    population = build_population(mesa.Model(seed=3), spec, TARGET)
    skills = np.array([a.skill for a in population])
    temperatures = np.array([a.judge.temperature for a in population])
    assert stats.spearmanr(skills, temperatures).statistic == pytest.approx(-1.0)


def test_judge_noise_sets_the_temperature_of_an_unskilled_judge():
    # temperature = judge_noise * (1 - skill) + 0.02, so halving judge_noise takes each
    # annotator's temperature t to (t - 0.02) / 2 + 0.02 (same seed, same skills).
    temperatures = {}
    for noise in (0.5, 0.25):
        spec = PopulationSpec(n_annotators=50, judge_mix={"bradley_terry": 1.0}, judge_noise=noise)
        population = build_population(mesa.Model(seed=3), spec, TARGET)
        temperatures[noise] = np.array([a.judge.temperature for a in population])
    np.testing.assert_allclose(temperatures[0.25], (temperatures[0.5] - 0.02) / 2 + 0.02)


def test_same_seed_same_population_and_different_seed_differs():
    spec = PopulationSpec(
        n_annotators=30, bidding_mix={"truthful": 0.5, "learning": 0.5}, cost_skill_correlation=0.5
    )

    def snapshot(seed):
        population = build_population(mesa.Model(seed=seed), spec, TARGET)
        return [
            (
                a.cost,
                a.skill,
                type(a.judge).__name__,
                type(a.bidder).__name__,
                tuple(getattr(a.judge, "weights", ())),
            )
            for a in population
        ]

    assert snapshot(5) == snapshot(5)
    assert snapshot(5) != snapshot(6)


def test_population_agents_work_in_a_round():
    model = mesa.Model(seed=4)
    spec = PopulationSpec(n_annotators=10, bidding_mix={"equilibrium": 0.5, "learning": 0.5})
    population = build_population(model, spec, TARGET)
    rng = np.random.default_rng(0)
    left, right = rng.random((50, 5)), rng.random((50, 5))
    for annotator in population:
        ask = annotator.make_ask()
        assert ask >= annotator.cost
        assert annotator.label(left, right).shape == (50,)
        annotator.observe(ask, units=1, payment=ask)
        assert annotator.utilities()[-1] == pytest.approx(ask - annotator.cost)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"n_annotators": 0}, "n_annotators"),
        ({"cost_distribution": "no_such_law"}, "cost_distribution"),
        ({"cost_distribution": "norm", "cost_params": {}}, "cost_distribution"),
        ({"cost_params": {"shape": 2.0}}, "cost_params"),
        ({"cost_distribution": "lognorm", "cost_params": {"s": -1.0}}, "cost_params"),
        ({"skill_distribution": "uniform", "skill_params": {"scale": 2.0}}, "skill_distribution"),
        ({"cost_skill_correlation": 1.5}, "cost_skill_correlation"),
        ({"judge_mix": {"bradley_terry": 0.5}}, "judge_mix"),
        ({"judge_mix": {"oracle": 1.0}}, "judge_mix"),
        ({"bidding_mix": {"truthful": 1.2, "markup": -0.2}}, "bidding_mix"),
        ({"weight_concentration": 0.0}, "weight_concentration"),
        ({"capacity": -1}, "capacity"),
        ({"judge_noise": 0.0}, "judge_noise"),
        ({"bidding_mix": {"markup": 1.0}, "markup": -2.0}, "markup"),
        (
            {"bidding_mix": {"equilibrium": 1.0}, "n_annotators": 20, "equilibrium_units": 20},
            "equilibrium_units",
        ),
        ({"bidding_mix": {"learning": 1.0}, "learning_rate": -1.0}, "learning_rate"),
        ({"bidding_mix": {"learning": 1.0}, "learning_exploration": 2.0}, "learning_exploration"),
        ({"bias_feature": "length", "bias_share": 1.5}, "bias_share"),
        ({"bias_feature": "length", "bias_strength": float("inf")}, "bias_strength"),
        ({"bias_share": 0.5}, "bias_feature"),
        ({"bias_feature": ""}, "bias_feature"),
    ],
)
def test_bad_spec_fields_raise_naming_the_field(overrides, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        PopulationSpec(**overrides)


def test_the_bias_goes_to_an_exact_share_of_annotators_whatever_their_judge():
    spec = PopulationSpec(
        n_annotators=40,
        judge_mix={"bradley_terry": 0.5, "lexicographic": 0.2, "spammer": 0.1, "one_coin": 0.2},
        bias_feature="politeness",
        bias_share=0.3,
        bias_strength=-0.4,
    )
    population = build_population(mesa.Model(seed=1), spec, TARGET, layout=WITH_ATTRIBUTES)
    biases = [a.judge.bias for a in population if a.judge.bias is not None]
    assert len(biases) == 12
    assert {(b.feature, b.strength) for b in biases} == {("politeness", -0.4)}


def test_one_coin_judges_rate_gold_with_accuracy_from_skill():
    spec = PopulationSpec(n_annotators=30, judge_mix={"one_coin": 1.0})
    population = build_population(mesa.Model(seed=2), spec, TARGET, layout=WITHOUT_ATTRIBUTES)
    assert all(isinstance(a.judge, OneCoinJudge) for a in population)
    accuracies = np.array([a.judge.accuracy for a in population])
    np.testing.assert_allclose(accuracies, [0.5 + 0.5 * a.skill for a in population])


def test_without_a_bias_the_population_and_its_labels_do_not_depend_on_the_layout():
    """Naming a feature with bias_share 0 draws nothing more, and judges reading the named
    view label exactly as judges reading bare attributes (same seed, same draws)."""
    mix = dict(bradley_terry=0.4, thurstone=0.2, lexicographic=0.2, spammer=0.1, adversarial=0.1)
    plain = PopulationSpec(n_annotators=20, judge_mix=mix)
    unbiased = PopulationSpec(n_annotators=20, judge_mix=mix, bias_feature="length")
    left, right = random_sides(WITH_ATTRIBUTES, 300, np.random.default_rng(3))
    bare = (left.attributes, right.attributes)
    legacy = build_population(mesa.Model(seed=4), plain, TARGET)
    viewing = build_population(mesa.Model(seed=4), unbiased, TARGET, layout=WITH_ATTRIBUTES)
    for old, new in zip(legacy, viewing, strict=True):
        assert (old.cost, old.skill, type(old.judge)) == (new.cost, new.skill, type(new.judge))
        expected = old.label(*bare, np.random.default_rng(5))
        assert np.array_equal(new.label(left, right, np.random.default_rng(5)), expected)


def test_data_without_attributes_allows_only_one_coin_and_spammer():
    with pytest.raises(
        ValueError, match=r"^judge_mix: bradley_terry, lexicographic .* use one_coin and spammer"
    ):
        PopulationSpec().check_layout(WITHOUT_ATTRIBUTES)
    spec = PopulationSpec(n_annotators=10, judge_mix={"one_coin": 0.8, "spammer": 0.2})
    population = build_population(mesa.Model(seed=6), spec, TARGET, layout=WITHOUT_ATTRIBUTES)
    left, right = random_sides(WITHOUT_ATTRIBUTES, 50, np.random.default_rng(7))
    assert all(a.label(left, right).shape == (50,) for a in population)


@pytest.mark.parametrize(
    ("overrides", "layout", "message"),
    [
        ({"judge_mix": {"one_coin": 1.0}}, None, "^judge_mix: one_coin judges read the pairs'"),
        ({"bias_feature": "length", "bias_share": 0.5}, None, "^bias_feature: a bias reads"),
        (
            {"bias_feature": "verbosity", "bias_share": 0.5},
            WITH_ATTRIBUTES,
            "^bias_feature: 'verbosity' is not a feature",
        ),
    ],
)
def test_judges_and_biases_the_layout_cannot_serve_are_refused(overrides, layout, message):
    with pytest.raises(ValueError, match=message):
        build_population(mesa.Model(seed=0), PopulationSpec(**overrides), TARGET, layout=layout)


@pytest.mark.parametrize("strength", [1.5, -1.5])
def test_a_planted_length_bias_shows_in_which_response_the_labels_pick(strength):
    """One-coin raters whose gold is independent of length: without a bias they pick the
    longer response half the time; a planted bias of either sign moves that share its way
    by more than four standard errors."""
    m = 4_000
    shares = {}
    for share in (0.0, 1.0):
        spec = PopulationSpec(
            n_annotators=10,
            judge_mix={"one_coin": 1.0},
            bias_feature="length",
            bias_share=share,
            bias_strength=strength,
        )
        population = build_population(mesa.Model(seed=8), spec, TARGET, layout=WITHOUT_ATTRIBUTES)
        rng = np.random.default_rng(9)
        left, right = random_sides(WITHOUT_ATTRIBUTES, m, rng)
        longer_left = left.feature("length") > right.feature("length")
        picks = np.concatenate([a.label(left, right) == longer_left for a in population])
        shares[share] = picks.mean()
    margin = 4 * np.sqrt(0.25 / (m * 10))
    assert abs(shares[0.0] - 0.5) < margin
    assert np.sign(shares[1.0] - 0.5) == np.sign(strength)
    assert abs(shares[1.0] - 0.5) > margin
