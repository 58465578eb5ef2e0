"""Judge models: how an annotator decides which of two responses is better.

Every judge compares many pairs at once. Rows of ``left`` and ``right`` are attribute vectors of
shape ``(m, k)`` (the built-in corpus has k = 5 attributes in [0, 1]: correctness, helpfulness,
harmlessness, concision, tone), and ``prefer_left(left, right, rng)`` returns a boolean array of
shape ``(m,)``: True where the judge labels the left response as better. All randomness comes from
the ``numpy.random.Generator`` passed in.

Utility judges (Bradley-Terry, Thurstone, adversarial) score a response by the weighted sum
``u = weights . attributes``. An exact tie ``u_left == u_right`` with no noise to break it is
decided by a fair coin: the judge is indifferent and must still answer. Ties are therefore the
only way a noiseless utility judge can report a cycle; on triples with distinct utilities it is
transitive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from scipy.special import expit, ndtr


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

    ``P(left) = sigmoid((u_left - u_right) / temperature)`` with ``u = weights . attributes``.
    ``temperature = 0`` is the noiseless judge (exact ties by a fair coin).

    Parameters
    ----------
    weights : array of float, shape (k,)
        Attribute weights; with weights on the simplex, utilities lie in [0, 1].
    temperature : float, default 0.1
        Logit scale (>= 0). At 0.1, a utility gap of 0.1 is labelled correctly with
        probability sigmoid(1) = 0.73.
    """

    def __init__(self, weights, temperature: float = 0.1) -> None:
        self.weights = _weight_vector(weights)
        self.temperature = _non_negative(temperature, "temperature")

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        difference = _utility_difference(self.weights, left, right)
        if self.temperature == 0:
            return _noiseless_choice(difference, rng)
        return rng.random(difference.shape[0]) < expit(difference / self.temperature)


class ThurstoneJudge:
    """Probit choice on a weighted sum of attributes (Thurstone 1927, case V).

    Each response's utility is perceived with independent N(0, noise^2) error, so
    ``P(left) = Phi((u_left - u_right) / (sqrt(2) * noise))``. ``noise = 0`` is the noiseless
    judge (exact ties by a fair coin).

    Parameters
    ----------
    weights : array of float, shape (k,)
        Attribute weights.
    noise : float, default 0.1
        Standard deviation of the perception error of one response's utility (>= 0).
    """

    def __init__(self, weights, noise: float = 0.1) -> None:
        self.weights = _weight_vector(weights)
        self.noise = _non_negative(noise, "noise")

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        difference = _utility_difference(self.weights, left, right)
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

    Parameters
    ----------
    order : sequence of int
        Attribute indices from most to least important (no repeats).
    threshold : float, default 0.05
        Differences strictly below it are not noticed (>= 0), on all but the last attribute.
        The default sits inside the built-in corpus' within-level jitter (+/- 0.04): level
        changes (>= 0.3 apart) are always noticed, but jitter chains are not, which is where
        cycles come from. At 0.1 or more the corpus' clustered levels leave no cycles.
    noise : float, default 0
        Standard deviation of the perception error of each attribute of each response (>= 0);
        the perceived difference is the true one plus N(0, 2 * noise^2).
    """

    def __init__(self, order: Sequence[int], threshold: float = 0.05, noise: float = 0.0) -> None:
        order = np.asarray(order)
        if order.ndim != 1 or order.size == 0 or not np.issubdtype(order.dtype, np.integer):
            raise ValueError("order: expected a non-empty sequence of attribute indices")
        if np.any(order < 0) or np.unique(order).size != order.size:
            raise ValueError(f"order: indices must be distinct and >= 0, got {order.tolist()}")
        self.order = order
        self.threshold = _non_negative(threshold, "threshold")
        self.noise = _non_negative(noise, "noise")

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = _pair_arrays(left, right)
        if self.order.max() >= left.shape[1]:
            raise ValueError(
                f"order: index {self.order.max()} out of range for {left.shape[1]} attributes"
            )
        difference = left[:, self.order] - right[:, self.order]
        if self.noise > 0:
            difference = difference + rng.normal(0.0, np.sqrt(2.0) * self.noise, difference.shape)
        noticed = np.abs(difference) >= self.threshold
        noticed[:, -1] = True
        deciding = np.argmax(noticed, axis=1)
        decisive = difference[np.arange(difference.shape[0]), deciding]
        return _noiseless_choice(decisive, rng)


class SpammerJudge:
    """Labels every pair by a fair coin, ignoring the responses."""

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, _ = _pair_arrays(left, right)
        return rng.random(left.shape[0]) < 0.5


class AdversarialJudge:
    """Reports the opposite of the noiseless utility judgement (exact ties by a fair coin).

    Parameters
    ----------
    weights : array of float, shape (k,)
        The weights whose noiseless judgement is flipped.
    """

    def __init__(self, weights) -> None:
        self.weights = _weight_vector(weights)

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        difference = _utility_difference(self.weights, left, right)
        return _noiseless_choice(-difference, rng)


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
