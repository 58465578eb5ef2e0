"""Judge models: how an annotator decides which of two responses is better.

Every judge compares many pairs at once: ``prefer_left(left, right, rng)`` takes the two
sides of ``m`` pairs, each a named view of its responses (``agents.pair_view.Responses``:
attribute scores, features by name, gold) or a bare ``(m, k)`` matrix of attribute scores, and
returns a boolean array of shape ``(m,)``: True where the judge labels the left response as
better. All randomness comes from the ``numpy.random.Generator`` passed in.

Utility judges score a response by ``u = weights . attributes``. An exact tie with no noise
to break it is decided by a fair coin, so a noiseless utility judge is transitive on triples
with distinct utilities.

A :class:`FeatureBias` adds ``strength * (f_left - f_right)`` to what a judge compares, ``f``
a z-scored observable feature (``sim.corpus.features``); per kind (this project's modelling
choice): Bradley-Terry, Thurstone: to ``d = u_left - u_right`` before noise; adversarial: to
``-(u_left - u_right)``; lexicographic: to the first attribute's difference (a halo effect,
Thorndike 1920); spammer: ``P(left) = sigmoid(strength * (f_left - f_right))``; one-coin:
``P(left) = sigmoid(g * logit(accuracy) + strength * (f_left - f_right))``. A judge without a
bias draws exactly as before biases existed.

Judges are plugins: :data:`JUDGES` holds each by ``name``; each declares its ``kinds``
(:data:`JUDGE_KINDS`) and builds itself for an annotator with
``for_annotator(traits: JudgeTraits)``. Register a new one with ``@JUDGES.register``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Protocol

import numpy as np
from scipy.special import expit, logit

from agents.attribute_judges import (
    AdversarialJudge,
    BradleyTerryJudge,
    LexicographicSemiorderJudge,
    RandomUtilityJudge,
    ThurstoneJudge,
    UtilityJudge,
)
from agents.calibrated_judge import CalibratedJudge
from agents.judge_inputs import (
    FeatureBias,
    JudgeTraits,
    accuracy_from_skill,
    temperature_from_skill,
    weight_vector,
)
from agents.pair_view import Responses, pair_sides
from agents.plugin_registry import Registry

__all__ = [
    "JUDGES",
    "JUDGE_KINDS",
    "AdversarialJudge",
    "BradleyTerryJudge",
    "CalibratedJudge",
    "FeatureBias",
    "Judge",
    "JudgeTraits",
    "LexicographicSemiorderJudge",
    "OneCoinJudge",
    "RandomUtilityJudge",
    "SpammerJudge",
    "ThurstoneJudge",
    "UtilityJudge",
    "accuracy_from_skill",
    "draw_annotator_weights",
    "temperature_from_skill",
]


class Judge(Protocol):
    """Anything that labels a batch of pairs: ``prefer_left(left, right, rng) -> bool (m,)``
    on the two sides' named views (or bare attribute matrices)."""

    def prefer_left(
        self, left: Responses | np.ndarray, right: Responses | np.ndarray, rng: np.random.Generator
    ) -> np.ndarray: ...


JUDGE_KINDS: dict[str, str] = {
    "needs_attributes": "compares attribute scores: refuses pairs without them (ValueError); "
    "False: labels pairs of gold and features alone",
    "reads_gold": "reads the pairs' gold; False: labels do not change when gold does",
    "stochastic": "as for_annotator builds it, labels depend on the rng beyond exact ties; "
    "False: two generators give the same labels on pairs without ties",
    "order_neutral": "swapping left and right flips the label: exactly where not stochastic, "
    "in probability otherwise",
    "reads_features": "reads the pairs' features and response ids even without a bias: refuses "
    "pairs without them (ValueError); False: labels bare attribute scores",
}
"""Every kind a judge declares, with its meaning (checked by tests/agents/test_plugins.py)."""

JUDGES = Registry("judge", "judge_mix", JUDGE_KINDS, builder="for_annotator")
"""Judge plugins by name, in the order of their registration."""


class SpammerJudge:
    """Labels every pair by a fair coin, ignoring the responses.

    With a bias, ``P(left) = sigmoid(strength * (f_left - f_right))``: it ignores quality
    but not the feature (a one-coin rater of accuracy 1/2).

    Parameters
    ----------
    bias : FeatureBias, optional
    """

    name = "spammer"
    kinds: ClassVar[Mapping[str, bool]] = {
        "needs_attributes": False,
        "reads_gold": False,
        "stochastic": True,
        "order_neutral": True,
        "reads_features": False,
    }

    def __init__(self, *, bias: FeatureBias | None = None) -> None:
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = pair_sides(left, right)
        if self.bias is None:
            return rng.random(len(left)) < 0.5
        return rng.random(len(left)) < expit(self.bias.shift(left, right))

    @classmethod
    def for_annotator(cls, traits: JudgeTraits) -> SpammerJudge:
        """A spammer with the annotator's bias."""
        return cls(bias=traits.bias)


class OneCoinJudge:
    """Rates the gold label correctly with probability ``accuracy``: the one-coin special case
    of Dawid & Skene's (1979) annotator model, one accuracy per annotator whatever the pair.

    It reads the pairs' ``gold`` (1 for the pair's gold winner, 0 for its loser), so it needs
    no attribute scores. With ``g = +1`` where gold prefers left and ``-1`` otherwise,
    ``P(left) = sigmoid(g * logit(accuracy) + strength * (f_left - f_right))``; without a
    bias that is exactly ``accuracy`` for the gold winner.

    Parameters
    ----------
    accuracy : float
        Probability of labelling a pair as gold does, in [0, 1]; see
        :func:`accuracy_from_skill`.
    bias : FeatureBias, optional
    """

    name = "one_coin"
    kinds: ClassVar[Mapping[str, bool]] = {**SpammerJudge.kinds, "reads_gold": True}

    def __init__(self, accuracy: float, *, bias: FeatureBias | None = None) -> None:
        accuracy = float(accuracy)
        if not 0.0 <= accuracy <= 1.0:
            raise ValueError(f"accuracy: must lie in [0, 1], got {accuracy!r}")
        self.accuracy = accuracy
        self.bias = bias

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = pair_sides(left, right)
        if left.gold is None:
            raise ValueError(
                "judge_mix: one_coin judges read the pairs' gold, which these pairs lack; give "
                "sides with gold (agents.pair_view.Responses)"
            )
        gold_left = left.gold > right.gold
        if self.bias is None:
            probability = np.where(gold_left, self.accuracy, 1.0 - self.accuracy)
        else:
            sign = np.where(gold_left, 1.0, -1.0)
            with np.errstate(divide="ignore"):
                confidence = logit(self.accuracy)
            probability = expit(sign * confidence + self.bias.shift(left, right))
        return rng.random(len(left)) < probability

    @classmethod
    def for_annotator(cls, traits: JudgeTraits) -> OneCoinJudge:
        """Accuracy ``accuracy_from_skill(skill)`` and the annotator's bias."""
        return cls(traits.accuracy, bias=traits.bias)


for _plugin in (
    BradleyTerryJudge,
    ThurstoneJudge,
    LexicographicSemiorderJudge,
    SpammerJudge,
    AdversarialJudge,
    OneCoinJudge,
    CalibratedJudge,
):
    JUDGES.register(_plugin)
del _plugin


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
    target = weight_vector(target, "target")
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
