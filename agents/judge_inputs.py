"""What judges read besides the pairs (``agents.pair_view``): a feature bias, the skill maps,
and what an annotator brings to its judge (:class:`JudgeTraits`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.pair_view import Responses

if TYPE_CHECKING:
    from agents.population import PopulationSpec


@dataclass(frozen=True)
class FeatureBias:
    """A systematic preference for one observable feature of a response.

    It adds ``strength * (f_left - f_right)`` to what a judge compares (see ``agents.judges``
    for each kind), where ``f`` is the responses' feature ``feature``.

    Parameters
    ----------
    feature : str
        Name of the feature (one of the view's ``features``, ``agents.pair_view``).
    strength : float
        Finite; positive prefers the larger feature, negative the smaller, 0 none.
    """

    feature: str
    strength: float

    def __post_init__(self) -> None:
        if not isinstance(self.feature, str) or not self.feature:
            raise ValueError(f"bias_feature: must be a feature name, got {self.feature!r}")
        if not np.isfinite(self.strength):
            raise ValueError(f"bias_strength: must be a finite number, got {self.strength!r}")

    def shift(self, left: Responses, right: Responses) -> np.ndarray:
        """``strength * (f_left - f_right)``, shape ``(m,)``."""
        return self.strength * (left.feature(self.feature) - right.feature(self.feature))


def shifted(difference: np.ndarray, bias: FeatureBias | None, left, right) -> np.ndarray:
    """``difference`` plus the bias' shift (the very same array when there is no bias)."""
    return difference if bias is None else difference + bias.shift(left, right)


def weight_vector(weights, name: str = "weights") -> np.ndarray:
    """``weights`` as a non-empty finite 1-D float array."""
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D array, got shape {weights.shape}")
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"{name}: every entry must be finite")
    return weights


def non_negative(value: float, name: str) -> float:
    """``value`` as a float, refused unless finite and >= 0."""
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: must be a finite number >= 0, got {value}")
    return value


def noiseless_choice(difference: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Left wins where ``difference > 0``; exact ties are decided by a fair coin."""
    coin = rng.random(difference.shape[0]) < 0.5
    return np.where(difference == 0, coin, difference > 0)


def _skill_array(skill) -> np.ndarray:
    skill_array = np.asarray(skill, dtype=float)
    if np.any(~np.isfinite(skill_array)) or np.any((skill_array < 0) | (skill_array > 1)):
        raise ValueError("skill: must lie in [0, 1]")
    return skill_array


def temperature_from_skill(skill, base: float = 0.5, floor: float = 0.02):
    """Judge noise for an annotator of the given skill: ``base * (1 - skill) + floor``.

    Skill 1 gives the floor (nearly noiseless), skill 0 gives ``base + floor``. With the
    defaults and a utility gap of 0.1, a Bradley-Terry judge is right with probability
    sigmoid(0.1 / 0.52) = 0.55 at skill 0 and sigmoid(5) = 0.99 at skill 1. Use the result
    as ``BradleyTerryJudge`` temperature or ``ThurstoneJudge`` noise. This linear map is a
    modelling choice of this project, not taken from a source.

    Parameters
    ----------
    skill : float or array of float
        Annotator skill in [0, 1].
    base : float, default 0.5
        Extra noise of an unskilled annotator (>= 0).
    floor : float, default 0.02
        Noise of a perfectly skilled annotator (>= 0).
    """
    skill_array = _skill_array(skill)
    base = non_negative(base, "base")
    floor = non_negative(floor, "floor")
    noise = base * (1.0 - skill_array) + floor
    return float(noise) if noise.ndim == 0 else noise


def accuracy_from_skill(skill):
    """One-coin accuracy of an annotator of the given skill: ``0.5 + 0.5 * skill``.

    Skill 0 is a fair coin, skill 1 always agrees with gold; the population's default skill
    distribution Beta(2, 2) gives a mean accuracy of 0.75. This linear map is a modelling
    choice of this project, not taken from a source; ``judge_noise`` does not enter it.

    Parameters
    ----------
    skill : float or array of float
        Annotator skill in [0, 1].
    """
    accuracy = 0.5 + 0.5 * _skill_array(skill)
    return float(accuracy) if accuracy.ndim == 0 else accuracy


def skill_from_accuracy(accuracy: float) -> float:
    """The skill whose one-coin accuracy is ``accuracy``: :func:`accuracy_from_skill`
    inverted, ``2 * accuracy - 1``, clipped to [0, 1] (a judge worse than chance has skill 0)."""
    return float(np.clip(2.0 * float(accuracy) - 1.0, 0.0, 1.0))


@dataclass(frozen=True)
class JudgeTraits:
    """What an annotator brings to its judge: a judge plugin's ``for_annotator`` reads it.

    Parameters
    ----------
    weights : ndarray of float, shape (k,)
        The annotator's attribute weights (``agents.judges.draw_annotator_weights``).
    skill : float
        The annotator's skill, in [0, 1].
    population : agents.population.PopulationSpec
        The population's settings (``judge_noise``, ``lexicographic_threshold``, ...).
    bias : FeatureBias or None
        The annotator's bias, if it carries one.
    profile : str
        The published profile a calibrated judge reproduces (``agents.judge_profiles``).
    """

    weights: np.ndarray
    skill: float
    population: PopulationSpec
    bias: FeatureBias | None = None
    profile: str = "humans"

    @property
    def noise(self) -> float:
        """``temperature_from_skill(skill, base=population.judge_noise)``."""
        return temperature_from_skill(self.skill, base=self.population.judge_noise)

    @property
    def accuracy(self) -> float:
        """``accuracy_from_skill(skill)``."""
        return accuracy_from_skill(self.skill)
