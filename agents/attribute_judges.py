"""Judges that compare attribute scores: random-utility (Bradley-Terry, Thurstone),
adversarial and lexicographic-semiorder judges. Conventions in ``agents.judges``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
from scipy.special import expit, ndtr

from agents.judge_inputs import (
    FeatureBias,
    JudgeTraits,
    noiseless_choice,
    non_negative,
    shifted,
    weight_vector,
)
from agents.pair_view import Responses, pair_sides


def attribute_scores(side: Responses, expected: int) -> np.ndarray:
    """The side's attribute scores, refused unless there are ``expected`` of them."""
    if side.attributes.shape[1] != expected:
        raise ValueError(
            f"left: has {side.attributes.shape[1]} attributes but weights has {expected}; "
            "they must match"
        )
    return side.attributes


class UtilityJudge:
    """Base of judges that score a response by ``u = weights . attributes``.

    Parameters
    ----------
    weights : array of float, shape (k,)
        Attribute weights; with weights on the simplex, utilities lie in [0, 1].
    bias : FeatureBias, optional
        A systematic preference for an observable feature.
    """

    def __init__(self, weights, *, bias: FeatureBias | None = None) -> None:
        self.weights = weight_vector(weights)
        self.bias = bias

    def utility_difference(self, left: Responses, right: Responses) -> np.ndarray:
        """``u_left - u_right`` of the pairs' attribute scores, shape ``(m,)``."""
        return (attribute_scores(left, self.weights.size) - right.attributes) @ self.weights


class RandomUtilityJudge(UtilityJudge):
    """Choice on perceived utilities, ``P(left) = F(d / scale)`` with
    ``d = u_left - u_right + strength * (f_left - f_right)`` (the bias term only with a bias)
    and ``F`` the law of the perception error's difference (Thurstone 1927; McFadden 1974,
    "Conditional logit analysis of qualitative choice behavior").

    ``scale = 0`` is the noiseless judge (exact ties by a fair coin). Subclasses give ``F``
    (:meth:`win_probability`) and the name of their scale. Parameters as
    :class:`UtilityJudge`, plus the scale (>= 0).
    """

    scale_name: ClassVar[str]
    kinds: ClassVar[Mapping[str, bool]] = {
        "needs_attributes": True,
        "reads_gold": False,
        "stochastic": True,
        "order_neutral": True,
        "reads_features": False,
    }

    def __init__(self, weights, scale: float, *, bias=None) -> None:
        super().__init__(weights, bias=bias)
        setattr(self, self.scale_name, non_negative(scale, self.scale_name))

    @property
    def scale(self) -> float:
        """The noise scale (``temperature`` or ``noise``)."""
        return getattr(self, self.scale_name)

    def win_probability(self, difference: np.ndarray) -> np.ndarray:
        """``P(left) = F(d / scale)`` for ``scale > 0``."""
        raise NotImplementedError

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = pair_sides(left, right)
        difference = shifted(self.utility_difference(left, right), self.bias, left, right)
        if self.scale == 0:
            return noiseless_choice(difference, rng)
        return rng.random(difference.shape[0]) < self.win_probability(difference)

    @classmethod
    def for_annotator(cls, traits: JudgeTraits) -> RandomUtilityJudge:
        """The annotator's weights, scale ``traits.noise`` and bias."""
        return cls(traits.weights, traits.noise, bias=traits.bias)


class BradleyTerryJudge(RandomUtilityJudge):
    """Logit choice on a weighted sum of attributes (Bradley & Terry 1952; Luce 1959):
    ``P(left) = sigmoid(d / temperature)``.

    Parameters as :class:`UtilityJudge`, and ``temperature`` (float, default 0.1, >= 0): at
    0.1, a utility gap of 0.1 is labelled correctly with probability sigmoid(1) = 0.73.
    """

    name = "bradley_terry"
    scale_name = "temperature"

    def __init__(self, weights, temperature: float = 0.1, *, bias=None) -> None:
        super().__init__(weights, temperature, bias=bias)

    def win_probability(self, difference: np.ndarray) -> np.ndarray:
        return expit(difference / self.temperature)


class ThurstoneJudge(RandomUtilityJudge):
    """Probit choice on a weighted sum of attributes (Thurstone 1927, case V): each
    response's utility is perceived with independent N(0, noise^2) error, so
    ``P(left) = Phi(d / (sqrt(2) * noise))``.

    Parameters as :class:`UtilityJudge`, and ``noise`` (float, default 0.1, >= 0): the
    standard deviation of the perception error of one response's utility.
    """

    name = "thurstone"
    scale_name = "noise"

    def __init__(self, weights, noise: float = 0.1, *, bias=None) -> None:
        super().__init__(weights, noise, bias=bias)

    def win_probability(self, difference: np.ndarray) -> np.ndarray:
        return ndtr(difference / (np.sqrt(2.0) * self.noise))


class AdversarialJudge(UtilityJudge):
    """Reports the opposite of the noiseless utility judgement (exact ties by a fair coin):
    left wins where ``-(u_left - u_right) + strength * (f_left - f_right) > 0``.

    Parameters as :class:`UtilityJudge` (``weights``: those whose judgement is flipped).
    """

    name = "adversarial"
    kinds: ClassVar[Mapping[str, bool]] = {**RandomUtilityJudge.kinds, "stochastic": False}

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = pair_sides(left, right)
        difference = self.utility_difference(left, right)
        return noiseless_choice(shifted(-difference, self.bias, left, right), rng)

    @classmethod
    def for_annotator(cls, traits: JudgeTraits) -> AdversarialJudge:
        """The annotator's weights and bias."""
        return cls(traits.weights, bias=traits.bias)


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
    attribute in ``order`` (a halo effect; Thorndike 1920).

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
    bias : FeatureBias, optional
        A systematic preference for an observable feature.
    """

    name = "lexicographic"
    kinds: ClassVar[Mapping[str, bool]] = RandomUtilityJudge.kinds

    def __init__(
        self,
        order: Sequence[int],
        threshold: float = 0.05,
        noise: float = 0.0,
        *,
        bias: FeatureBias | None = None,
    ) -> None:
        order = np.asarray(order)
        if order.ndim != 1 or order.size == 0 or not np.issubdtype(order.dtype, np.integer):
            raise ValueError("order: expected a non-empty sequence of attribute indices")
        if np.any(order < 0) or np.unique(order).size != order.size:
            raise ValueError(f"order: indices must be distinct and >= 0, got {order.tolist()}")
        self.order = order
        self.threshold = non_negative(threshold, "threshold")
        self.noise = non_negative(noise, "noise")
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = pair_sides(left, right)
        if self.order.max() >= left.attributes.shape[1]:
            raise ValueError(
                f"order: index {self.order.max()} out of range for "
                f"{left.attributes.shape[1]} attributes"
            )
        difference = left.attributes[:, self.order] - right.attributes[:, self.order]
        if self.noise > 0:
            difference = difference + rng.normal(0.0, np.sqrt(2.0) * self.noise, difference.shape)
        if self.bias is not None:
            difference[:, 0] += self.bias.shift(left, right)
        noticed = np.abs(difference) >= self.threshold
        noticed[:, -1] = True
        deciding = np.argmax(noticed, axis=1)
        decisive = difference[np.arange(difference.shape[0]), deciding]
        return noiseless_choice(decisive, rng)

    @classmethod
    def for_annotator(cls, traits: JudgeTraits) -> LexicographicSemiorderJudge:
        """Attributes ranked by the annotator's weights, largest first (stable), with the
        population's threshold, noise ``traits.noise`` and bias."""
        order = np.argsort(-traits.weights, kind="stable")
        return cls(
            order,
            traits.population.lexicographic_threshold,
            noise=traits.noise,
            bias=traits.bias,
        )
