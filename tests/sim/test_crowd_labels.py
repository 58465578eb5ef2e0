"""Crowd labels outside a market: distinct annotators per pair, the market's judges, seeded."""

import numpy as np
import pytest

from agents.population import PopulationSpec
from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, weight_vector
from sim.crowd_labels import crowd_labels


@pytest.fixture(scope="module")
def corpus():
    return builtin_corpus(seed=0)


def test_each_pair_gets_distinct_annotators_and_a_label_of_its_own(corpus):
    pairs = corpus.pairs("train").iloc[:200]
    labels = crowd_labels(corpus, pairs, 3, np.random.default_rng(0))
    assert len(labels) == 600
    assert labels.groupby(np.arange(600) // 3)["worker"].nunique().eq(3).all()
    assert ((labels["label"] == labels["left"]) | (labels["label"] == labels["right"])).all()


def test_the_same_generator_gives_the_same_labels(corpus):
    pairs = corpus.pairs("train").iloc[:100]
    first = crowd_labels(corpus, pairs, 2, np.random.default_rng(5))
    second = crowd_labels(corpus, pairs, 2, np.random.default_rng(5))
    assert first.equals(second)


def test_noiseless_aligned_judges_label_gold_and_spammers_do_not(corpus):
    """Judges with the buyer's own weights and only the floor of noise (0.02,
    ``agents.judges.temperature_from_skill``) are mostly right; spammers are right about half
    the time (500 pairs: SE 2.2 points, bounds at 3 SE)."""
    pairs = corpus.pairs("train").iloc[:500]
    gold_left = corpus.gold_left_wins(pairs, weight_vector(DEFAULT_TARGET_WEIGHTS))
    experts = PopulationSpec(
        judge_mix={"bradley_terry": 1.0}, judge_noise=1e-6, weight_concentration=float("inf")
    )
    spammers = PopulationSpec(judge_mix={"spammer": 1.0})
    for spec, low, high in ((experts, 0.93, 1.0), (spammers, 0.43, 0.57)):
        labels = crowd_labels(corpus, pairs, 1, np.random.default_rng(1), spec)
        accuracy = np.mean((labels["label"] == labels["left"]).to_numpy() == gold_left)
        assert low <= accuracy <= high


def test_more_labels_per_item_than_annotators_is_refused(corpus):
    with pytest.raises(ValueError, match=r"^per_item:"):
        crowd_labels(corpus, corpus.pairs("train").iloc[:5], 999, np.random.default_rng(0))
