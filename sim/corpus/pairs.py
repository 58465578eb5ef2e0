"""The one way to orient a pair as ``prompt, chosen, rejected``.

Labels follow crowd-kit's pairwise format (docs/architecture.md, ``analysis.records.LABELS``): one
row per label with columns ``worker, left, right, label``, where ``left`` and ``right`` are
response ids of the corpus and ``label`` equals the id the worker preferred. Training data
follow TRL's ``prompt, chosen, rejected`` format (``sim.corpus.records.TRL_PAIRS``).
:func:`oriented_pairs` turns response ids and a winner into texts; every caller (the
market's training and evaluation pairs, :func:`to_trl`, file export) goes through it.

:func:`to_trl` makes every label one training pair (a pair labelled by three workers
appears three times, oriented as each worker chose), which is what training on all
purchased labels means; aggregate first (``analysis.aggregation``) to train on one
consensus label per pair instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.records import LABEL_COLUMNS
from sim.corpus.corpus import Corpus
from sim.corpus.records import TRL_COLUMNS

__all__ = ["gold_pairs", "oriented_pairs", "to_trl"]


def oriented_pairs(corpus: Corpus, left, right, left_wins) -> pd.DataFrame:
    """Texts of response pairs ``(left[i], right[i])``, the winner as ``chosen``.

    Parameters
    ----------
    corpus : Corpus
        Where the response ids come from.
    left, right : array of int
        Response ids of each pair (both answering one prompt).
    left_wins : array of bool
        True where ``left[i]`` is preferred.

    Returns
    -------
    DataFrame
        Columns ``sim.corpus.records.TRL_COLUMNS``, one row per pair, in order.
    """
    left, right = np.asarray(left), np.asarray(right)
    left_wins = np.asarray(left_wins, dtype=bool)
    chosen = np.where(left_wins, left, right)
    rejected = np.where(left_wins, right, left)
    return pd.DataFrame(
        {
            "prompt": corpus.prompts(chosen),
            "chosen": corpus.texts(chosen),
            "rejected": corpus.texts(rejected),
        },
        columns=list(TRL_COLUMNS),
    )


def to_trl(labels: pd.DataFrame, corpus: Corpus) -> pd.DataFrame:
    """Turn purchased labels into a ``prompt, chosen, rejected`` DataFrame of texts.

    Parameters
    ----------
    labels : DataFrame
        Columns ``worker, left, right, label`` with ``label`` in {left, right} (response ids).
    corpus : Corpus
        The corpus the labels came from.

    Returns
    -------
    DataFrame
        Columns ``prompt, chosen, rejected, worker``, one row per label, in label order.
    """
    missing = [column for column in LABEL_COLUMNS if column not in labels.columns]
    if missing:
        raise ValueError(f"labels: columns {missing} are missing; give {', '.join(LABEL_COLUMNS)}")
    left = labels["left"].to_numpy()
    right = labels["right"].to_numpy()
    label = labels["label"].to_numpy()
    bad = ~((label == left) | (label == right))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"labels.label: row {row} names {label[row]!r}, which is neither its left nor its "
            "right response; each label must equal the preferred response's id"
        )
    try:
        same_prompt = corpus.prompt_ids(left) == corpus.prompt_ids(right)
    except ValueError:
        raise ValueError(
            "labels.left/right: some response ids are not in the corpus; "
            "pass the corpus the labels came from"
        ) from None
    if not same_prompt.all():
        raise ValueError("labels.left/right: both responses of a label must answer one prompt")
    pairs = oriented_pairs(corpus, left, right, label == left)
    return pairs.assign(worker=labels["worker"].to_numpy())


def gold_pairs(corpus: Corpus, pairs: pd.DataFrame, weights) -> pd.DataFrame:
    """``pairs`` (corpus comparisons) as texts, oriented by the gold label under ``weights``
    (``Corpus.gold_left_wins``: the recorded choice for a corpus without attribute scores)."""
    left_wins = corpus.gold_left_wins(pairs, weights)
    return oriented_pairs(corpus, pairs["left"], pairs["right"], left_wins)
