"""Combining many workers' pairwise labels into one judgement per pair and one score per item.

Input contract (crowd-kit's pairwise format, :data:`analysis.records.LABELS`): a DataFrame
with columns ``worker, left, right, label``, one row per label, where ``label`` equals
``left`` or ``right`` (the response judged better). Items and workers may be any hashable
ids; they are sorted as ``pandas.factorize(..., sort=True)`` sorts them.

An unordered pair {a, b} is reported in canonical orientation, the earlier id in that sort
order as ``left``, whichever way round the workers saw it.
"""

from __future__ import annotations

from dataclasses import dataclass

import choix
import numpy as np
import pandas as pd
from scipy.special import expit

from analysis.records import LABEL_COLUMNS


@dataclass(frozen=True)
class _EncodedLabels:
    items: np.ndarray  # sorted unique item ids
    workers: np.ndarray  # unique worker ids
    worker: np.ndarray  # worker code per label
    pair: np.ndarray  # pair code per label
    pair_low: np.ndarray  # item code of each pair's canonical left
    pair_high: np.ndarray  # item code of each pair's canonical right
    low_won: np.ndarray  # per label: did the canonical left win?


def _encode(labels: pd.DataFrame) -> _EncodedLabels:
    missing = [c for c in LABEL_COLUMNS if c not in getattr(labels, "columns", ())]
    if missing:
        raise ValueError(f"labels: missing columns {missing}; expected {list(LABEL_COLUMNS)}")
    left = labels["left"].to_numpy()
    right = labels["right"].to_numpy()
    label = labels["label"].to_numpy()
    if np.any(left == right):
        raise ValueError("left: a row compares an item with itself; left and right must differ")
    if not np.all((label == left) | (label == right)):
        raise ValueError("label: every label must equal that row's left or right item")
    codes, items = pd.factorize(np.concatenate([left, right]), sort=True)
    if np.any(codes < 0):
        raise ValueError("left: item ids must not be missing (NaN or None); drop those rows")
    left_code, right_code = codes[: len(left)], codes[len(left) :]
    low = np.minimum(left_code, right_code)
    high = np.maximum(left_code, right_code)
    pair, pair_keys = pd.factorize(low * len(items) + high, sort=True)
    worker, workers = pd.factorize(labels["worker"].to_numpy(), sort=True)
    if np.any(worker < 0):
        raise ValueError("worker: ids must not be missing (NaN or None); drop those rows")
    return _EncodedLabels(
        items=items,
        workers=workers,
        worker=worker,
        pair=pair,
        pair_low=pair_keys // len(items),
        pair_high=pair_keys % len(items),
        low_won=label == np.asarray(items)[low],
    )


def _pair_frame(encoded: _EncodedLabels, low_wins: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    left = encoded.items[encoded.pair_low[keep]]
    right = encoded.items[encoded.pair_high[keep]]
    return pd.DataFrame({"left": left, "right": right, "label": np.where(low_wins, left, right)})


def majority_vote(labels: pd.DataFrame) -> pd.DataFrame:
    """The label most workers gave, per unordered pair.

    Parameters
    ----------
    labels : DataFrame
        Columns ``worker, left, right, label`` (see module docstring).

    Returns
    -------
    DataFrame
        Columns ``left, right, label``, one row per unordered pair in canonical orientation.
        A pair whose votes are tied has no majority and is left out (it carries no
        information about which item is better); use ``len(labels)`` minus this frame's
        length to count such pairs.
    """
    encoded = _encode(labels)
    margin = np.bincount(
        encoded.pair, weights=np.where(encoded.low_won, 1.0, -1.0), minlength=len(encoded.pair_low)
    )
    decided = margin != 0
    return _pair_frame(encoded, margin[decided] > 0, decided)


def bradley_terry_scores(labels: pd.DataFrame, alpha: float = 0.01) -> pd.Series:
    """Bradley-Terry log-strengths per item, fitted with choix's I-LSR.

    Model: ``P(i beats j) = sigmoid(theta_i - theta_j)`` (Bradley & Terry 1952), every label
    counted as one comparison, fitted by iterative Luce spectral ranking
    (``choix.ilsr_pairwise``; Maystre & Grossglauser 2015). ``alpha > 0`` regularises, which
    keeps scores finite when an item always wins or the comparison graph is not strongly
    connected.

    Parameters
    ----------
    labels : DataFrame
        Columns ``worker, left, right, label``.
    alpha : float, default 0.01
        choix regularisation (>= 0); 0 gives the plain maximum-likelihood estimate, which
        exists only when every item both wins and loses within one strongly connected graph.

    Returns
    -------
    Series
        Index: item ids (sorted); values: log-strengths with mean 0 (higher is better).
    """
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha: must be a finite number >= 0, got {alpha}")
    encoded = _encode(labels)
    low = encoded.pair_low[encoded.pair]
    high = encoded.pair_high[encoded.pair]
    winner = np.where(encoded.low_won, low, high)
    loser = np.where(encoded.low_won, high, low)
    params = choix.ilsr_pairwise(
        len(encoded.items), np.column_stack([winner, loser]), alpha=alpha, max_iter=1000
    )
    return pd.Series(params, index=encoded.items, name="score")


class PairwiseDawidSkene:
    """One-coin Dawid-Skene aggregation of pairwise labels, fitted by EM.

    Each unordered pair t has an unknown true winner; worker w reports it correctly with
    probability ``s_w`` (its skill), independently across labels (the one-coin model of
    Dawid & Skene 1979 as simplified by Zhang, Chen, Zhou & Jordan 2016, JMLR 17). With the
    canonical orientation arbitrary, both winners get prior 1/2 (crowd-kit's
    ``OneCoinDawidSkene`` instead estimates class priors).

    - E-step: ``logit P(left wins | labels) = sum over labels of +/- logit(s_w)``, + when the
      label names the canonical left.
    - M-step: ``s_w`` = mean over w's labels of the posterior that the label is right.

    Starts from majority-vote posteriors and stops after ``n_iter`` rounds or when no skill
    moves by more than ``tol``. A skill below 1/2 (an adversarial worker) makes its votes count
    reversed. Written here instead of wrapping crowd-kit because crowd-kit treats every
    distinct item id as a class and is a test-only dependency; tests cross-check the two.

    Parameters
    ----------
    n_iter : int, default 100
        Most EM rounds (>= 1).
    tol : float, default 1e-6
        Stop when the largest change of a skill is below it (> 0).

    Attributes
    ----------
    skills_ : Series
        Estimated accuracy per worker, clipped to [1e-6, 1 - 1e-6].
    probas_ : Series
        Posterior probability that the canonical left item is better, indexed by
        ``(left, right)``.
    labels_ : DataFrame
        Columns ``left, right, label``: the more probable winner per pair; pairs with posterior
        exactly 1/2 are left out, as in ``majority_vote``.
    n_iter_ : int
        EM rounds run.
    """

    _CLIP = 1e-6

    def __init__(self, n_iter: int = 100, tol: float = 1e-6) -> None:
        if int(n_iter) != n_iter or n_iter < 1:
            raise ValueError(f"n_iter: must be a whole number >= 1, got {n_iter}")
        if not tol > 0:
            raise ValueError(f"tol: must be > 0, got {tol}")
        self.n_iter = int(n_iter)
        self.tol = float(tol)

    def fit(self, labels: pd.DataFrame) -> PairwiseDawidSkene:
        """Estimate worker skills and pair winners from ``labels`` (``worker, left, right,
        label``); returns self."""
        encoded = _encode(labels)
        sign = np.where(encoded.low_won, 1.0, -1.0)
        n_pairs = len(encoded.pair_low)
        margin = np.bincount(encoded.pair, weights=sign, minlength=n_pairs)
        posterior = 0.5 + 0.5 * np.sign(margin)
        skills = np.full(len(encoded.workers), 0.5)
        rounds = 0
        while rounds < self.n_iter:
            rounds += 1
            pair_posterior = posterior[encoded.pair]
            label_right = np.where(encoded.low_won, pair_posterior, 1.0 - pair_posterior)
            new_skills = np.bincount(encoded.worker, weights=label_right) / np.bincount(
                encoded.worker
            )
            new_skills = np.clip(new_skills, self._CLIP, 1.0 - self._CLIP)
            log_odds = np.log(new_skills) - np.log1p(-new_skills)
            evidence = np.bincount(
                encoded.pair, weights=sign * log_odds[encoded.worker], minlength=n_pairs
            )
            posterior = expit(evidence)
            converged = np.max(np.abs(new_skills - skills)) < self.tol
            skills = new_skills
            if converged:
                break
        self.n_iter_ = rounds
        self.skills_ = pd.Series(skills, index=encoded.workers, name="skill")
        index = pd.MultiIndex.from_arrays(
            [encoded.items[encoded.pair_low], encoded.items[encoded.pair_high]],
            names=["left", "right"],
        )
        self.probas_ = pd.Series(posterior, index=index, name="p_left")
        decided = posterior != 0.5
        self.labels_ = _pair_frame(encoded, posterior[decided] > 0.5, decided)
        return self
