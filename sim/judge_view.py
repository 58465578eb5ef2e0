"""What judges see of a corpus' pairs, built in one place for every corpus.

Judges read a batch of pairs as two named views ``left`` and ``right``
(:class:`agents.pair_view.Responses`):

- ``attributes``: the corpus' attribute scores (``sim.corpus.ATTRIBUTES``), or none on a
  user's ``prompt, chosen, rejected`` file;
- ``features``: :func:`sim.corpus.feature_matrix` of the responses (z-scored over all of
  them), by the names of ``sim.corpus.FEATURES``;
- ``gold``: 1 for the pair's gold winner and 0 for its loser (``Corpus.gold_left_wins``: the
  buyer's target utility, or the recorded choice);
- ``ids``: the response ids.
"""

from __future__ import annotations

import numpy as np

from agents.pair_view import PairLayout, Responses
from sim.corpus import ATTRIBUTES, FEATURES, Corpus, feature_matrix


def pair_layout(has_attributes: bool) -> PairLayout:
    """What the views of a corpus with or without attribute scores carry."""
    return PairLayout(ATTRIBUTES if has_attributes else (), FEATURES)


class JudgeView:
    """The named views judges read, for pairs of one corpus.

    Parameters
    ----------
    corpus : Corpus

    Attributes
    ----------
    layout : PairLayout
        What :meth:`sides` carry.
    """

    def __init__(self, corpus: Corpus) -> None:
        self.layout = pair_layout(corpus.has_attributes)
        ids = np.arange(corpus.n_responses)
        scored = corpus.has_attributes
        self._attributes = corpus.attribute_matrix(ids) if scored else np.zeros((ids.size, 0))
        self._features = feature_matrix(corpus.texts(ids))

    def _side(self, ids: np.ndarray, gold: np.ndarray) -> Responses:
        features = self._features[ids]
        named = {name: features[:, j] for j, name in enumerate(self.layout.features)}
        return Responses(self._attributes[ids], named, gold, ids)

    def sides(self, left, right, gold_left) -> tuple[Responses, Responses]:
        """The two sides of pairs ``(left[i], right[i])``.

        Parameters
        ----------
        left, right : array of int, shape (m,)
            Response ids of each pair.
        gold_left : array of bool, shape (m,)
            Gold label of each pair: True where ``left`` wins.

        Returns
        -------
        left, right : Responses
        """
        gold = np.asarray(gold_left, dtype=float).reshape(-1)
        left, right = np.asarray(left), np.asarray(right)
        if left.shape != right.shape:
            raise ValueError(f"right: {right.shape[0]} ids, but left has {left.shape[0]}")
        if gold.shape != left.shape:
            raise ValueError(
                f"gold_left: expected one label per pair ({left.shape[0]}), got {gold.shape[0]}"
            )
        return self._side(left, gold), self._side(right, 1.0 - gold)
