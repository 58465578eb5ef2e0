"""AI judge sellers in the closed-loop market: the buyer's spend split between AI and human
sellers as ``ai_budget_share`` says, every table naming the seller's kind, and one-line errors
for a split the population cannot serve."""

import numpy as np
import pytest

from sim.config import ConfigError
from tests.sim.test_market import run, small_config

MIXED = {
    "n_annotators": 12,
    "capacity": 4,
    "ai_capacity": 8,
    "ai_judges": {"gpt4": 0.25, "chatgpt": 0.25},
}


def spend_by_kind(results) -> dict[tuple[int, bool], float]:
    """Payments per (round, AI seller?) from the annotators table."""
    annotators = results["annotators"]
    grouped = annotators.groupby(["round", annotators["kind"] != "human"])["payment"].sum()
    return grouped.to_dict()


@pytest.mark.parametrize("share", [0.0, 0.25, 1.0])
def test_each_round_spends_the_ai_share_of_its_budget_on_ai_sellers_at_most(share):
    config = small_config(
        population=MIXED, buyer={"demand_mode": "budget", "ai_budget_share": share}
    )
    results = run(config)
    per_round = config.buyer.budget / config.buyer.rounds
    spend = spend_by_kind(results)
    for (round_, is_ai), paid in spend.items():
        limit = share * per_round if is_ai else (1 - share) * per_round
        # pacing carries what a round left unspent into the next ones
        assert paid <= limit * config.buyer.rounds / (config.buyer.rounds - round_) + 1e-9
    kinds = results["annotators"].groupby("kind")["units"].sum()
    ai_units = kinds.drop("human").sum()
    assert (ai_units > 0) == (share > 0)
    assert (kinds["human"] > 0) == (share < 1)


def test_without_a_share_one_market_clears_humans_and_ai_sellers_together():
    results = run(small_config(population=MIXED, buyer={"demand_mode": "budget"}))
    table = results["annotators"]
    assert set(table["kind"]) == {"human", "gpt4", "chatgpt"}
    sold = table[table["units"] > 0]
    assert set(sold["kind"]) & {"gpt4", "chatgpt"}
    labels = results["labels"].merge(
        table[["round", "annotator", "kind"]],
        left_on=["round", "worker"],
        right_on=["round", "annotator"],
    )
    assert len(labels) == len(results["labels"])
    assert np.isfinite(labels.groupby("kind")["correct"].mean()).all()


@pytest.mark.parametrize(
    ("population", "share", "words"),
    [
        ({"n_annotators": 8}, 0.5, "buyer.ai_budget_share: 0.5 of the budget goes to AI"),
        ({"n_annotators": 4, "ai_judges": {"gpt4": 1.0}}, 0.5, "goes to humans, but every seller"),
    ],
)
def test_a_share_the_population_cannot_serve_is_a_one_line_error(population, share, words):
    with pytest.raises(ConfigError, match=words) as error:
        small_config(population=population, buyer={"ai_budget_share": share})
    assert "\n" not in str(error.value)


def test_rlaif_sellers_alone_can_take_the_ai_share_of_the_budget():
    config = small_config(
        population={"n_annotators": 8}, rlaif={"sellers": 1}, buyer={"ai_budget_share": 0.5}
    )
    assert config.buyer.ai_budget_share == 0.5
