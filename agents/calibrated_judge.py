"""A judge calibrated to a published evaluator profile (``agents.judge_profiles``): humans,
whose errors are independent, and LLM judges, whose errors are a property of the model.

One label of pair (left, right) is left with probability

    P(left) = Phi(sensitivity * (u_left - u_right) + lean * (len_left - len_right)
                  + persistent_error * e(left, right))

with ``u = weights . attributes``, ``len`` the z-scored ``length`` feature and ``e`` a
standard normal fixed for the model and the pair: ``e(a, b) = -e(b, a)``, drawn from a hash of
(``error_seed``, the two response ids) (:func:`pair_error`), so the model's mistakes on a pair
repeat across its labels and across its copies. The per-label noise is Thurstone's (1927)
probit. ``persistent_error = 0`` gives independent errors (the humans' profile).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from agents.attribute_judges import attribute_scores
from agents.judge_inputs import FeatureBias, JudgeTraits, non_negative, shifted, weight_vector
from agents.judge_profiles import JudgeProfile, judge_profile
from agents.pair_view import pair_sides

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection of uint64 that mixes
    every input bit into every output bit."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def pair_error(seed: int, left_ids, right_ids) -> np.ndarray:
    """``e(left, right)``: a standard normal per unordered pair of response ids, fixed by
    ``seed``, with the sign of the order (``e(a, b) = -e(b, a)``, ``e(a, a) = 0``).

    ``u = (hash(seed, min, max) >> 11 + 1/2) / 2^53``, ``e = sign * Phi^-1(u)``.
    """
    left_ids = np.asarray(left_ids, dtype=np.uint64)
    right_ids = np.asarray(right_ids, dtype=np.uint64)
    low, high = np.minimum(left_ids, right_ids), np.maximum(left_ids, right_ids)
    with np.errstate(over="ignore"):
        key = _mix(np.uint64(seed) * _GOLDEN_GAMMA + low) + high * _GOLDEN_GAMMA
    uniform = ((_mix(key) >> np.uint64(11)).astype(float) + 0.5) / 2.0**53
    sign = np.sign(right_ids.astype(float) - left_ids.astype(float))
    return sign * ndtri(uniform)


class CalibratedJudge:
    """Probit choice on utility, length and a persistent per-pair error (module docstring).

    Parameters
    ----------
    weights : array of float, shape (k,)
        Attribute weights of the utility ``u``.
    profile : JudgeProfile
        ``sensitivity``, ``lean`` and ``persistent_error`` (each >= 0 but ``lean``).
    error_seed : int
        Seed of the persistent errors (a profile's copies share it).
    bias : FeatureBias, optional
        A further systematic preference, as for every judge.
    """

    name = "calibrated"
    kinds: ClassVar[Mapping[str, bool]] = {
        "needs_attributes": True,
        "reads_gold": False,
        "stochastic": True,
        "order_neutral": True,
        "reads_features": True,
    }

    def __init__(
        self, weights, profile: JudgeProfile, error_seed: int, *, bias: FeatureBias | None = None
    ) -> None:
        self.weights = weight_vector(weights)
        self.profile = profile
        self.sensitivity = non_negative(profile.sensitivity, "sensitivity")
        self.persistent_error = non_negative(profile.persistent_error, "persistent_error")
        self.lean = FeatureBias("length", float(profile.lean))
        self.error_seed = int(error_seed)
        self.bias = bias

    def left_probability(self, left, right) -> np.ndarray:
        """``P(left)`` of one label of each pair, shape ``(m,)``."""
        left, right = pair_sides(left, right)
        attributes = attribute_scores(left, self.weights.size)
        score = self.sensitivity * ((attributes - right.attributes) @ self.weights)
        score = score + self.lean.shift(left, right)
        if self.persistent_error > 0:
            if left.ids is None:
                raise ValueError(
                    "judge: a calibrated judge with persistent errors reads the pairs' "
                    "response ids; give sides with ids (agents.pair_view.Responses)"
                )
            score = score + self.persistent_error * pair_error(self.error_seed, left.ids, right.ids)
        return ndtr(shifted(score, self.bias, left, right))

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        probability = self.left_probability(left, right)
        return rng.random(probability.shape[0]) < probability

    @classmethod
    def for_annotator(cls, traits: JudgeTraits) -> CalibratedJudge:
        """The annotator's weights and bias, judging as ``traits.profile`` (default: the
        table's humans)."""
        profile = judge_profile(traits.profile)
        return cls(traits.weights, profile, profile.error_seed, bias=traits.bias)
