"""AI judge sellers: an LLM judge sold by a provider, beside the human annotators.

A seller of profile ``p`` (``agents.judge_profiles``; ``PopulationSpec.ai_judges`` says how
many) asks the profile's price, ``price_per_1000 / 1000 * ai_price_rate`` in market money a
label, and bids truthfully: the list price is its cost, the least it sells for (this
project's modelling choice; the table's prices are 25 to 700 times below the human price, so
an AI seller's cost is near zero beside a human's). It sells up to ``ai_capacity`` labels a
round and judges with the profile's calibrated judge (``agents.calibrated_judge``) on the
buyer's target weights, so its mistakes on a pair are the model's and repeat across its
labels and its copies. Its ``skill`` is the one-coin skill of the profile's accuracy on gold
``a`` (``agents.judge_inputs.accuracy_from_skill`` inverted, ``2a - 1`` clipped to [0, 1]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.annotator import HUMAN, Annotator
from agents.bidding import BIDDERS
from agents.calibrated_judge import CalibratedJudge
from agents.judge_inputs import JudgeTraits, skill_from_accuracy, weight_vector
from agents.judge_profiles import HUMANS, judge_profile, judge_profiles
from agents.shares import counts_in_shares

if TYPE_CHECKING:
    from agents.population import PopulationSpec


def ai_judge_shares(shares: dict[str, float]) -> dict[str, float]:
    """``shares`` if it names shipped AI profiles with finite shares >= 0 summing to <= 1."""
    if HUMANS in shares:
        raise ValueError(
            f"{HUMANS!r} is the table's human crowd, not an AI judge; human annotators come "
            "from judge_mix"
        )
    known = sorted(set(judge_profiles()) - {HUMANS})
    unknown = sorted(set(shares) - set(known))
    if unknown:
        raise ValueError(f"unknown profile(s) {unknown}; use one of {known}")
    for name, share in shares.items():
        if not np.isfinite(share) or share < 0:
            raise ValueError(f"the share of {name!r} must be a finite number >= 0, got {share}")
    total = float(sum(shares.values()))
    if total > 1 + 1e-9:
        raise ValueError(
            f"shares sum to {total:g}; make them sum to at most 1 (the rest are humans)"
        )
    return shares


def ai_seller_counts(spec: PopulationSpec) -> dict[str, int]:
    """Sellers of each AI profile and of humans (``"human"``) among ``spec.n_annotators``,
    by largest remainder (``agents.shares.counts_in_shares``)."""
    mix = {**spec.ai_judges, HUMAN: max(0.0, 1.0 - sum(spec.ai_judges.values()))}
    counts = counts_in_shares(mix, spec.n_annotators)
    return dict(zip(mix, (int(count) for count in counts), strict=True))


def human_count(spec: PopulationSpec) -> int:
    """How many of ``spec.n_annotators`` are humans."""
    return ai_seller_counts(spec)[HUMAN]


def budget_split_problem(
    spec: PopulationSpec, share: float | None, rlaif_sellers: int = 0
) -> str | None:
    """Why the sellers cannot serve a buyer's ``ai_budget_share`` (None: they can): the AI
    channel holds the AI judge sellers and ``rlaif_sellers`` RLAIF sellers, the other the
    humans."""
    if share is None:
        return None
    humans = spec.n_humans
    ai_sellers = spec.n_annotators - humans + rlaif_sellers
    if share > 0 and ai_sellers == 0:
        return (
            f"{share:g} of the budget goes to AI sellers, but there are none; give "
            "population.ai_judges shares of at least one seller, or rlaif.sellers, or remove "
            "ai_budget_share"
        )
    if share < 1 and humans == 0:
        return (
            f"{1 - share:g} of the budget goes to humans, but every seller is an AI seller; "
            "set ai_budget_share = 1 or lower population.ai_judges"
        )
    return None


def market_money(price_per_1000: float, spec: PopulationSpec) -> float:
    """A price in US dollars per 1,000 labels as market money a label:
    ``price_per_1000 / 1000 * ai_price_rate``."""
    return price_per_1000 / 1000 * spec.ai_price_rate


def ai_price(spec: PopulationSpec, name: str) -> float:
    """Profile ``name``'s price of one label in market money."""
    return market_money(judge_profile(name).price_per_1000, spec)


def build_ai_sellers(model: mesa.Model, spec: PopulationSpec, target_weights) -> list[Annotator]:
    """The AI judge sellers of ``spec.ai_judges`` in ``model``, profile by profile in the
    mapping's order (module docstring); nothing is drawn."""
    target = weight_vector(target_weights, "target")
    counts = ai_seller_counts(spec)
    sellers = []
    for name in spec.ai_judges:
        profile = judge_profile(name)
        skill = skill_from_accuracy(profile.gold_accuracy)
        traits = JudgeTraits(target / target.sum(), skill, spec, profile=name)
        sellers += [
            Annotator(
                model,
                cost=ai_price(spec, name),
                capacity=spec.ai_capacity,
                skill=skill,
                judge=CalibratedJudge.for_annotator(traits),
                bidder=BIDDERS.get("truthful").for_population(spec),
                kind=name,
            )
            for _ in range(counts[name])
        ]
    return sellers
