"""Judge models: how an annotator decides which of two responses is better.

Every judge compares many pairs at once: ``prefer_left(left, right, rng)`` takes two float
matrices of shape ``(m, c)``, one row per pair, and returns a boolean array of shape ``(m,)``:
True where the judge labels the left response as better. All randomness comes from the
``numpy.random.Generator`` passed in.

What the columns are: by default the attribute vectors of the two responses (the built-in
corpus has k = 5 attributes in [0, 1]: correctness, helpfulness, harmlessness, concision,
tone). In the market they are the per-pair matrices of ``agents.pair_columns``
(``gold, *attributes, *features``), and each judge is told where to read: attribute judges
through ``attribute_columns``, the one-coin judge through ``gold_column``, a bias through
``FeatureBias.column``.

Utility judges (Bradley-Terry, Thurstone, adversarial) score a response by the weighted sum
``u = weights . attributes``. An exact tie ``u_left == u_right`` with no noise to break it is
decided by a fair coin: the judge is indifferent and must still answer. Ties are therefore the
only way a noiseless utility judge can report a cycle; on triples with distinct utilities it is
transitive.

Systematic bias (DESIGN.md, "Judge biases"): a :class:`FeatureBias` adds
``strength * (f_left - f_right)`` to what a judge compares, where ``f`` is an observable
feature of the response (``sim.corpus.features``, z-scored). Positive strength pulls every
kind of judge toward the response with the larger feature (longer, more confident, politer),
negative strength toward the smaller. Per kind (this project's modelling choice):

- Bradley-Terry, Thurstone: part of the perceived utility difference, before noise:
  ``d = u_left - u_right + strength * (f_left - f_right)``. Utilities with weights on the
  simplex lie in [0, 1], so on these judges a strength of 0.1 already weighs one standard
  deviation of the feature like a 0.1 utility gap (a whole level of a 0.3-weight attribute);
- adversarial: added to the flipped difference, ``-(u_left - u_right) + strength * (...)``;
- lexicographic: added to the perceived difference on the judge's first (most important)
  attribute, a halo effect (Thorndike 1920): a longer answer looks more correct;
- spammer: ``P(left) = sigmoid(strength * (f_left - f_right))``, a one-coin rater of
  accuracy 1/2;
- one-coin: ``P(left) = sigmoid(g * logit(accuracy) + strength * (f_left - f_right))``.

A judge without a bias computes exactly what it did before biases existed (same arithmetic,
same draws).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import expit, logit, ndtr


class Judge(Protocol):
    """Anything that labels a batch of pairs: ``prefer_left(left, right, rng) -> bool (m,)``."""

    def prefer_left(
        self, left: np.ndarray, right: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray: ...


def _pair_arrays(left, right) -> tuple[np.ndarray, np.ndarray]:
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

    It adds ``strength * (f_left - f_right)`` to what a judge compares (see the module
    docstring for each kind), where ``f`` is column ``column`` of the pair matrices.

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


def _shifted(difference: np.ndarray, bias: FeatureBias | None, left, right) -> np.ndarray:
    """``difference`` plus the bias' shift (the very same array when there is no bias)."""
    return difference if bias is None else difference + bias.shift(left, right)


def _read_columns(columns) -> np.ndarray | None:
    if columns is None:
        return None
    columns = np.asarray(columns)
    if columns.ndim != 1 or not (columns.size == 0 or np.issubdtype(columns.dtype, np.integer)):
        raise ValueError("attribute_columns: expected a 1-D sequence of column positions")
    if np.any(columns < 0):
        raise ValueError(f"attribute_columns: positions must be >= 0, got {columns.tolist()}")
    return columns


def _attributes(left: np.ndarray, right: np.ndarray, columns: np.ndarray | None):
    """The attribute columns of validated pair matrices (all of them when ``columns`` is None)."""
    if columns is None:
        return left, right
    if columns.size and columns.max() >= left.shape[1]:
        raise ValueError(
            f"attribute_columns: position {columns.max()} is out of range for pair matrices of "
            f"{left.shape[1]} columns"
        )
    return left[:, columns], right[:, columns]


def _weight_vector(weights, name: str = "weights") -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D array, got shape {weights.shape}")
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"{name}: every entry must be finite")
    return weights


def _utility_difference(weights: np.ndarray, left, right) -> np.ndarray:
    left, right = _pair_arrays(left, right)
    if left.shape[1] != weights.size:
        raise ValueError(
            f"left: has {left.shape[1]} attributes but weights has {weights.size}; they must match"
        )
    return (left - right) @ weights


def _perceived_difference(judge, left, right) -> np.ndarray:
    """A utility judge's ``u_left - u_right`` on its attribute columns, plus its bias' shift."""
    left, right = _pair_arrays(left, right)
    attributes = _attributes(left, right, judge.attribute_columns)
    return _shifted(_utility_difference(judge.weights, *attributes), judge.bias, left, right)


def _noiseless_choice(difference: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Left wins where ``difference > 0``; exact ties are decided by a fair coin."""
    coin = rng.random(difference.shape[0]) < 0.5
    return np.where(difference == 0, coin, difference > 0)


def _non_negative(value: float, name: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: must be a finite number >= 0, got {value}")
    return value


class BradleyTerryJudge:
    """Logit choice on a weighted sum of attributes (Bradley & Terry 1952; Luce 1959).

    ``P(left) = sigmoid(d / temperature)`` with ``d = u_left - u_right`` and
    ``u = weights . attributes``; a bias adds ``strength * (f_left - f_right)`` to ``d``.
    ``temperature = 0`` is the noiseless judge (exact ties by a fair coin).

    Parameters
    ----------
    weights : array of float, shape (k,)
        Attribute weights; with weights on the simplex, utilities lie in [0, 1].
    temperature : float, default 0.1
        Logit scale (>= 0). At 0.1, a utility gap of 0.1 is labelled correctly with
        probability sigmoid(1) = 0.73.
    attribute_columns : sequence of int, optional
        Positions of the attribute columns in the pair matrices, in the order of the
        attributes (default: every column is one).
    bias : FeatureBias, optional
        A systematic preference for an observable feature.
    """

    def __init__(
        self,
        weights,
        temperature: float = 0.1,
        *,
        attribute_columns: Sequence[int] | None = None,
        bias: FeatureBias | None = None,
    ) -> None:
        self.weights = _weight_vector(weights)
        self.temperature = _non_negative(temperature, "temperature")
        self.attribute_columns = _read_columns(attribute_columns)
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        difference = _perceived_difference(self, left, right)
        if self.temperature == 0:
            return _noiseless_choice(difference, rng)
        return rng.random(difference.shape[0]) < expit(difference / self.temperature)


class ThurstoneJudge:
    """Probit choice on a weighted sum of attributes (Thurstone 1927, case V).

    Each response's utility is perceived with independent N(0, noise^2) error, so
    ``P(left) = Phi(d / (sqrt(2) * noise))`` with ``d = u_left - u_right``; a bias adds
    ``strength * (f_left - f_right)`` to ``d``. ``noise = 0`` is the noiseless judge (exact
    ties by a fair coin).

    Parameters
    ----------
    weights : array of float, shape (k,)
        Attribute weights.
    noise : float, default 0.1
        Standard deviation of the perception error of one response's utility (>= 0).
    attribute_columns : sequence of int, optional
        Positions of the attribute columns in the pair matrices, in the order of the
        attributes (default: every column is one).
    bias : FeatureBias, optional
        A systematic preference for an observable feature.
    """

    def __init__(
        self,
        weights,
        noise: float = 0.1,
        *,
        attribute_columns: Sequence[int] | None = None,
        bias: FeatureBias | None = None,
    ) -> None:
        self.weights = _weight_vector(weights)
        self.noise = _non_negative(noise, "noise")
        self.attribute_columns = _read_columns(attribute_columns)
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        difference = _perceived_difference(self, left, right)
        if self.noise == 0:
            return _noiseless_choice(difference, rng)
        probability = ndtr(difference / (np.sqrt(2.0) * self.noise))
        return rng.random(difference.shape[0]) < probability


class LexicographicSemiorderJudge:
    """Lexicographic semiorder (Tversky 1969, "Intransitivity of preferences", Psychol. Rev. 76).

    Compare on the first attribute in ``order``; if the absolute difference is below
    ``threshold`` (a just-noticeable difference), move on to the next attribute. The last
    attribute decides by its sign alone (Tversky's two-dimension rule extended to k
    dimensions); an exact tie there is decided by a fair coin. Small differences on the
    first attribute are ignored one pair at a time but add up across pairs, so the judge is
    intransitive on its own: with threshold 0.1 and order (0, 1), the responses
    a = (0.00, 1.0), b = (0.06, 0.5), c = (0.12, 0.0) give a > b, b > c and c > a.
    A bias adds ``strength * (f_left - f_right)`` to the perceived difference on the first
    attribute in ``order`` (a halo effect).

    Parameters
    ----------
    order : sequence of int
        Attribute indices from most to least important (no repeats), counted among the
        attribute columns.
    threshold : float, default 0.05
        Differences strictly below it are not noticed (>= 0), on all but the last attribute.
        The default sits inside the built-in corpus' within-level jitter (+/- 0.04): level
        changes (>= 0.3 apart) are always noticed, but jitter chains are not, which is where
        cycles come from. At 0.1 or more the corpus' clustered levels leave no cycles.
    noise : float, default 0
        Standard deviation of the perception error of each attribute of each response (>= 0);
        the perceived difference is the true one plus N(0, 2 * noise^2).
    attribute_columns : sequence of int, optional
        Positions of the attribute columns in the pair matrices, in the order of the
        attributes (default: every column is one).
    bias : FeatureBias, optional
        A systematic preference for an observable feature.
    """

    def __init__(
        self,
        order: Sequence[int],
        threshold: float = 0.05,
        noise: float = 0.0,
        *,
        attribute_columns: Sequence[int] | None = None,
        bias: FeatureBias | None = None,
    ) -> None:
        order = np.asarray(order)
        if order.ndim != 1 or order.size == 0 or not np.issubdtype(order.dtype, np.integer):
            raise ValueError("order: expected a non-empty sequence of attribute indices")
        if np.any(order < 0) or np.unique(order).size != order.size:
            raise ValueError(f"order: indices must be distinct and >= 0, got {order.tolist()}")
        self.order = order
        self.threshold = _non_negative(threshold, "threshold")
        self.noise = _non_negative(noise, "noise")
        self.attribute_columns = _read_columns(attribute_columns)
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = _pair_arrays(left, right)
        attributes_left, attributes_right = _attributes(left, right, self.attribute_columns)
        if self.order.max() >= attributes_left.shape[1]:
            raise ValueError(
                f"order: index {self.order.max()} out of range for "
                f"{attributes_left.shape[1]} attributes"
            )
        difference = attributes_left[:, self.order] - attributes_right[:, self.order]
        if self.noise > 0:
            difference = difference + rng.normal(0.0, np.sqrt(2.0) * self.noise, difference.shape)
        if self.bias is not None:
            difference[:, 0] += self.bias.shift(left, right)
        noticed = np.abs(difference) >= self.threshold
        noticed[:, -1] = True
        deciding = np.argmax(noticed, axis=1)
        decisive = difference[np.arange(difference.shape[0]), deciding]
        return _noiseless_choice(decisive, rng)


class SpammerJudge:
    """Labels every pair by a fair coin, ignoring the responses.

    With a bias, ``P(left) = sigmoid(strength * (f_left - f_right))``: it ignores quality
    but not the feature (a one-coin rater of accuracy 1/2).

    Parameters
    ----------
    bias : FeatureBias, optional
    """

    def __init__(self, *, bias: FeatureBias | None = None) -> None:
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = _pair_arrays(left, right)
        if self.bias is None:
            return rng.random(left.shape[0]) < 0.5
        return rng.random(left.shape[0]) < expit(self.bias.shift(left, right))


class AdversarialJudge:
    """Reports the opposite of the noiseless utility judgement (exact ties by a fair coin).

    Left wins where ``-(u_left - u_right) > 0``; a bias adds ``strength * (f_left - f_right)``
    to that flipped difference.

    Parameters
    ----------
    weights : array of float, shape (k,)
        The weights whose noiseless judgement is flipped.
    attribute_columns : sequence of int, optional
        Positions of the attribute columns in the pair matrices, in the order of the
        attributes (default: every column is one).
    bias : FeatureBias, optional
        A systematic preference for an observable feature.
    """

    def __init__(
        self,
        weights,
        *,
        attribute_columns: Sequence[int] | None = None,
        bias: FeatureBias | None = None,
    ) -> None:
        self.weights = _weight_vector(weights)
        self.attribute_columns = _read_columns(attribute_columns)
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = _pair_arrays(left, right)
        attributes = _attributes(left, right, self.attribute_columns)
        difference = _utility_difference(self.weights, *attributes)
        return _noiseless_choice(_shifted(-difference, self.bias, left, right), rng)


class OneCoinJudge:
    """Rates the gold label correctly with probability ``accuracy``: the one-coin special case
    of Dawid & Skene's (1979) annotator model, one accuracy per annotator whatever the pair.

    It reads the ``gold`` column (1 for the pair's gold winner, 0 for its loser), so it needs
    no attribute scores: on a preference file gold is the recorded choice. With
    ``g = +1`` where gold prefers left and ``-1`` otherwise,
    ``P(left) = sigmoid(g * logit(accuracy) + strength * (f_left - f_right))``; without a
    bias (or where the feature is equal) that is exactly ``accuracy`` for the gold winner.

    Parameters
    ----------
    accuracy : float
        Probability of labelling a pair as gold does, in [0, 1]; see
        :func:`accuracy_from_skill`.
    gold_column : int, default 0
        Position of the ``gold`` column in the pair matrices.
    bias : FeatureBias, optional
    """

    def __init__(
        self, accuracy: float, *, gold_column: int = 0, bias: FeatureBias | None = None
    ) -> None:
        accuracy = float(accuracy)
        if not 0.0 <= accuracy <= 1.0:
            raise ValueError(f"accuracy: must lie in [0, 1], got {accuracy!r}")
        if isinstance(gold_column, bool) or int(gold_column) != gold_column or gold_column < 0:
            raise ValueError(f"gold_column: must be a whole number >= 0, got {gold_column!r}")
        self.accuracy = accuracy
        self.gold_column = int(gold_column)
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = _pair_arrays(left, right)
        if self.gold_column >= left.shape[1]:
            raise ValueError(
                f"gold_column: {self.gold_column} is out of range for pair matrices of "
                f"{left.shape[1]} columns"
            )
        gold_left = left[:, self.gold_column] > right[:, self.gold_column]
        if self.bias is None:
            probability = np.where(gold_left, self.accuracy, 1.0 - self.accuracy)
        else:
            sign = np.where(gold_left, 1.0, -1.0)
            with np.errstate(divide="ignore"):
                confidence = logit(self.accuracy)
            probability = expit(sign * confidence + self.bias.shift(left, right))
        return rng.random(left.shape[0]) < probability


def draw_annotator_weights(
    target, concentration: float, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Per-annotator attribute weights scattered around the buyer's target weights.

    Each row is drawn from ``Dirichlet(concentration * target / sum(target))`` over the
    attributes with positive target weight (zero-weight attributes stay at zero), so every
    row sums to 1 and has mean ``target / sum(target)``; the variance of weight j is
    ``t_j (1 - t_j) / (concentration + 1)``. Low concentration gives heterogeneous annotators
    whose pairwise majority can cycle (Condorcet's paradox); ``concentration = inf`` gives
    every annotator the target itself.

    Parameters
    ----------
    target : array of float, shape (k,)
        The buyer's target weights (>= 0, not all zero).
    concentration : float
        Dirichlet concentration (> 0, may be ``numpy.inf``).
    size : int
        Number of annotators (>= 0).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (size, k)
    """
    target = _weight_vector(target, "target")
    if np.any(target < 0) or target.sum() <= 0:
        raise ValueError("target: weights must be >= 0 with a positive sum")
    concentration = float(concentration)
    if not concentration > 0:
        raise ValueError(f"concentration: must be > 0 (or inf), got {concentration}")
    if int(size) != size or size < 0:
        raise ValueError(f"size: must be a whole number >= 0, got {size}")
    mean = target / target.sum()
    weights = np.zeros((int(size), target.size))
    if np.isinf(concentration):
        weights[:] = mean
        return weights
    support = mean > 0
    weights[:, support] = rng.dirichlet(concentration * mean[support], size=int(size))
    return weights


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
    skill_array = np.asarray(skill, dtype=float)
    if np.any(~np.isfinite(skill_array)) or np.any((skill_array < 0) | (skill_array > 1)):
        raise ValueError("skill: must lie in [0, 1]")
    base = _non_negative(base, "base")
    floor = _non_negative(floor, "floor")
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
    skill_array = np.asarray(skill, dtype=float)
    if np.any(~np.isfinite(skill_array)) or np.any((skill_array < 0) | (skill_array > 1)):
        raise ValueError("skill: must lie in [0, 1]")
    accuracy = 0.5 + 0.5 * skill_array
    return float(accuracy) if accuracy.ndim == 0 else accuracy
