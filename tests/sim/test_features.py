"""Observable features of responses: their formulas on known texts, z-scoring over a corpus,
and that they exist for the built-in corpus and for files without attribute scores."""

import numpy as np
import pytest

from sim.corpus import FEATURES, builtin_corpus, feature_matrix, load_preferences
from sim.corpus.features import raw_features
from sim.corpus.phrases import (
    CONFIDENT_PHRASES,
    HEDGED_PHRASES,
    POLITE_CLOSERS,
    POLITE_OPENERS,
    RUDE_CLOSERS,
    RUDE_OPENERS,
)
from tests.sim.hh_records import hh_records, write_jsonl


def test_raw_features_count_words_and_phrases():
    confident, hedged = CONFIDENT_PHRASES[0], HEDGED_PHRASES[1]
    polite = f"{POLITE_OPENERS[0]} Paris is the capital. {POLITE_CLOSERS[0]}"
    rude = f"{RUDE_OPENERS[0]} Paris. {RUDE_CLOSERS[0]}"
    texts = [
        "Paris is the capital of France.",
        f"Paris. {confident} {confident}",
        f"Paris. {hedged}",
        polite,
        rude,
        f"{polite} {RUDE_CLOSERS[1]}",
    ]
    raw = raw_features(texts)
    assert FEATURES == ("length", "confidence", "politeness")
    np.testing.assert_array_equal(raw[:, 0], [len(t.split()) for t in texts])
    np.testing.assert_array_equal(raw[:, 1], [0, 2, -1, 0, 0, 0])
    np.testing.assert_array_equal(raw[:, 2], [0, 0, 0, 2, -2, 1])


def test_features_are_z_scored_and_a_constant_feature_is_zero():
    texts = ["one", "one two", "one two three", "one two three four"]
    z = feature_matrix(texts)
    assert z.shape == (4, 3)
    np.testing.assert_allclose(z[:, 0].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(z[:, 0].std(), 1.0)
    np.testing.assert_array_equal(z[:, 1:], 0.0)
    assert np.all(np.diff(z[:, 0]) > 0)
    assert feature_matrix([]).shape == (0, 3)


def test_every_feature_varies_on_the_builtin_corpus():
    corpus = builtin_corpus(seed=0)
    z = feature_matrix(corpus.texts(np.arange(corpus.n_responses)))
    assert z.shape == (corpus.n_responses, len(FEATURES))
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(z.std(axis=0), 1.0)


def test_length_varies_on_a_file_without_attribute_scores(tmp_path):
    corpus = load_preferences(write_jsonl(hh_records(30), tmp_path / "hh.jsonl"))
    assert not corpus.has_attributes
    z = feature_matrix(corpus.texts(np.arange(corpus.n_responses)))
    assert z[:, 0].std() == pytest.approx(1.0)
