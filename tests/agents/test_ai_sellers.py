"""AI judge sellers in a population: exact counts, the profile's price, capacity and judge,
mistakes shared by copies, humans drawn as without them, and one-line errors."""

import mesa
import numpy as np
import pytest

from agents.ai_sellers import ai_price, ai_seller_counts
from agents.calibrated_judge import CalibratedJudge
from agents.judge_profiles import judge_profiles
from agents.pair_view import PairLayout
from agents.population import PopulationSpec, build_population
from tests.agents.random_pairs import random_sides

TARGET = np.array([0.35, 0.25, 0.2, 0.1, 0.1])
LAYOUT = PairLayout(("a", "b", "c", "d", "e"), ("length", "confidence", "politeness"))
MIXED = {"gpt4": 0.25, "claude": 0.1}


def population(seed: int = 0, **fields):
    spec = PopulationSpec(**fields)
    return spec, build_population(mesa.Model(seed=seed), spec, TARGET, layout=LAYOUT)


def test_shares_become_exact_counts_and_the_rest_are_humans():
    spec, sellers = population(n_annotators=24, ai_judges=MIXED)
    assert ai_seller_counts(spec) == {"gpt4": 6, "claude": 2, "human": 16}
    kinds = [seller.kind for seller in sellers]
    assert (kinds.count("gpt4"), kinds.count("claude"), kinds.count("human")) == (6, 2, 16)
    assert len({seller.unique_id for seller in sellers}) == 24


def test_an_ai_seller_asks_its_profile_price_in_market_money_with_its_capacity():
    spec, sellers = population(n_annotators=10, ai_judges={"gpt4": 0.2}, ai_price_rate=0.5)
    gpt4 = [seller for seller in sellers if seller.kind == "gpt4"]
    expected = judge_profiles()["gpt4"].price_per_1000 / 1000 * 0.5
    assert ai_price(spec, "gpt4") == pytest.approx(expected)
    for seller in gpt4:
        assert seller.cost == pytest.approx(expected)
        assert seller.make_ask() == pytest.approx(expected)
        assert seller.capacity == spec.ai_capacity
        assert isinstance(seller.judge, CalibratedJudge)
        assert seller.judge.profile.annotator == "gpt4"


def test_copies_of_a_profile_make_the_same_mistakes_and_other_profiles_others():
    _, sellers = population(n_annotators=10, ai_judges={"gpt4": 0.2, "claude": 0.1})
    left, right = random_sides(LAYOUT, 2000, np.random.default_rng(0))
    by_kind = {}
    for seller in sellers:
        if seller.kind != "human":
            probability = seller.judge.left_probability(left, right)
            by_kind.setdefault(seller.kind, []).append(probability)
    np.testing.assert_array_equal(by_kind["gpt4"][0], by_kind["gpt4"][1])
    assert not np.allclose(by_kind["gpt4"][0], by_kind["claude"][0])


def test_the_humans_of_a_mixed_population_are_those_of_a_population_of_humans_alone():
    _, mixed = population(seed=3, n_annotators=20, ai_judges={"gpt4": 0.25})
    _, alone = population(seed=3, n_annotators=15)
    humans = [seller for seller in mixed if seller.kind == "human"]
    assert [(h.cost, h.skill, type(h.judge)) for h in humans] == [
        (h.cost, h.skill, type(h.judge)) for h in alone
    ]


def test_a_population_of_ai_sellers_alone_has_no_humans():
    _, sellers = population(n_annotators=4, ai_judges={"gpt4": 0.5, "chatgpt": 0.5})
    assert sorted(seller.kind for seller in sellers) == ["chatgpt"] * 2 + ["gpt4"] * 2


@pytest.mark.parametrize(
    ("ai_judges", "message"),
    [
        ({"gpt5": 0.1}, r"^ai_judges: unknown profile\(s\) \['gpt5'\]; use one of"),
        ({"gpt4": -0.1}, r"^ai_judges: the share of 'gpt4' must be a finite number >= 0"),
        ({"gpt4": 0.7, "claude": 0.5}, r"^ai_judges: shares sum to 1.2; make them sum to at"),
        ({"humans": 0.1}, r"^ai_judges: 'humans' is the table's human crowd"),
    ],
)
def test_bad_ai_judges_are_one_line_errors_naming_the_field(ai_judges, message):
    with pytest.raises(ValueError, match=message) as error:
        PopulationSpec(ai_judges=ai_judges)
    assert "\n" not in str(error.value)


def test_ai_sellers_need_pairs_with_scores_features_and_ids():
    spec = PopulationSpec(ai_judges={"gpt4": 0.25})
    with pytest.raises(ValueError, match=r"^ai_judges: AI judges read"):
        spec.check_layout(None)
    with pytest.raises(ValueError, match=r"^ai_judges: AI judges compare attribute scores"):
        spec.check_layout(PairLayout((), ("length",)))


def test_a_calibrated_judge_flips_with_the_sides_pair_by_pair():
    """Its persistent error is antisymmetric, e(a, b) = -e(b, a), so P(left | a, b) +
    P(left | b, a) = 1 for every pair, not only on average."""
    left, right = random_sides(LAYOUT, 2000, np.random.default_rng(5))
    _, sellers = population(n_annotators=4, ai_judges={"gpt4": 0.5, "chatgpt": 0.5})
    for seller in sellers:
        forth = seller.judge.left_probability(left, right)
        back = seller.judge.left_probability(right, left)
        np.testing.assert_allclose(forth + back, 1.0, atol=1e-12)
