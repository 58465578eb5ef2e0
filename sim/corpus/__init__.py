"""The comparisons a market buys labels on: the corpus type and its gold labels, the built-in
corpus, users' preference files, the observable features of a response, and the one
orientation into ``prompt, chosen, rejected``.

::

    from sim.corpus import builtin_corpus, load_preferences, oriented_pairs, to_trl
"""

from sim.corpus.builtin import builtin_corpus
from sim.corpus.corpus import (
    ATTRIBUTES,
    DEFAULT_TARGET_WEIGHTS,
    SPLITS,
    TEST_FRACTION,
    Corpus,
    assign_test_prompts,
    weight_vector,
)
from sim.corpus.features import FEATURES, feature_matrix
from sim.corpus.pairs import gold_pairs, oriented_pairs, to_trl
from sim.corpus.preference_files import (
    corpus_from_comparisons,
    export_preferences,
    load_preferences,
)
from sim.corpus.preference_records import DataFileError, DuplicateComparisonWarning
from sim.corpus.records import COMPARISON_COLUMNS, RESPONSE_COLUMNS, TRL_COLUMNS

__all__ = [
    "ATTRIBUTES",
    "COMPARISON_COLUMNS",
    "DEFAULT_TARGET_WEIGHTS",
    "FEATURES",
    "RESPONSE_COLUMNS",
    "SPLITS",
    "TEST_FRACTION",
    "TRL_COLUMNS",
    "Corpus",
    "DataFileError",
    "DuplicateComparisonWarning",
    "assign_test_prompts",
    "builtin_corpus",
    "corpus_from_comparisons",
    "export_preferences",
    "feature_matrix",
    "gold_pairs",
    "load_preferences",
    "oriented_pairs",
    "to_trl",
    "weight_vector",
]
