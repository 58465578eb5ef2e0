"""The closed-loop market: determinism, accounting, feedback, and seller safety.

Markets here use the real MiniLM backbone in ``head`` mode on a small evaluation set so
that each run takes seconds.
"""

import numpy as np
import pandas as pd
import pytest

from mechanisms import available_mechanisms
from sim.config import MarketConfig, mechanism_from_config
from sim.market import MarketModel

SMALL = {
    "population": {"n_annotators": 12, "capacity": 4},
    "buyer": {"budget": 6.0, "rounds": 3, "demand_per_round": 16},
    "reward_model": {"trainable_layers": 0, "epochs": 20, "learning_rate": 0.01, "eval_pairs": 40},
}

MECHANISM_PARAMS = {
    "posted_price": {"price": 0.12},
    "myerson": {"distribution": {"name": "lognorm", "s": 0.5, "scale": 0.1}},
}


def small_config(**overrides) -> MarketConfig:
    data = {section: dict(fields) for section, fields in SMALL.items()}
    for section, fields in overrides.items():
        if isinstance(fields, dict):
            data.setdefault(section, {}).update(fields)
        else:
            data[section] = fields
    return MarketConfig.from_dict(data)


def run(config: MarketConfig) -> dict[str, pd.DataFrame]:
    return MarketModel(config).run().results()


@pytest.fixture(scope="module", params=available_mechanisms())
def mechanism_run(request):
    name = request.param
    config = small_config(mechanism={"name": name, "params": MECHANISM_PARAMS.get(name, {})})
    return config, run(config)


def test_same_config_and_seed_give_identical_frames():
    config = small_config(mechanism={"name": "first_price"})
    first, second = run(config), run(config)
    for key in first:
        pd.testing.assert_frame_equal(first[key], second[key])


def test_a_different_seed_changes_the_run():
    a = run(small_config(mechanism={"name": "first_price"}))
    b = run(small_config(mechanism={"name": "first_price"}, seed=1))
    assert not a["transactions"].equals(b["transactions"])


def test_spend_is_the_sum_of_payments_and_reconciles_with_rounds(mechanism_run):
    _, results = mechanism_run
    rounds, transactions = results["rounds"], results["transactions"]
    per_round = (
        transactions.groupby("round")["payment"].sum().reindex(rounds["round"], fill_value=0)
    )
    np.testing.assert_allclose(rounds["spend"].to_numpy(), per_round.to_numpy(), atol=1e-9)
    units = transactions.groupby("round")["units"].sum().reindex(rounds["round"], fill_value=0)
    np.testing.assert_array_equal(rounds["labels"].to_numpy(), units.to_numpy())
    np.testing.assert_allclose(
        rounds["cumulative_spend"].to_numpy(), np.cumsum(per_round.to_numpy()), atol=1e-9
    )
    bought = results["labels"].groupby("round").size().reindex(rounds["round"], fill_value=0)
    np.testing.assert_array_equal(bought.to_numpy(), units.to_numpy())


def test_welfare_is_buyer_utility_plus_seller_surplus(mechanism_run):
    _, results = mechanism_run
    rounds = results["rounds"]
    np.testing.assert_allclose(
        rounds["welfare"], rounds["buyer_utility"] + rounds["seller_surplus"], atol=1e-9
    )


def test_spend_never_exceeds_the_budget(mechanism_run):
    config, results = mechanism_run
    assert results["rounds"]["cumulative_spend"].max() <= config.buyer.budget + 1e-9


def test_truthful_sellers_never_lose_money_under_ir_mechanisms(mechanism_run):
    config, results = mechanism_run
    mechanism = mechanism_from_config(config.mechanism)
    if not mechanism.properties.get("ir", False):
        pytest.skip(f"{mechanism.name} does not declare individual rationality")
    assert (results["annotators"]["utility"] >= -1e-9).all()


def test_transactions_are_the_annotators_that_sold(mechanism_run):
    _, results = mechanism_run
    sold = results["annotators"].query("units > 0 or payment != 0")
    pairs_sold = set(zip(sold["round"], sold["annotator"], strict=True))
    transactions = results["transactions"]
    assert pairs_sold == set(zip(transactions["round"], transactions["annotator"], strict=True))


def _high_skill_spend_share_by_round(feedback: bool, seed: int) -> np.ndarray:
    """Share of each round's spend paid to annotators of above-median skill."""
    config = small_config(
        seed=seed,
        population={
            "n_annotators": 12,
            "capacity": 8,
            "judge_mix": {"bradley_terry": 1.0},
            "cost_skill_correlation": 0.7,
        },
        buyer={
            "budget": 120.0,
            "rounds": 8,
            "demand_per_round": 24,
            "golden_rate": 0.5,
            "feedback": feedback,
        },
        mechanism={"name": "vcg"},
    )
    results = run(config)
    skills = results["annotators"].groupby("annotator")["skill"].first()
    high = skills.index[skills >= skills.median()]
    paid = results["transactions"].assign(
        high=lambda t: t["payment"].where(t["annotator"].isin(high), 0.0)
    )
    per_round = paid.groupby("round")[["high", "payment"]].sum()
    return (per_round["high"] / per_round["payment"]).to_numpy()


def test_feedback_shifts_spend_to_skilled_annotators_under_vcg():
    # Experts cost more (rho = 0.7). Without feedback every annotator has the same value,
    # so VCG keeps buying the cheapest, who are mostly unskilled; with feedback, golden
    # answers raise skilled annotators' values and VCG moves its spend to them. One run's
    # last rounds swing between 0.26 and 0.86 (3 winners a round), so the claim is on the
    # mean over 6 seeds (about 0.55, SE about 0.08), against the no-feedback run's 1/3.
    off = _high_skill_spend_share_by_round(False, 0)
    assert off[-3:].mean() <= off[0] + 0.05
    late = [_high_skill_spend_share_by_round(True, seed)[-3:].mean() for seed in range(6)]
    assert np.mean(late) > off[-3:].mean() + 0.1


@pytest.mark.parametrize("name", ["vcg", "first_price", "vickrey_feedback"])
def test_budget_mode_spends_within_budget_and_buys_what_fixed_demand_left_unbought(name):
    params = {"labels_per_item": 2} if name == "vickrey_feedback" else {}
    per_item = {"labels_per_item": params.get("labels_per_item", 1)}
    fixed = run(small_config(mechanism={"name": name, "params": params}, buyer=per_item))
    budget = run(
        small_config(
            mechanism={"name": name, "params": params},
            buyer={**per_item, "demand_mode": "budget"},
        )
    )
    budget_rounds, fixed_rounds = budget["rounds"], fixed["rounds"]
    assert budget_rounds["cumulative_spend"].iloc[-1] <= SMALL["buyer"]["budget"] + 1e-9
    assert fixed_rounds["cumulative_spend"].iloc[-1] < SMALL["buyer"]["budget"] - 0.5
    assert budget_rounds["labels"].sum() > fixed_rounds["labels"].sum()
