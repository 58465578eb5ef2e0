"""What judges read: validated pair matrices, their column positions, a feature bias, and
what an annotator brings to its judge (:class:`JudgeTraits`).

The pair matrices are described in ``agents.judges``; their columns in
``agents.pair_columns``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.pair_columns import PairColumns

if TYPE_CHECKING:
    from agents.population import PopulationSpec


def pair_arrays(left, right) -> tuple[np.ndarray, np.ndarray]:
    """``left`` and ``right`` as float matrices of one shape ``(m, c)``."""
    left = np.asarray(left, dtype=float)
    right = np.asarray(right, dtype=float)
    if left.ndim != 2:
        raise ValueError(f"left: expected shape (pairs, attributes), got {left.shape}")
    if right.shape != left.shape:
        raise ValueError(
            f"right: shape {right.shape} differs from left {left.shape}; give one row per pair"
        )
    return left, right


@dataclass(frozen=True)
class FeatureBias:
    """A systematic preference for one observable feature of a response.

    It adds ``strength * (f_left - f_right)`` to what a judge compares (see ``agents.judges``
    for each kind), where ``f`` is column ``column`` of the pair matrices.

    Parameters
    ----------
    column : int
        Position of the feature's column (``agents.pair_columns.PairColumns.feature_position``).
    strength : float
        Finite; positive prefers the larger feature, negative the smaller, 0 none.
    """

    column: int
    strength: float

    def __post_init__(self) -> None:
        if isinstance(self.column, bool) or not isinstance(self.column, int | np.integer):
            raise ValueError(f"column: must be a whole number >= 0, got {self.column!r}")
        if self.column < 0:
            raise ValueError(f"column: must be a whole number >= 0, got {self.column!r}")
        if not np.isfinite(self.strength):
            raise ValueError(f"bias_strength: must be a finite number, got {self.strength!r}")

    def shift(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """``strength * (left[:, column] - right[:, column])``, shape ``(m,)``."""
        if self.column >= left.shape[1]:
            raise ValueError(
                f"column: {self.column} is out of range for pair matrices of {left.shape[1]} "
                "columns"
            )
        return self.strength * (left[:, self.column] - right[:, self.column])


def shifted(difference: np.ndarray, bias: FeatureBias | None, left, right) -> np.ndarray:
    """``difference`` plus the bias' shift (the very same array when there is no bias)."""
    return difference if bias is None else difference + bias.shift(left, right)


def read_columns(columns) -> np.ndarray | None:
    """Attribute column positions as a 1-D integer array (None stays None)."""
    if columns is None:
        return None
    columns = np.asarray(columns)
    if columns.ndim != 1 or not (columns.size == 0 or np.issubdtype(columns.dtype, np.integer)):
        raise ValueError("attribute_columns: expected a 1-D sequence of column positions")
    if np.any(columns < 0):
        raise ValueError(f"attribute_columns: positions must be >= 0, got {columns.tolist()}")
    return columns


def attribute_block(left: np.ndarray, right: np.ndarray, columns: np.ndarray | None):
    """The attribute columns of validated pair matrices (all of them when ``columns`` is None)."""
    if columns is None:
        return left, right
    if columns.size and columns.max() >= left.shape[1]:
        raise ValueError(
            f"attribute_columns: position {columns.max()} is out of range for pair matrices of "
            f"{left.shape[1]} columns"
        )
    return left[:, columns], right[:, columns]


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
    columns : PairColumns or None
        Layout of the pair matrices; None for bare attribute matrices (no gold, no features).
    bias : FeatureBias or None
        The annotator's bias, if it carries one.
    """

    weights: np.ndarray
    skill: float
    population: PopulationSpec
    columns: PairColumns | None = None
    bias: FeatureBias | None = None

    @property
    def noise(self) -> float:
        """``temperature_from_skill(skill, base=population.judge_noise)``."""
        return temperature_from_skill(self.skill, base=self.population.judge_noise)

    @property
    def accuracy(self) -> float:
        """``accuracy_from_skill(skill)``."""
        return accuracy_from_skill(self.skill)

    @property
    def attribute_columns(self) -> np.ndarray | None:
        """Positions of the attribute columns (None: every column is one)."""
        return None if self.columns is None else self.columns.attribute_positions

    @property
    def gold_column(self) -> int:
        """Position of the ``gold`` column; bare attribute matrices have none."""
        if self.columns is None:
            raise ValueError(
                "judge_mix: this judge reads the gold column; build the population with "
                "columns=PairColumns(...)"
            )
        return self.columns.gold
