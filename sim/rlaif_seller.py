"""RLAIF sellers: labels from a real model, a reward model trained on human labels, sold in
the same market as the humans and the LLM judges (the RLAIF pattern: Bai et al. 2022,
"Constitutional AI"; Lee et al. 2023, "RLAIF").

Before the first round, the provider buys ``training_labels`` human labels (one a pair, on
pairs of the buyer's regular pool, from a crowd of the ``[population]``'s humans judging
under the default target weights: ``sim.crowd_labels``) and trains one reward model on them
(the ``[reward_model]`` settings). Every RLAIF seller then labels a pair by that model's
preference (``agents.model_judge.ModelJudge``), so its accuracy is what the model measurably
is on the buyer's evaluation pairs (``MarketModel.rlaif_accuracy_``). It asks its compute at
a stated price, ``price_per_1000`` US dollars per 1,000 labels in market money through
``population.ai_price_rate``, and bids truthfully. All its draws come from a generator of its
own (``config.seed`` and :data:`RLAIF_STREAM`), so the market's other draws are unchanged.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd
from pydantic import Field

from agents.ai_sellers import market_money
from agents.annotator import Annotator
from agents.bidding import BIDDERS
from agents.judge_inputs import skill_from_accuracy
from agents.model_judge import ModelJudge
from sim.config_section import Section
from sim.corpus import Corpus, oriented_pairs
from sim.crowd_labels import crowd_labels
from sim.reward import RewardModel

RLAIF = "rlaif"
"""The ``kind`` of an RLAIF seller."""
RLAIF_STREAM = 0x41494C52
"""Second key of the RLAIF provider's generator, beside the market's seed."""


class RlaifConfig(Section):
    """The ``[rlaif]`` table: sellers whose labels come from a trained reward model."""

    sellers: int = Field(0, ge=0, le=1000, description="RLAIF sellers; 0: none")
    training_labels: int = Field(
        500, ge=10, description="human labels the provider's reward model is trained on"
    )
    capacity: int = Field(200, ge=1, description="labels one RLAIF seller sells a round")
    price_per_1000: float = Field(
        0.05,
        ge=0,
        description="its compute at a stated price: US dollars per 1,000 labels (two "
        "responses scored each), in market money through population.ai_price_rate",
    )


def build_rlaif_sellers(
    model: mesa.Model, config, corpus: Corpus, pool: pd.DataFrame, eval_pairs: pd.DataFrame
) -> tuple[list[Annotator], RewardModel | None, float]:
    """The RLAIF sellers of ``config.rlaif`` in ``model``, their reward model and its accuracy
    on ``eval_pairs`` (None and NaN without sellers). ``config`` is the market's
    ``MarketConfig``; ``pool`` the buyer's regular pool (``left, right`` response ids)."""
    settings = config.rlaif
    if settings.sellers == 0:
        return [], None, math.nan
    rng = np.random.default_rng([config.seed, RLAIF_STREAM])
    rows = rng.choice(len(pool), size=min(settings.training_labels, len(pool)), replace=False)
    humans = config.population.model_copy(update={"ai_judges": {}})
    labels = crowd_labels(corpus, pool.iloc[np.sort(rows)], 1, rng, humans)
    left, right = labels["left"].to_numpy(), labels["right"].to_numpy()
    reward_model = RewardModel(config.reward_model.to_settings(seed=config.seed, progress=False))
    reward_model.fit(oriented_pairs(corpus, left, right, labels["label"].to_numpy() == left))
    accuracy = reward_model.accuracy(eval_pairs)

    def score(ids: np.ndarray) -> np.ndarray:
        return reward_model.score(corpus.prompts(ids), corpus.texts(ids))

    price = market_money(settings.price_per_1000, config.population)
    skill = skill_from_accuracy(accuracy)
    sellers = [
        Annotator(
            model,
            cost=price,
            capacity=settings.capacity,
            skill=skill,
            judge=ModelJudge(score),
            bidder=BIDDERS.get("truthful").for_population(config.population),
            kind=RLAIF,
        )
        for _ in range(settings.sellers)
    ]
    return sellers, reward_model, accuracy
