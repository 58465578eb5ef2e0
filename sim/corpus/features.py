"""Observable features of a response, computed from its text alone, so that every corpus has
them (the built-in one and users' preference files): what a systematically biased judge
prefers for no reason the buyer values (docs/architecture.md, "Modelling choices").

For a text ``t``, with ``count(P, t)`` the number of (non-overlapping) occurrences in ``t`` of
the phrases of the tuple ``P`` of :mod:`sim.corpus.phrases`, summed over the phrases:

- ``length = number of words`` (whitespace-separated tokens);
- ``confidence = count(CONFIDENT_PHRASES, t) - count(HEDGED_PHRASES, t)``;
- ``politeness = count(POLITE_OPENERS, t) + count(POLITE_CLOSERS, t)
  - count(RUDE_OPENERS, t) - count(RUDE_CLOSERS, t)``.

:func:`feature_matrix` z-scores each feature over the corpus' responses, so that a bias
strength means the same for every feature and corpus: a feature one standard deviation
above another adds ``strength`` to what the judge compares (``agents.judges.FeatureBias``).
The phrases are the built-in corpus' wording; in other texts ``confidence`` and
``politeness`` are often constant, and a constant feature z-scores to 0 (no bias can act on
it), while ``length`` is informative everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.corpus.phrases import (
    CONFIDENT_PHRASES,
    HEDGED_PHRASES,
    POLITE_CLOSERS,
    POLITE_OPENERS,
    RUDE_CLOSERS,
    RUDE_OPENERS,
)

FEATURES: tuple[str, ...] = ("length", "confidence", "politeness")
"""The observable features of a response; the order of feature matrix columns."""


def _count(phrases: Sequence[str], text: str) -> int:
    return sum(text.count(phrase) for phrase in phrases)


def raw_features(texts: Sequence[str]) -> np.ndarray:
    """Each text's features as defined in the module docstring, before z-scoring.

    Parameters
    ----------
    texts : sequence of str

    Returns
    -------
    ndarray of float, shape (len(texts), 3)
        Columns as in :data:`FEATURES`.
    """
    rows = [
        (
            len(text.split()),
            _count(CONFIDENT_PHRASES, text) - _count(HEDGED_PHRASES, text),
            _count(POLITE_OPENERS, text)
            + _count(POLITE_CLOSERS, text)
            - _count(RUDE_OPENERS, text)
            - _count(RUDE_CLOSERS, text),
        )
        for text in texts
    ]
    return np.array(rows, dtype=float).reshape(len(rows), len(FEATURES))


def feature_matrix(texts: Sequence[str]) -> np.ndarray:
    """The features of a corpus' responses, each z-scored over those responses.

    ``z = (x - mean(x)) / sd(x)`` per column, with the population standard deviation
    (``ddof = 0``); a constant column (``sd = 0``) gives zeros.

    Parameters
    ----------
    texts : sequence of str
        The texts of every response of the corpus (``Corpus.texts(range(n_responses))``).

    Returns
    -------
    ndarray of float, shape (len(texts), 3)
        Columns as in :data:`FEATURES`.
    """
    raw = raw_features(texts)
    if raw.shape[0] == 0:
        return raw
    centred = raw - raw.mean(axis=0)
    spread = raw.std(axis=0)
    return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)
