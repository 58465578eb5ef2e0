"""Calibrate judges to published evaluator profiles, measured the table's way on the
built-in corpus (``analysis.evaluator_measures``: 4 labels per pair, modes, leave-one-out
for the humans).

Every pair of the built-in corpus (seed 0, both splits: 12,960 pairs) is judged under the
buyer's default target weights. The humans' profile is solved first, for ``sensitivity`` and
``lean`` (no persistent error) against its human agreement and P(prefer longer); each other
profile then for ``sensitivity``, ``lean`` and ``persistent_error`` against its four measures,
its human reference being the calibrated humans. Both solve the expected measures
(:func:`analysis.evaluator_measures.expected_measures`) by least squares
(``scipy.optimize.least_squares``, several starts); :func:`measure_profile` counts them on
drawn labels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import least_squares, minimize

from agents.calibrated_judge import CalibratedJudge
from agents.judge_profiles import HUMANS, JudgeProfile
from agents.pair_view import Responses
from analysis.evaluator_measures import (
    ANNOTATIONS,
    LENGTH_MARGIN,
    counted_measures,
    expected_measures,
)
from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, weight_vector
from sim.judge_view import JudgeView

_STARTS = ((5.0, 0.5, 1.0), (10.0, 1.0, 3.0), (2.0, 0.2, 0.5), (1.0, 5.0, 3.0))
_BOUNDS = ((0.0, -20.0, 0.0), (200.0, 20.0, 50.0))


@dataclass(frozen=True)
class CalibrationPairs:
    """The pairs profiles are measured on.

    Attributes
    ----------
    left, right : Responses
        The two sides, as judges see them.
    left_longer : ndarray of float
        1 where left is longer by more than ``LENGTH_MARGIN`` characters, 0 where right is,
        NaN otherwise.
    gold_left : ndarray of bool
        The buyer's gold label.
    weights : ndarray of float
        The target weights judges score utility with.
    """

    left: Responses
    right: Responses
    left_longer: np.ndarray
    gold_left: np.ndarray
    weights: np.ndarray


def calibration_pairs() -> CalibrationPairs:
    """Every pair of the built-in corpus (seed 0), under the default target weights."""
    corpus = builtin_corpus(seed=0)
    pairs = pd.concat([corpus.pairs("train"), corpus.pairs("test")], ignore_index=True)
    gold_left = corpus.gold_left_wins(pairs, DEFAULT_TARGET_WEIGHTS)
    left_ids, right_ids = pairs["left"].to_numpy(), pairs["right"].to_numpy()
    left, right = JudgeView(corpus).sides(left_ids, right_ids, gold_left)
    characters = np.array([len(text) for text in corpus.texts(np.arange(corpus.n_responses))])
    difference = characters[left_ids] - characters[right_ids]
    left_longer = np.where(np.abs(difference) > LENGTH_MARGIN, difference > 0, np.nan)
    weights = weight_vector(DEFAULT_TARGET_WEIGHTS)
    return CalibrationPairs(left, right, left_longer.astype(float), gold_left, weights)


def profile_judge(profile: JudgeProfile, pairs: CalibrationPairs) -> CalibratedJudge:
    """The calibrated judge of ``profile``, scoring utility with the pairs' weights."""
    return CalibratedJudge(pairs.weights, profile, profile.error_seed)


def _with_parameters(profile: JudgeProfile, parameters) -> JudgeProfile:
    """``profile`` with ``(sensitivity, lean[, persistent_error])`` set (0 persistent error
    when only two are given)."""
    sensitivity, lean, *persistent = (float(x) for x in parameters)
    return replace(
        profile,
        sensitivity=sensitivity,
        lean=lean,
        persistent_error=persistent[0] if persistent else 0.0,
    )


def calibrate_profile(
    profile: JudgeProfile, pairs: CalibrationPairs, humans: JudgeProfile | None = None
) -> JudgeProfile:
    """``profile`` with the parameters whose expected measures come nearest its table's
    (least squares over the four measures; over agreement and P(prefer longer) for the
    humans), and the resulting judge's expected accuracy on gold."""
    target = np.array(profile.table_measures)
    is_humans = profile.annotator == HUMANS
    if is_humans:
        human_left = None
    else:
        if humans is None:
            raise ValueError("humans: a profile other than the humans' needs their calibration")
        human_left = profile_judge(humans, pairs).left_probability(pairs.left, pairs.right)

    def residuals(parameters) -> np.ndarray:
        left = profile_judge(_with_parameters(profile, parameters), pairs).left_probability(
            pairs.left, pairs.right
        )
        reference = left if is_humans else human_left
        measures = expected_measures(left, reference, pairs.left_longer, humans=is_humans)
        return (measures - target)[[0, 3]] if is_humans else measures - target

    width = 2 if is_humans else 3
    fits = [
        least_squares(residuals, start[:width], bounds=(_BOUNDS[0][:width], _BOUNDS[1][:width]))
        for start in _STARTS
    ]
    nearest = min(fits, key=lambda fit: fit.cost).x
    bounds = list(zip(_BOUNDS[0][:width], _BOUNDS[1][:width], strict=True))
    minimax = minimize(
        lambda x: np.max(np.abs(residuals(x))), nearest, method="Nelder-Mead", bounds=bounds
    )
    calibrated = _with_parameters(
        profile, minimax.x if minimax.fun < np.max(np.abs(residuals(nearest))) else nearest
    )
    left = profile_judge(calibrated, pairs).left_probability(pairs.left, pairs.right)
    accuracy = float(np.mean(np.where(pairs.gold_left, left, 1 - left)))
    return replace(calibrated, gold_accuracy=accuracy)


def calibrate_profiles(profiles: dict[str, JudgeProfile]) -> dict[str, JudgeProfile]:
    """Every profile calibrated (:func:`calibrate_profile`), the humans' first."""
    pairs = calibration_pairs()
    humans = calibrate_profile(profiles[HUMANS], pairs)
    return {
        name: humans if name == HUMANS else calibrate_profile(profile, pairs, humans)
        for name, profile in profiles.items()
    }


def measure_profile(
    profile: JudgeProfile,
    humans: JudgeProfile,
    pairs: CalibrationPairs,
    rng: np.random.Generator,
) -> np.ndarray:
    """The four measures of a profile's judge, counted on ``ANNOTATIONS`` drawn labels per
    pair against as many of the humans' (``analysis.evaluator_measures.counted_measures``)."""

    def labels(judge_profile: JudgeProfile) -> np.ndarray:
        judge = profile_judge(judge_profile, pairs)
        draws = [judge.prefer_left(pairs.left, pairs.right, rng) for _ in range(ANNOTATIONS)]
        return np.column_stack(draws)

    human_labels = labels(humans)
    if profile.annotator == HUMANS:
        return counted_measures(human_labels, human_labels, pairs.left_longer, humans=True)
    return counted_measures(labels(profile), human_labels, pairs.left_longer)
