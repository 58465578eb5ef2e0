"""QA-DPO in the loop: pair weights from the winners' quality bids, and vickrey_feedback's
pairing of two winners on one item reaching the reward model's training pairs."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from agents.training_votes import qa_dpo_weights, training_votes
from sim.config import MarketConfig
from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, gold_pairs, weight_vector
from sim.market import MarketModel
from sim.reward import RewardModel


def _labels(rows):
    return pd.DataFrame(rows, columns=["worker", "left", "right", "label"])


def test_weights_are_half_plus_sigmoid_of_the_bid_difference():
    bids = pd.Series({7: 0.8, 8: 0.2, 9: 0.5})
    regular = _labels(
        [
            (7, 1, 2, 1),
            (8, 1, 2, 1),  # both choose 1: b_a = 0.8 + 0.2, b_r = 0
            (7, 3, 4, 4),
            (9, 4, 3, 3),  # split: chosen 4 by 7 (0.8), rejected by 9 (0.5)
            (9, 5, 6, 6),  # one label: b_a = 0.5
        ]
    )
    votes = pd.DataFrame({"left": [1, 3, 5], "right": [2, 4, 6], "label": [1, 4, 6]})
    expected = 0.5 + expit(np.array([1.0 - 0.0, 0.8 - 0.5, 0.5 - 0.0]))
    np.testing.assert_allclose(qa_dpo_weights(regular, votes, bids), expected)


def test_equal_bids_on_both_sides_weigh_one_and_train_as_unweighted():
    corpus = builtin_corpus(0)
    bids = pd.Series({1: 0.4, 2: 0.4})
    regular = _labels([(1, 10, 11, 10), (2, 10, 11, 11)])
    votes = pd.DataFrame({"left": [10], "right": [11], "label": [10]})
    np.testing.assert_allclose(qa_dpo_weights(regular, votes, bids), [1.0])

    weights = weight_vector(DEFAULT_TARGET_WEIGHTS)
    pairs = gold_pairs(corpus, corpus.pairs("train").iloc[:24], weights)
    test = gold_pairs(corpus, corpus.pairs("test").iloc[:40], weights)
    scores = []
    for loss_weights in (None, np.ones(len(pairs))):
        model = RewardModel(trainable_layers=0, epochs=5, seed=0, torch_threads=1, progress=False)
        model.fit(pairs, weights=loss_weights)
        scores.append(model.score(list(test["prompt"]), list(test["chosen"])))
    np.testing.assert_array_equal(scores[0], scores[1])


@pytest.fixture(scope="module")
def vickrey_market():
    with pytest.MonkeyPatch.context() as patch:
        return _spied_market(patch)


def _spied_market(monkeypatch_module):
    fitted = []
    original = RewardModel.fit

    def spy(self, pairs, *args, weights=None, **kwargs):
        fitted.append((pairs.copy(), None if weights is None else np.asarray(weights)))
        return original(self, pairs, *args, weights=weights, **kwargs)

    monkeypatch_module.setattr(RewardModel, "fit", spy)
    config = MarketConfig.from_dict(
        {
            "seed": 2,
            "population": {"n_annotators": 10, "capacity": 3},
            "mechanism": {"name": "vickrey_feedback", "params": {"labels_per_item": 2}},
            "buyer": {
                "budget": 6.0,
                "rounds": 2,
                "demand_mode": "budget",
                "labels_per_item": 2,
                "pair_weights": "qa_dpo",
            },
            "reward_model": {
                "trainable_layers": 0,
                "epochs": 5,
                "eval_pairs": 40,
                "torch_threads": 1,
            },
        }
    )
    model = MarketModel(config).run()
    return model, fitted


def test_vickrey_feedback_items_reach_training_with_two_distinct_winners(vickrey_market):
    model, fitted = vickrey_market
    labels = model.labels()
    regular = labels[~labels["golden"]]
    per_item = regular.groupby(["round", "pair_id"])["worker"].agg(["count", "nunique"])
    assert len(per_item) > 0
    assert (per_item["count"] == 2).all() and (per_item["nunique"] == 2).all()
    transactions = model.results()["transactions"]
    assert len(fitted) == labels["round"].nunique()
    for round_, (pairs, weights) in enumerate(fitted):
        mine = regular[regular["round"] == round_]
        votes = training_votes(mine, "majority", mine)
        # Every trained pair is an item two winners agreed on, oriented as they chose.
        assert len(pairs) == len(votes) > 0
        chosen = model.corpus.texts(votes["label"].to_numpy())
        assert sorted(pairs["chosen"]) == sorted(chosen)
        # Its weight comes from the two winners' values this round (the transactions table).
        value = transactions[transactions["round"] == round_].set_index("annotator")["value"]
        unordered = [frozenset(p) for p in zip(mine["left"], mine["right"], strict=True)]
        expected = []
        for left, right in zip(votes["left"], votes["right"], strict=True):
            winners = mine["worker"][[u == {left, right} for u in unordered]]
            expected.append(0.5 + expit(value[winners].sum()))  # both chose it: b_r = 0
        np.testing.assert_allclose(np.sort(weights), np.sort(expected))
