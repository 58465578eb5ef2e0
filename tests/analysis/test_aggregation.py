"""Label aggregation: recovery of known orderings and skills, cross-checked against crowd-kit."""

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import BradleyTerry, OneCoinDawidSkene

from agents.judges import BradleyTerryJudge, SpammerJudge
from analysis.aggregation import PairwiseDawidSkene, bradley_terry_scores, majority_vote
from analysis.intransitivity import kendall_tau

COLUMNS = ["worker", "left", "right", "label"]


def random_pairs(n_items, n_labels, rng):
    left = rng.integers(0, n_items, n_labels)
    right = (left + rng.integers(1, n_items, n_labels)) % n_items
    return left, right


def judged_labels(judges, attributes, labels_per_worker, rng):
    """Every judge labels random pairs of items with the given attribute rows."""
    frames = []
    for worker, judge in enumerate(judges):
        left, right = random_pairs(len(attributes), labels_per_worker, rng)
        left_wins = judge.prefer_left(attributes[left], attributes[right], rng)
        frames.append(
            pd.DataFrame(
                {
                    "worker": worker,
                    "left": left,
                    "right": right,
                    "label": np.where(left_wins, left, right),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def one_coin_labels(accuracies, truth, labels_per_worker, rng):
    """Worker w names the truly better item with probability ``accuracies[w]``."""
    frames = []
    for worker, accuracy in enumerate(accuracies):
        left, right = random_pairs(len(truth), labels_per_worker, rng)
        correct = rng.random(labels_per_worker) < accuracy
        better = np.where(truth[left] > truth[right], left, right)
        worse = np.where(truth[left] > truth[right], right, left)
        frames.append(
            pd.DataFrame(
                {
                    "worker": f"w{worker}",
                    "left": left,
                    "right": right,
                    "label": np.where(correct, better, worse),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_majority_vote_orients_pairs_and_drops_ties():
    labels = pd.DataFrame(
        [
            ("u", "b", "a", "b"),
            ("v", "a", "b", "b"),
            ("w", "a", "b", "a"),
            ("u", "c", "a", "c"),
            ("v", "a", "c", "a"),
        ],
        columns=COLUMNS,
    )
    votes = majority_vote(labels)
    assert votes.to_dict("records") == [{"left": "a", "right": "b", "label": "b"}]


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        (pd.DataFrame({"worker": [0], "left": [1], "right": [2]}), "labels"),
        (pd.DataFrame([(0, 1, 2, 3)], columns=COLUMNS), "label"),
        (pd.DataFrame([(0, 1, 1, 1)], columns=COLUMNS), "left"),
        (pd.DataFrame([(None, 1, 2, 1)], columns=COLUMNS), "worker"),
    ],
)
def test_bad_labels_name_the_field(frame, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        majority_vote(frame)


def test_aggregation_recovers_the_true_order_from_noisy_judges():
    rng = np.random.default_rng(0)
    weights = np.array([0.4, 0.3, 0.1, 0.1, 0.1])
    attributes = rng.random((15, 5))
    truth = pd.Series(attributes @ weights)
    judges = [BradleyTerryJudge(weights, temperature=0.1) for _ in range(8)]
    labels = judged_labels(judges, attributes, 400, rng)
    assert kendall_tau(bradley_terry_scores(labels), truth) > 0.9
    votes = majority_vote(labels)
    majority_right = (
        votes["label"]
        == np.where(
            truth[votes["left"]].to_numpy() > truth[votes["right"]].to_numpy(),
            votes["left"],
            votes["right"],
        )
    ).mean()
    single_right = (
        labels["label"]
        == np.where(
            truth[labels["left"]].to_numpy() > truth[labels["right"]].to_numpy(),
            labels["left"],
            labels["right"],
        )
    ).mean()
    assert majority_right > single_right


def test_bradley_terry_matches_crowd_kit_maximum_likelihood():
    rng = np.random.default_rng(1)
    strengths = rng.normal(0, 1, 12)
    left, right = random_pairs(12, 3_000, rng)
    left_wins = rng.random(3_000) < 1 / (1 + np.exp(-(strengths[left] - strengths[right])))
    labels = pd.DataFrame(
        {"worker": 0, "left": left, "right": right, "label": np.where(left_wins, left, right)}
    )
    ours = bradley_terry_scores(labels, alpha=0.0)
    # crowd-kit 1.4.2 compares each MM iterate with itself after the first step and stops;
    # tol=0 makes it run all n_iter iterations to convergence.
    theirs = np.log(BradleyTerry(n_iter=3_000, tol=0).fit(labels).scores_)
    theirs -= theirs.mean()
    assert np.allclose(ours.to_numpy(), theirs[ours.index].to_numpy(), atol=1e-5)
    assert abs(ours.mean()) < 1e-9
    with pytest.raises(ValueError, match=r"^alpha"):
        bradley_terry_scores(labels, alpha=-1)


def test_dawid_skene_recovers_skills_and_ranks_the_spammer_below_careful_workers():
    rng = np.random.default_rng(2)
    accuracies = np.array([0.9, 0.85, 0.8, 0.8, 0.75, 0.5, 0.2])
    truth = rng.permutation(40)
    labels = one_coin_labels(accuracies, truth, 600, rng)
    model = PairwiseDawidSkene().fit(labels)
    skills = model.skills_[[f"w{w}" for w in range(len(accuracies))]].to_numpy()
    standard_errors = np.sqrt(accuracies * (1 - accuracies) / 600)
    assert np.all(np.abs(skills - accuracies) < 4 * standard_errors + 0.02)
    assert skills[5] < skills[:5].min()
    assert skills[6] < skills[5]
    better = np.where(
        truth[model.labels_["left"]] > truth[model.labels_["right"]],
        model.labels_["left"],
        model.labels_["right"],
    )
    votes = majority_vote(labels)
    majority_better = np.where(
        truth[votes["left"]] > truth[votes["right"]], votes["left"], votes["right"]
    )
    assert (model.labels_["label"] == better).mean() > (votes["label"] == majority_better).mean()
    pairs = pd.MultiIndex.from_frame(model.labels_[["left", "right"]])
    p_left = model.probas_.loc[pairs]
    assert np.array_equal(p_left.to_numpy() > 0.5, model.labels_["label"] == model.labels_["left"])


@pytest.mark.filterwarnings("ignore:::crowdkit")
def test_dawid_skene_agrees_with_crowd_kit_one_coin():
    rng = np.random.default_rng(3)
    attributes = rng.random((25, 5))
    weights = np.full(5, 0.2)
    judges = [BradleyTerryJudge(weights, t) for t in (0.02, 0.05, 0.1, 0.2)] + [SpammerJudge()]
    labels = judged_labels(judges, attributes, 300, rng)
    ours = PairwiseDawidSkene().fit(labels)
    low = np.minimum(labels["left"], labels["right"])
    high = np.maximum(labels["left"], labels["right"])
    tasks = pd.DataFrame(
        {
            "task": low.astype(str) + "-" + high.astype(str),
            "worker": labels["worker"],
            "label": np.where(labels["label"] == low, "left", "right"),
        }
    )
    theirs = OneCoinDawidSkene(n_iter=100).fit(tasks)
    assert np.allclose(ours.skills_.to_numpy(), theirs.skills_[ours.skills_.index], atol=0.03)
    their_left_wins = (
        theirs.labels_[
            ours.labels_["left"].astype(str) + "-" + ours.labels_["right"].astype(str)
        ].to_numpy()
        == "left"
    )
    our_left_wins = (ours.labels_["label"] == ours.labels_["left"]).to_numpy()
    assert (their_left_wins == our_left_wins).mean() > 0.97
    assert ours.skills_.idxmin() == 4
