"""What judges see of a corpus' pairs, built in one place for every corpus.

A judge reads a batch of pairs as two matrices ``left`` and ``right`` of shape ``(m, c)`` with
the columns of :class:`agents.pair_columns.PairColumns`:

- with attribute scores (the built-in corpus, files with scores):
  ``("gold", *sim.corpus.ATTRIBUTES, *sim.corpus.FEATURES)``;
- without (a user's ``prompt, chosen, rejected`` file): ``("gold", *sim.corpus.FEATURES)``.

``gold`` is 1 for the pair's gold winner and 0 for its loser (``Corpus.gold_left_wins``: the
buyer's target utility, or the recorded choice); the attributes are the corpus' scores; the
features are :func:`sim.corpus.feature_matrix` of the corpus' responses (z-scored over all
of them).
"""

from __future__ import annotations

import numpy as np

from agents.pair_columns import PairColumns
from sim.corpus import ATTRIBUTES, FEATURES, Corpus, feature_matrix


def pair_columns(has_attributes: bool) -> PairColumns:
    """The layout of the pair matrices of a corpus with or without attribute scores."""
    return PairColumns(ATTRIBUTES if has_attributes else (), FEATURES)


class JudgeView:
    """The per-pair matrices judges read, for pairs of one corpus.

    Parameters
    ----------
    corpus : Corpus

    Attributes
    ----------
    columns : PairColumns
        The layout of :meth:`matrices`' columns.
    """

    def __init__(self, corpus: Corpus) -> None:
        self.columns = pair_columns(corpus.has_attributes)
        ids = np.arange(corpus.n_responses)
        blocks = [corpus.attribute_matrix(ids)] if corpus.has_attributes else []
        blocks.append(feature_matrix(corpus.texts(ids)))
        self._per_response = np.hstack(blocks)

    def matrices(self, left, right, gold_left) -> tuple[np.ndarray, np.ndarray]:
        """The matrices of pairs ``(left[i], right[i])``.

        Parameters
        ----------
        left, right : array of int, shape (m,)
            Response ids of each pair.
        gold_left : array of bool, shape (m,)
            Gold label of each pair: True where ``left`` wins.

        Returns
        -------
        left, right : ndarray of float, shape (m, len(columns.names))
        """
        gold = np.asarray(gold_left, dtype=float).reshape(-1, 1)
        left, right = np.asarray(left), np.asarray(right)
        if not left.shape == right.shape == (gold.shape[0],):
            raise ValueError(
                f"gold_left: expected one label per pair ({left.shape[0]}), got {gold.shape[0]}"
            )
        return (
            np.hstack([gold, self._per_response[left]]),
            np.hstack([1.0 - gold, self._per_response[right]]),
        )
