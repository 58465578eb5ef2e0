"""RLAIF sellers: labels from a reward model trained on human labels, sold in the market;
they follow their model's preferences exactly, and are right on gold at the rate the model is
measured to be on the buyer's held-out gold pairs."""

from dataclasses import replace

import numpy as np
import pytest

from agents.model_judge import ModelJudge
from agents.pair_view import PairLayout
from sim.market import MarketModel
from sim.rlaif_seller import RLAIF
from tests.agents.random_pairs import random_sides
from tests.sim.test_market import small_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def market():
    config = small_config(
        population={"n_annotators": 8, "capacity": 4},
        buyer={"demand_per_round": 300, "rounds": 2, "budget": 6.0},
        rlaif={"sellers": 2, "capacity": 150, "training_labels": 300},
        reward_model={"eval_pairs": 400},
    )
    model = MarketModel(config).run()
    return model, model.results()


def test_rlaif_sellers_sell_labels_that_follow_their_model_exactly(market):
    model, results = market
    sellers = [a for a in model.annotators if a.kind == RLAIF]
    assert len(sellers) == 2
    ids = {seller.unique_id for seller in sellers}
    sold = results["labels"][results["labels"]["worker"].isin(ids)]
    assert len(sold) > 100
    left, right = sold["left"].to_numpy(), sold["right"].to_numpy()
    corpus = model.corpus
    score_left = model.rlaif_model_.score(corpus.prompts(left), corpus.texts(left))
    score_right = model.rlaif_model_.score(corpus.prompts(right), corpus.texts(right))
    np.testing.assert_array_equal(sold["label"].to_numpy() == left, score_left > score_right)


def test_rlaif_labels_are_right_at_the_rate_its_model_is_measured(market):
    """Its sold labels (train-split pairs) agree with gold at its measured accuracy on the
    held-out gold pairs, within 4 binomial standard errors of both counts."""
    model, results = market
    accuracy = model.rlaif_accuracy_
    assert 0 < accuracy < 1
    ids = {a.unique_id for a in model.annotators if a.kind == RLAIF}
    correct = results["labels"].loc[results["labels"]["worker"].isin(ids), "correct"]
    spread = np.sqrt(
        accuracy * (1 - accuracy) / len(correct) + accuracy * (1 - accuracy) / len(model.eval_pairs)
    )
    assert abs(correct.mean() - accuracy) <= 4 * spread
    assert set(results["annotators"]["kind"]) == {"human", RLAIF}


def test_a_model_judge_keeps_its_declared_kinds():
    layout = PairLayout(("a",), ("length",))
    left, right = random_sides(layout, 500, np.random.default_rng(0))
    judge = ModelJudge(lambda ids: np.sin(ids.astype(float)))
    first = judge.prefer_left(left, right, np.random.default_rng(1))
    np.testing.assert_array_equal(first, judge.prefer_left(left, right, np.random.default_rng(2)))
    np.testing.assert_array_equal(judge.prefer_left(right, left, np.random.default_rng(3)), ~first)
    flipped = replace(left, gold=right.gold), replace(right, gold=left.gold)
    np.testing.assert_array_equal(judge.prefer_left(*flipped, np.random.default_rng(4)), first)
    with pytest.raises(ValueError, match=r"^judge: a model judge scores"):
        judge.prefer_left(
            replace(left, ids=None), replace(right, ids=None), np.random.default_rng()
        )
