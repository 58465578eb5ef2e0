"""AlpacaEval's four measures of an evaluator of pairwise preferences (Dubois et al. 2023,
"AlpacaFarm", and alpaca_eval 0.6.6 ``analyze.py``), on 4 annotations per pair.

With ``a[i, k]`` the evaluator's k-th label of pair i and ``h[i, k]`` a human's (True: left),
``mode4`` the mode of four labels with a 2-2 tie going to the right response (alpaca_eval
breaks the tie with ``pandas.Series.mode(...).sample(1, random_state=123)``, which always
draws output 2) and ``mode3`` the mode of three:

- human agreement: ``mean_{i,k} [a[i, k] == mode4(h[i])]``; for the humans themselves,
  leave-one-out: ``mean_{i,k} [h[i, k] == mode3(h[i, -k])]``;
- bias: ``mean_i [mode4(a[i]) != mode4(h[i])]`` (0 for the humans, by definition);
- variance: ``mean_{i,k} [a[i, k] != mode3(a[i, -k])]``;
- P(prefer longer): ``mean_i [a[i, 0] picks the longer response]`` over the pairs whose
  responses differ by more than 30 characters (``LENGTH_MARGIN``).

:func:`counted_measures` counts them on labels; :func:`expected_measures` gives their
expectation when every label of pair i is an independent draw with ``P(left) = p[i]`` (the
evaluator) or ``h[i]`` (the humans), which is what a calibration solves against.
"""

from __future__ import annotations

import numpy as np

ANNOTATIONS = 4
"""Labels per pair, as in alpaca_eval's human cross-annotations."""
LENGTH_MARGIN = 30
"""Characters by which two responses must differ to count toward P(prefer longer)."""
MEASURES = ("human_agreement", "bias", "variance", "prefer_longer")
"""The four measures, in the order the functions return them."""


def _mode4(labels: np.ndarray) -> np.ndarray:
    """Left where at least 3 of 4 labels say left (a 2-2 tie goes right)."""
    return labels.sum(axis=1) >= 3


def _leave_one_out(labels: np.ndarray) -> np.ndarray:
    """``mode3`` of the other three labels, for each label: shape of ``labels``."""
    others = labels.sum(axis=1, keepdims=True) - labels
    return others >= 2


def counted_measures(
    labels: np.ndarray, human_labels: np.ndarray, left_longer: np.ndarray, *, humans=False
) -> np.ndarray:
    """The four measures of ``labels`` against ``human_labels``, counted.

    Parameters
    ----------
    labels, human_labels : array of bool, shape (pairs, 4)
        True where the label prefers the left response.
    left_longer : array of float, shape (pairs,)
        1 where the left response is longer by more than ``LENGTH_MARGIN`` characters, 0 where
        the right one is, NaN otherwise.
    humans : bool
        ``labels`` are the humans' own (leave-one-out agreement, bias 0).

    Returns
    -------
    ndarray of float, shape (4,)
        In the order of :data:`MEASURES`, as fractions.
    """
    labels, human_labels = np.asarray(labels, bool), np.asarray(human_labels, bool)
    inconsistent = labels != _leave_one_out(labels)
    if humans:
        agreement, bias = 1.0 - inconsistent.mean(), 0.0
    else:
        human_mode = _mode4(human_labels)[:, None]
        agreement = (labels == human_mode).mean()
        bias = (_mode4(labels) != human_mode[:, 0]).mean()
    far = ~np.isnan(left_longer)
    longer = (labels[far, 0] == (left_longer[far] == 1)).mean()
    return np.array([agreement, bias, inconsistent.mean(), longer])


def _mode4_left(p: np.ndarray) -> np.ndarray:
    """P(mode4 is left) of four independent labels with P(left) = p: ``P(Bin(4, p) >= 3)``."""
    return p**4 + 4 * p**3 * (1 - p)


def _mode3_left(p: np.ndarray) -> np.ndarray:
    """P(mode3 is left) of three independent labels: ``P(Bin(3, p) >= 2)``."""
    return p**3 + 3 * p**2 * (1 - p)


def expected_measures(
    p: np.ndarray, h: np.ndarray, left_longer: np.ndarray, *, humans=False
) -> np.ndarray:
    """The expectation of :func:`counted_measures` for independent labels.

    Parameters
    ----------
    p, h : array of float, shape (pairs,)
        P(left) of one label of the evaluator and of a human, per pair.
    left_longer : array of float, shape (pairs,)
        As :func:`counted_measures`.
    humans : bool
        The evaluator is the humans (``p`` is ``h``).

    Returns
    -------
    ndarray of float, shape (4,)
    """
    evaluator_mode3 = _mode3_left(p)
    variance = np.mean(p * (1 - evaluator_mode3) + (1 - p) * evaluator_mode3)
    if humans:
        agreement, bias = 1.0 - variance, 0.0
    else:
        human_mode = _mode4_left(h)
        agreement = np.mean(p * human_mode + (1 - p) * (1 - human_mode))
        evaluator_mode = _mode4_left(p)
        bias = np.mean(evaluator_mode * (1 - human_mode) + (1 - evaluator_mode) * human_mode)
    far = ~np.isnan(left_longer)
    longer = np.mean(np.where(left_longer[far] == 1, p[far], 1 - p[far]))
    return np.array([agreement, bias, variance, longer])
