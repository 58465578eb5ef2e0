"""Build a population of annotators from a declarative spec.

Costs and skills are drawn jointly through a Gaussian copula so that experts can cost more;
judge types, bidding rules and a systematic bias are assigned in exact shares; per-annotator
attribute weights scatter around the buyer's target. Every draw comes from the Generator
passed in.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from scipy.special import ndtr

from agents.ai_sellers import ai_judge_shares, build_ai_sellers, human_count
from agents.annotator import Annotator
from agents.bidding import BIDDERS, DEFAULT_MULTIPLIERS, FixedMarkup, LearningBidder
from agents.distributions import frozen_distribution
from agents.judges import JUDGES, FeatureBias, JudgeTraits, draw_annotator_weights
from agents.pair_view import PairLayout
from agents.setting_errors import one_line
from agents.shares import assign_in_shares, check_shares

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


class PopulationSpec(BaseModel):
    """Who the annotators are: one declaration of every population setting, read by
    :func:`build_population`, by a market config's ``[population]`` table (this class is
    that table) and by the docs.

    Costs and skills are joined by a Gaussian copula: with ``(Z1, Z2)`` standard bivariate
    normal with correlation ``rho = cost_skill_correlation``, ``cost = F_cost^-1(Phi(Z1))``
    and ``skill = F_skill^-1(Phi(Z2))``; the Spearman correlation is
    ``(6 / pi) arcsin(rho / 2)`` (Kruskal 1958). Judge types, bidding rules and the bias go
    to random annotators in exact counts (largest remainder, :func:`assign_in_shares`).
    Judge noise follows skill through ``agents.judges.temperature_from_skill``.

    The defaults are the market's: lognormal costs around 0.1 per label that correlate with
    skill (experts cost more), and a judge mix with spammers, so that buying from the right
    annotators matters. A bad value raises a one-line ``ValueError`` that starts with the
    field's name.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    n_annotators: int = Field(24, ge=2, le=10_000, description="population size")
    cost_distribution: str = Field(
        "lognorm",
        description="a continuous scipy.stats distribution by name; support in [0, inf)",
    )
    cost_params: dict[str, float] = Field(
        default_factory=lambda: {"s": 0.5, "scale": 0.1},
        description="the cost distribution's parameters, e.g. {s = 0.5, scale = 0.1}",
    )
    skill_distribution: str = Field(
        "beta", description="a continuous scipy.stats distribution by name; support in [0, 1]"
    )
    skill_params: dict[str, float] = Field(
        default_factory=lambda: {"a": 2.0, "b": 2.0},
        description="the skill distribution's parameters",
    )
    cost_skill_correlation: float = Field(
        0.6, ge=-1.0, le=1.0, description="rho of the Gaussian copula; > 0: experts cost more"
    )
    judge_mix: dict[str, float] = Field(
        default_factory=lambda: {"bradley_terry": 0.7, "lexicographic": 0.15, "spammer": 0.15},
        description="shares (>= 0, sum 1) of registered judge types (agents.judges.JUDGES)",
    )
    weight_concentration: float = Field(
        30.0,
        gt=0,
        allow_inf_nan=True,
        description="Dirichlet concentration of annotator weights around the target; inf: none",
    )
    lexicographic_threshold: float = Field(
        0.05, ge=0, description="just-noticeable difference of lexicographic judges"
    )
    bidding_mix: dict[str, float] = Field(
        default_factory=lambda: {"truthful": 1.0},
        description="shares (>= 0, sum 1) of registered bidders (agents.bidding.BIDDERS)",
    )
    markup: float = Field(0.2, description="markup over cost of 'markup' bidders (> -1)")
    equilibrium_units: int = Field(
        1,
        ge=1,
        description="labels a round 'equilibrium' bidders expect the buyer to buy; their "
        "pay-as-bid ask is exact for unit-capacity human sellers who all play it, else (AI "
        "sellers in the market, capacity above 1) a benchmark",
    )
    learning_multipliers: tuple[float, ...] = Field(
        DEFAULT_MULTIPLIERS,
        strict=False,
        description="ask/cost multipliers 'learning' bidders choose from (LearningBidder)",
    )
    learning_rate: float = Field(0.1, description="EXP3 learning rate of 'learning' bidders")
    learning_exploration: float = Field(
        0.05, description="EXP3 exploration of 'learning' bidders, in (0, 1]"
    )
    learning_utility_scale: float = Field(
        1.0, description="utility that 'learning' bidders count as a reward of 1"
    )
    capacity: int = Field(8, ge=1, description="labels one annotator sells a round")
    judge_noise: float = Field(
        0.2,
        gt=0,
        description="noise of a judge of skill 0, less the floor (temperature_from_skill)",
    )
    bias_feature: str | None = Field(
        None,
        min_length=1,
        description="the observable feature biased annotators prefer (sim.corpus.FEATURES: "
        "length, confidence, politeness); None: no bias",
    )
    bias_share: float = Field(0.0, ge=0.0, le=1.0, description="share of annotators with the bias")
    bias_strength: float = Field(
        1.0,
        description="adds strength * (f_left - f_right) of the z-scored feature to what a judge "
        "compares; negative: prefers the smaller feature",
    )
    ai_judges: dict[str, float] = Field(
        default_factory=dict,
        description="shares (>= 0, sum <= 1) of the n_annotators sellers that are copies of an "
        "LLM judge, by profile (agents/data/judge_profiles.csv, e.g. {gpt4 = 0.25}); the rest "
        "are human annotators as judge_mix says",
    )
    ai_price_rate: float = Field(
        1 / 3,
        gt=0,
        description="market money per US dollar of a profile's price: the default puts the "
        "table's human price ($0.30 a label) at the default median human cost (0.1)",
    )
    ai_capacity: int = Field(200, ge=1, description="labels one AI judge seller sells a round")

    def __init__(self, **fields) -> None:
        """Validate ``fields``; the first bad one raises a one-line ``ValueError``."""
        try:
            super().__init__(**fields)
        except ValidationError as exc:
            raise ValueError(one_line(exc)) from None

    @field_validator("weight_concentration", mode="before")
    @classmethod
    def _infinity_from_json(cls, value: Any) -> Any:
        """JSON has no infinity: a config written as JSON (run keys, manifests) says "inf"."""
        return float("inf") if value == "inf" else value

    @field_serializer("weight_concentration", when_used="json")
    def _infinity_to_json(self, value: float) -> float | str:
        return "inf" if value == float("inf") else value

    @field_validator("judge_mix")
    @classmethod
    def _judges(cls, mix: dict[str, float]) -> dict[str, float]:
        return check_shares(mix, JUDGE_TYPES)

    @field_validator("bidding_mix")
    @classmethod
    def _bidders(cls, mix: dict[str, float]) -> dict[str, float]:
        return check_shares(mix, BIDDING_TYPES)

    @field_validator("ai_judges")
    @classmethod
    def _ai_judges(cls, shares: dict[str, float]) -> dict[str, float]:
        return ai_judge_shares(shares)

    @model_validator(mode="after")
    def _consistent(self) -> PopulationSpec:
        """The checks that read several fields, or a bidder's own."""
        self.cost_marginal()
        self.skill_marginal()
        if self.bias_share > 0 and self.bias_feature is None:
            raise ValueError(
                "bias_feature: bias_share > 0 needs a feature to prefer; name one "
                "(sim.corpus.FEATURES) or set bias_share = 0"
            )
        used = {kind for kind, share in self.bidding_mix.items() if share > 0}
        if "markup" in used:
            FixedMarkup(self.markup)
        if "equilibrium" in used and self.equilibrium_units >= self.n_humans:
            raise ValueError(
                f"equilibrium_units: must be below the {self.n_humans} human annotators, got "
                f"{self.equilibrium_units}; when every seller wins no ask is an equilibrium"
            )
        if "learning" in used:
            self.learning_bidder()
        return self

    @property
    def n_humans(self) -> int:
        """How many of the ``n_annotators`` sellers are human (the rest are AI judges)."""
        return human_count(self)

    @property
    def biased(self) -> bool:
        """Whether some annotators carry the bias."""
        return self.bias_feature is not None and self.bias_share > 0

    def check_layout(self, layout: PairLayout | None) -> None:
        """Refuse judge types and a bias that pairs of this layout cannot serve.

        ``layout`` None means judges read bare attribute matrices (no gold, no features).
        A named ``bias_feature`` must be one of the layout's features even when no annotator
        carries the bias. Errors name ``judge_mix`` or ``bias_feature``.
        """
        used = [kind for kind, share in self.judge_mix.items() if share > 0]
        if layout is None:
            for kind, what in (("reads_gold", "gold"), ("reads_features", "features and ids")):
                reading = [name for name in used if name in JUDGES.names(**{kind: True})]
                if reading:
                    raise ValueError(
                        f"judge_mix: {', '.join(reading)} judges read the pairs' {what}; build "
                        "the population with layout=PairLayout(...)"
                    )
            if self.n_humans < self.n_annotators:
                raise ValueError(
                    "ai_judges: AI judges read the pairs' features and ids; build the "
                    "population with layout=PairLayout(...)"
                )
            if self.biased:
                raise ValueError(
                    "bias_feature: a bias reads a feature of the pairs; build the population "
                    "with layout=PairLayout(...)"
                )
            return
        needing = [kind for kind in used if kind in ATTRIBUTE_JUDGES]
        if self.n_humans < self.n_annotators and not layout.attributes:
            raise ValueError(
                "ai_judges: AI judges compare attribute scores, which this data lacks; use the "
                "built-in corpus or a file with attribute scores, or set ai_judges = {}"
            )
        if needing and not layout.attributes:
            allowed = sorted(kind for kind in JUDGE_TYPES if kind not in ATTRIBUTE_JUDGES)
            raise ValueError(
                f"judge_mix: {', '.join(needing)} compare attribute scores, which this data "
                f"lacks; use {' and '.join(allowed)}, which need none"
            )
        if self.bias_feature is not None:
            layout.check_feature(self.bias_feature)

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
    bias: FeatureBias | None,
):
    """The judge registered as ``kind``, built for one annotator (``JUDGES``)."""
    traits = JudgeTraits(weights, skill, spec, bias)
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
    layout: PairLayout | None = None,
) -> list[Annotator]:
    """Create ``spec.n_annotators`` sellers in ``model``: the humans, then the AI judge
    sellers (``spec.ai_judges``, ``agents.ai_sellers``).

    For the humans it draws, in order, costs and skills (:func:`draw_costs_and_skills`),
    attribute weights, judge types, bidding rules and, with a bias, who carries it
    (:func:`draw_biased`), all from ``rng`` (default: ``model.rng``); AI sellers draw nothing.

    ``layout`` names what the pairs the judges will read carry (``agents.pair_view``); None
    (the default) means bare attribute matrices, in the order of ``target_weights``, which
    serve every judge type but ``one_coin`` and no bias (:meth:`PopulationSpec.check_layout`).
    """
    spec.check_layout(layout)
    rng = model.rng if rng is None else rng
    people = build_humans(
        model, spec.model_copy(update={"n_annotators": spec.n_humans}), target_weights, rng
    )
    return people + build_ai_sellers(model, spec, target_weights)


def build_humans(
    model: mesa.Model, spec: PopulationSpec, target_weights, rng: np.random.Generator
) -> list[Annotator]:
    """The ``spec.n_annotators`` human annotators (:func:`build_population`)."""
    costs, skills = draw_costs_and_skills(spec, rng)
    weights = draw_annotator_weights(
        target_weights, spec.weight_concentration, spec.n_annotators, rng
    )
    judge_kinds = assign_in_shares(spec.judge_mix, spec.n_annotators, rng)
    bidder_kinds = assign_in_shares(spec.bidding_mix, spec.n_annotators, rng)
    biased = draw_biased(spec, rng)
    bias = FeatureBias(spec.bias_feature, float(spec.bias_strength)) if spec.biased else None
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
                bias if biased[i] else None,
            ),
            bidder=_bidder(bidder_kinds[i], spec),
        )
        for i in range(spec.n_annotators)
    ]
