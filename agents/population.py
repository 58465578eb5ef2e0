"""Build a population of annotators from a declarative spec.

Costs and skills are drawn jointly through a Gaussian copula so that experts can cost more;
judge types, bidding rules and a systematic bias are assigned in exact shares; per-annotator
attribute weights scatter around the buyer's target. Every draw comes from the Generator
passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import mesa
import numpy as np
from scipy.special import ndtr

from agents.annotator import Annotator
from agents.bidding import BIDDERS, DEFAULT_MULTIPLIERS, FixedMarkup, LearningBidder
from agents.distributions import frozen_distribution
from agents.judges import JUDGES, FeatureBias, JudgeTraits, draw_annotator_weights
from agents.pair_columns import PairColumns

JUDGE_TYPES = JUDGES.live_names()
"""Registered judge names (``agents.judges.JUDGES``), in registration order."""
ATTRIBUTE_JUDGES = JUDGES.live_names(needs_attributes=True)
"""Judge types that compare attribute scores; data without them allows the others only."""
BIDDING_TYPES = BIDDERS.live_names()
"""Registered bidding strategy names (``agents.bidding.BIDDERS``)."""
_LEARNING_FIELDS = {
    "multipliers": "learning_multipliers",
    "learning_rate": "learning_rate",
    "exploration": "learning_exploration",
    "utility_scale": "learning_utility_scale",
}


@dataclass(frozen=True)
class PopulationSpec:
    """Who the annotators are.

    Parameters
    ----------
    n_annotators : int
        Population size (>= 1).
    cost_distribution, cost_params : str, mapping
        A continuous ``scipy.stats`` distribution by name and its parameters, e.g.
        ``"lognorm", {"s": 0.5, "scale": 0.3}``; its support must lie in ``[0, inf)``.
    skill_distribution, skill_params : str, mapping
        The same for skill; the support must lie in ``[0, 1]``.
    cost_skill_correlation : float
        ``rho`` in [-1, 1] of the Gaussian copula joining cost and skill: with
        ``(Z1, Z2)`` standard bivariate normal with correlation ``rho``,
        ``cost = F_cost^-1(Phi(Z1))`` and ``skill = F_skill^-1(Phi(Z2))``. Positive ``rho``
        means experts cost more; the Spearman correlation is ``(6 / pi) arcsin(rho / 2)``
        (Kruskal 1958).
    judge_mix : mapping
        Shares of ``bradley_terry, thurstone, lexicographic, spammer, adversarial, one_coin``
        (>= 0, summing to 1), assigned in exact counts (largest remainder) to random
        annotators. ``one_coin`` judges (``agents.judges.OneCoinJudge``) rate gold with
        accuracy ``agents.judges.accuracy_from_skill(skill) = 0.5 + 0.5 * skill``; they and
        ``spammer`` need no attribute scores (:data:`ATTRIBUTE_JUDGES` do).
    weight_concentration : float
        Dirichlet concentration of each annotator's attribute weights around the target
        (> 0, ``inf`` for none); see ``agents.judges.draw_annotator_weights``.
    lexicographic_threshold : float
        Just-noticeable difference of lexicographic judges (>= 0); they rank attributes by
        their own weights, largest first.
    bidding_mix : mapping
        Shares of ``truthful, markup, equilibrium, learning`` (>= 0, summing to 1).
    markup : float
        Markup of ``markup`` bidders.
    equilibrium_units : int
        Labels per round that ``equilibrium`` bidders expect the buyer to buy; they play
        the pay-as-bid equilibrium for ``n_annotators`` unit-capacity sellers and the cost
        distribution above (the copula leaves the cost marginal unchanged). That ask is
        exact only when every annotator has capacity 1 and all play it; otherwise it is a
        benchmark heuristic.
    learning_multipliers, learning_rate, learning_exploration, learning_utility_scale
        Parameters of ``learning`` bidders (``agents.bidding.LearningBidder``).
    capacity : int
        Labels each annotator can supply per round (>= 0).

    judge_noise : float
        ``base`` of ``agents.judges.temperature_from_skill`` (> 0): the noise of a judge of
        skill 0, less the floor.
    bias_feature : str or None
        The observable feature biased annotators prefer (``sim.corpus.features``:
        ``length``, ``confidence`` or ``politeness``); None for no bias.
    bias_share : float
        Share of annotators that carry the bias, in [0, 1], assigned in exact counts
        (largest remainder) to random annotators independently of their judge type.
    bias_strength : float
        Finite. The bias adds ``bias_strength * (f_left - f_right)`` to what the judge
        compares (``f`` the z-scored feature; per judge type see ``agents.judges``):
        positive prefers the larger feature, negative the smaller (e.g. ``length`` with
        -1 prefers shorter answers), 0 has no effect.

    Judge noise follows skill through ``agents.judges.temperature_from_skill``: it is the
    Bradley-Terry temperature, the Thurstone noise and the lexicographic perception noise.

    The defaults are the market's (``sim.config.PopulationConfig`` reads them from here):
    lognormal costs around 0.1 per label that correlate with skill (experts cost more),
    and a judge mix with spammers, so that buying from the right annotators matters.
    """

    n_annotators: int = 24
    cost_distribution: str = "lognorm"
    cost_params: Mapping[str, float] = field(default_factory=lambda: {"s": 0.5, "scale": 0.1})
    skill_distribution: str = "beta"
    skill_params: Mapping[str, float] = field(default_factory=lambda: {"a": 2.0, "b": 2.0})
    cost_skill_correlation: float = 0.6
    judge_mix: Mapping[str, float] = field(
        default_factory=lambda: {"bradley_terry": 0.7, "lexicographic": 0.15, "spammer": 0.15}
    )
    weight_concentration: float = 30.0
    lexicographic_threshold: float = 0.05
    bidding_mix: Mapping[str, float] = field(default_factory=lambda: {"truthful": 1.0})
    markup: float = 0.2
    equilibrium_units: int = 1
    learning_multipliers: tuple[float, ...] = DEFAULT_MULTIPLIERS
    learning_rate: float = 0.1
    learning_exploration: float = 0.05
    learning_utility_scale: float = 1.0
    capacity: int = 8
    judge_noise: float = 0.2
    bias_feature: str | None = None
    bias_share: float = 0.0
    bias_strength: float = 1.0

    def __post_init__(self) -> None:
        _whole("n_annotators", self.n_annotators, least=1)
        _whole("capacity", self.capacity, least=0)
        self.cost_marginal()
        self.skill_marginal()
        if not -1.0 <= self.cost_skill_correlation <= 1.0:
            raise ValueError(
                f"cost_skill_correlation: must lie in [-1, 1], got {self.cost_skill_correlation!r}"
            )
        _shares("judge_mix", self.judge_mix, JUDGE_TYPES)
        _shares("bidding_mix", self.bidding_mix, BIDDING_TYPES)
        if not self.weight_concentration > 0:
            raise ValueError(
                f"weight_concentration: must be > 0 (or inf), got {self.weight_concentration!r}"
            )
        if not (np.isfinite(self.judge_noise) and self.judge_noise > 0):
            raise ValueError(f"judge_noise: must be a finite number > 0, got {self.judge_noise!r}")
        if not (np.isfinite(self.lexicographic_threshold) and self.lexicographic_threshold >= 0):
            raise ValueError("lexicographic_threshold: must be a finite number >= 0")
        self._check_bias()
        bidders = self.bidding_mix
        if bidders.get("markup", 0) > 0:
            FixedMarkup(self.markup)
        if bidders.get("equilibrium", 0) > 0:
            _whole("equilibrium_units", self.equilibrium_units, least=1)
            if self.equilibrium_units >= self.n_annotators:
                raise ValueError(
                    f"equilibrium_units: must be below n_annotators={self.n_annotators}, got "
                    f"{self.equilibrium_units}; when every seller wins no ask is an equilibrium"
                )
        if bidders.get("learning", 0) > 0:
            self.learning_bidder()

    def _check_bias(self) -> None:
        if self.bias_feature is not None and (
            not isinstance(self.bias_feature, str) or not self.bias_feature
        ):
            raise ValueError(
                f"bias_feature: expected a feature name or None, got {self.bias_feature!r}"
            )
        if not (np.isfinite(self.bias_share) and 0.0 <= self.bias_share <= 1.0):
            raise ValueError(f"bias_share: must lie in [0, 1], got {self.bias_share!r}")
        if not np.isfinite(self.bias_strength):
            raise ValueError(f"bias_strength: must be a finite number, got {self.bias_strength!r}")
        if self.bias_share > 0 and self.bias_feature is None:
            raise ValueError(
                "bias_feature: bias_share > 0 needs a feature to prefer; name one "
                "(sim.corpus.FEATURES) or set bias_share = 0"
            )

    @property
    def biased(self) -> bool:
        """Whether some annotators carry the bias."""
        return self.bias_feature is not None and self.bias_share > 0

    def check_columns(self, columns: PairColumns | None) -> None:
        """Refuse judge types and a bias that the pairs' columns cannot serve.

        ``columns`` None means judges read bare attribute matrices (no gold, no features).
        Errors name ``judge_mix`` or ``bias_feature``.
        """
        used = [kind for kind, share in self.judge_mix.items() if share > 0]
        if columns is None:
            if "one_coin" in used:
                raise ValueError(
                    "judge_mix: one_coin judges read the gold column; build the population "
                    "with columns=PairColumns(...)"
                )
            if self.biased:
                raise ValueError(
                    "bias_feature: a bias reads a feature column; build the population with "
                    "columns=PairColumns(...)"
                )
            return
        needing = [kind for kind in used if kind in ATTRIBUTE_JUDGES]
        if needing and not columns.attributes:
            allowed = sorted(kind for kind in JUDGE_TYPES if kind not in ATTRIBUTE_JUDGES)
            raise ValueError(
                f"judge_mix: {', '.join(needing)} compare attribute scores, which this data "
                f"lacks; use {' and '.join(allowed)}, which need none"
            )
        if self.biased:
            columns.feature_position(self.bias_feature)

    def cost_marginal(self):
        """The frozen scipy distribution of one annotator's cost."""
        return frozen_distribution(
            "cost_distribution",
            self.cost_distribution,
            self.cost_params,
            params_field="cost_params",
            low=0.0,
        )

    def skill_marginal(self):
        """The frozen scipy distribution of one annotator's skill."""
        return frozen_distribution(
            "skill_distribution",
            self.skill_distribution,
            self.skill_params,
            params_field="skill_params",
            low=0.0,
            high=1.0,
        )

    def learning_bidder(self) -> LearningBidder:
        """A fresh learning bidder with this spec's parameters (field names in the errors)."""
        try:
            return LearningBidder(
                self.learning_multipliers,
                learning_rate=self.learning_rate,
                exploration=self.learning_exploration,
                utility_scale=self.learning_utility_scale,
            )
        except ValueError as exc:
            field_name, _, rest = str(exc).partition(":")
            raise ValueError(f"{_LEARNING_FIELDS[field_name]}:{rest}") from None


def _whole(name: str, value, *, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name}: must be a whole number >= {least}, got {value!r}")


def _shares(name: str, mix: Mapping[str, float], known: tuple[str, ...]) -> None:
    unknown = sorted(set(mix) - set(known))
    if unknown:
        raise ValueError(f"{name}: unknown type(s) {unknown}; use {list(known)}")
    shares = np.array([float(v) for v in mix.values()])
    if np.any(~np.isfinite(shares)) or np.any(shares < 0):
        raise ValueError(f"{name}: every share must be a finite number >= 0")
    if not np.isclose(shares.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"{name}: shares sum to {shares.sum()}; make them sum to 1")


def assign_in_shares(mix: Mapping[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Type names for ``n`` members: counts by largest remainder, then a random order.

    Each type gets ``floor(n * share)`` members; the members left over go to the types with
    the largest remainders (ties in the mapping's order), so every count is within one of
    ``n * share`` and the counts sum to ``n``.
    """
    names = list(mix)
    exact = np.array([float(mix[k]) for k in names]) * n
    counts = np.floor(exact).astype(int)
    leftover = n - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:leftover]] += 1
    return rng.permutation(np.repeat(np.array(names, dtype=object), counts))


def draw_costs_and_skills(
    spec: PopulationSpec, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Costs and skills of ``spec.n_annotators`` annotators from the Gaussian copula.

    Returns
    -------
    costs, skills : numpy.ndarray, shape (n_annotators,)
    """
    rho = float(spec.cost_skill_correlation)
    first, second = rng.standard_normal((2, spec.n_annotators))
    correlated = rho * first + np.sqrt(1.0 - rho**2) * second
    costs = spec.cost_marginal().ppf(ndtr(first))
    skills = spec.skill_marginal().ppf(ndtr(correlated))
    return costs, skills


def _judge(
    kind: str,
    weights: np.ndarray,
    skill: float,
    spec: PopulationSpec,
    columns: PairColumns | None,
    bias: FeatureBias | None,
):
    """The judge registered as ``kind``, built for one annotator (``JUDGES``)."""
    traits = JudgeTraits(
        weights, skill, spec.judge_noise, spec.lexicographic_threshold, columns, bias
    )
    return JUDGES.get(kind).for_annotator(traits)


def draw_biased(spec: PopulationSpec, rng: np.random.Generator) -> np.ndarray:
    """Which annotators carry the bias: ``bias_share`` of them in exact counts (largest
    remainder, :func:`assign_in_shares`), in a random order. Draws nothing without a bias."""
    if not spec.biased:
        return np.zeros(spec.n_annotators, dtype=bool)
    mix = {"biased": spec.bias_share, "unbiased": 1.0 - spec.bias_share}
    return assign_in_shares(mix, spec.n_annotators, rng) == "biased"


def _bidder(kind: str, spec: PopulationSpec):
    """The bidding strategy registered as ``kind``, built for ``spec`` (``BIDDERS``)."""
    return BIDDERS.get(kind).for_population(spec)


def build_population(
    model: mesa.Model,
    spec: PopulationSpec,
    target_weights,
    rng: np.random.Generator | None = None,
    columns: PairColumns | None = None,
) -> list[Annotator]:
    """Create ``spec.n_annotators`` annotators in ``model``.

    Draws, in order, costs and skills (:func:`draw_costs_and_skills`), attribute weights,
    judge types, bidding rules and, with a bias, who carries it (:func:`draw_biased`), all
    from ``rng`` (default: ``model.rng``).

    ``columns`` is the layout of the pair matrices the judges will read
    (``agents.pair_columns``); None (the default) means bare attribute matrices, in the
    order of ``target_weights``, which serve every judge type but ``one_coin`` and no bias
    (:meth:`PopulationSpec.check_columns`).
    """
    spec.check_columns(columns)
    rng = model.rng if rng is None else rng
    costs, skills = draw_costs_and_skills(spec, rng)
    weights = draw_annotator_weights(
        target_weights, spec.weight_concentration, spec.n_annotators, rng
    )
    judge_kinds = assign_in_shares(spec.judge_mix, spec.n_annotators, rng)
    bidder_kinds = assign_in_shares(spec.bidding_mix, spec.n_annotators, rng)
    biased = draw_biased(spec, rng)
    bias = (
        FeatureBias(columns.feature_position(spec.bias_feature), float(spec.bias_strength))
        if spec.biased
        else None
    )
    return [
        Annotator(
            model,
            cost=float(costs[i]),
            capacity=spec.capacity,
            skill=float(skills[i]),
            judge=_judge(
                judge_kinds[i],
                weights[i],
                float(skills[i]),
                spec,
                columns,
                bias if biased[i] else None,
            ),
            bidder=_bidder(bidder_kinds[i], spec),
        )
        for i in range(spec.n_annotators)
    ]
