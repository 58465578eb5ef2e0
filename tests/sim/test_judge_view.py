"""What judges see: one layout per kind of corpus, gold as the corpus defines it, the same
attribute scores and features as the corpus holds, and one-coin raters and biases on both
kinds of corpus."""

import mesa
import numpy as np
import pytest

from agents.population import PopulationSpec, build_population
from sim.corpus import (
    ATTRIBUTES,
    DEFAULT_TARGET_WEIGHTS,
    FEATURES,
    builtin_corpus,
    feature_matrix,
    load_preferences,
    weight_vector,
)
from sim.judge_view import JudgeView
from tests.sim.hh_records import hh_records, write_jsonl


def test_the_builtin_corpus_shows_gold_attributes_and_features():
    corpus = builtin_corpus(seed=0)
    view = JudgeView(corpus)
    assert (view.layout.attributes, view.layout.features) == (ATTRIBUTES, FEATURES)
    pairs = corpus.pairs("train").iloc[:500]
    left, right = pairs["left"].to_numpy(), pairs["right"].to_numpy()
    gold_left = corpus.gold_left_wins(pairs, DEFAULT_TARGET_WEIGHTS)
    seen_left, seen_right = view.sides(left, right, gold_left)
    np.testing.assert_array_equal(seen_left.gold, gold_left)
    np.testing.assert_array_equal(seen_right.gold, ~gold_left)
    np.testing.assert_array_equal(seen_left.ids, left)
    np.testing.assert_array_equal(seen_right.ids, right)
    np.testing.assert_array_equal(seen_left.attributes, corpus.attribute_matrix(left))
    np.testing.assert_array_equal(seen_right.attributes, corpus.attribute_matrix(right))
    features = feature_matrix(corpus.texts(np.arange(corpus.n_responses)))
    for j, name in enumerate(FEATURES):
        np.testing.assert_array_equal(seen_left.feature(name), features[left, j])
        np.testing.assert_array_equal(seen_right.feature(name), features[right, j])


def test_a_file_without_scores_shows_the_recorded_choice_as_gold_and_features(tmp_path):
    corpus = load_preferences(write_jsonl(hh_records(40), tmp_path / "hh.jsonl"))
    view = JudgeView(corpus)
    assert (view.layout.attributes, view.layout.features) == ((), FEATURES)
    pairs = corpus.pairs("train")
    gold_left = corpus.gold_left_wins(pairs, DEFAULT_TARGET_WEIGHTS)
    np.testing.assert_array_equal(gold_left, pairs["chosen"] == pairs["left"])
    assert 0 < gold_left.mean() < 1
    seen_left, seen_right = view.sides(pairs["left"], pairs["right"], gold_left)
    assert seen_left.attributes.shape == (len(pairs), 0)
    assert sorted(seen_left.features) == sorted(FEATURES)
    np.testing.assert_array_equal(seen_left.gold > seen_right.gold, gold_left)


def one_coin_labels(corpus, spec, seed: int):
    """Every train pair labelled by a random one of ``spec``'s one-coin annotators, through the
    view: the labels, the gold labels, the labeller's declared accuracy, and the pairs."""
    view = JudgeView(corpus)
    annotators = build_population(
        mesa.Model(seed=seed), spec, weight_vector(DEFAULT_TARGET_WEIGHTS), layout=view.layout
    )
    pairs = corpus.pairs("train")
    gold_left = corpus.gold_left_wins(pairs, DEFAULT_TARGET_WEIGHTS)
    seen_left, seen_right = view.sides(pairs["left"], pairs["right"], gold_left)
    rng = np.random.default_rng(seed)
    labeller = rng.integers(len(annotators), size=len(pairs))
    labels = np.zeros(len(pairs), dtype=bool)
    for k, annotator in enumerate(annotators):
        rows = np.flatnonzero(labeller == k)
        labels[rows] = annotator.label(seen_left[rows], seen_right[rows], rng)
    accuracy = np.array([a.judge.accuracy for a in annotators])[labeller]
    return labels, gold_left, accuracy, pairs


@pytest.mark.parametrize("kind", ["builtin", "file"])
def test_one_coin_raters_agree_with_gold_at_their_declared_accuracy(kind, tmp_path):
    corpus = (
        builtin_corpus(seed=0)
        if kind == "builtin"
        else load_preferences(write_jsonl(hh_records(400), tmp_path / "hh.jsonl"))
    )
    spec = PopulationSpec(n_annotators=30, judge_mix={"one_coin": 1.0})
    labels, gold_left, accuracy, _ = one_coin_labels(corpus, spec, seed=1)
    standard_error = np.sqrt(np.sum(accuracy * (1 - accuracy))) / accuracy.size
    assert abs((labels == gold_left).mean() - accuracy.mean()) <= 4 * standard_error


def test_a_length_bias_on_the_builtin_corpus_picks_longer_answers_than_gold_does():
    corpus = builtin_corpus(seed=0)
    length = feature_matrix(corpus.texts(np.arange(corpus.n_responses)))[:, 0]
    picks_longer = {}
    for share in (0.0, 1.0):
        spec = PopulationSpec(
            n_annotators=30,
            judge_mix={"one_coin": 1.0},
            bias_feature="length",
            bias_share=share,
            bias_strength=1.0,
        )
        labels, _, _, pairs = one_coin_labels(corpus, spec, seed=2)
        longer_left = length[pairs["left"]] > length[pairs["right"]]
        picks_longer[share] = (labels == longer_left).mean()
    margin = 4 * np.sqrt(0.5 / len(pairs))
    assert picks_longer[1.0] > picks_longer[0.0] + margin
