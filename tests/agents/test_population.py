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
    SpammerJudge,
    ThurstoneJudge,
)
from agents.population import PopulationSpec, build_population, draw_costs_and_skills

TARGET = np.array([0.4, 0.3, 0.1, 0.1, 0.1])


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
    ],
)
def test_bad_spec_fields_raise_naming_the_field(overrides, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        PopulationSpec(**overrides)
