"""Bidding strategies against auction theory and against the mechanisms they bid into."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from agents.bidding import (
    BiddingStrategy,
    FixedMarkup,
    LearningBidder,
    PayAsBidEquilibrium,
    Truthful,
)
from mechanisms import Market, get_mechanism


@pytest.mark.parametrize("strategy", [Truthful(), FixedMarkup(0.2), LearningBidder()])
def test_every_strategy_follows_the_protocol(strategy):
    assert isinstance(strategy, BiddingStrategy)


def test_truthful_and_markup_asks():
    rng = np.random.default_rng(0)
    assert Truthful().ask(0.37, rng) == 0.37
    assert FixedMarkup(0.25).ask(0.4, rng) == pytest.approx(0.5)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
@pytest.mark.parametrize("cost", [0.0, 0.25, 0.6, 0.95])
def test_single_unit_uniform_equilibrium_is_textbook(n, cost):
    """U[0, 1] costs, one unit: b(c) = c + (1 - c) / n (first-price auction reversed)."""
    equilibrium = PayAsBidEquilibrium(n, 1, stats.uniform(0, 1))
    assert equilibrium.equilibrium_ask(cost) == pytest.approx(cost + (1 - cost) / n, abs=1e-9)


@pytest.mark.parametrize(("n", "units"), [(3, 2), (6, 2), (10, 4)])
def test_lowest_type_asks_the_mean_threshold_under_uniform_costs(n, units):
    """At c = 0 every seller wins, so b(0) = E[Z_k], the k-th lowest of n-1 U[0,1] = k/n."""
    equilibrium = PayAsBidEquilibrium(n, units, stats.uniform(0, 1))
    assert equilibrium.equilibrium_ask(0.0) == pytest.approx(units / n, abs=1e-9)


@pytest.mark.parametrize(
    "distribution", [stats.beta(2, 3), stats.lognorm(0.5, scale=1.0)], ids=["beta", "lognormal"]
)
@pytest.mark.parametrize("quantile", [0.1, 0.4, 0.7])
def test_multi_unit_ask_is_the_expected_threshold_given_winning(distribution, quantile):
    """b(c) = E[Z | Z > c] for Z the k-th lowest rival cost, checked by Monte Carlo."""
    n, units = 6, 2
    rng = np.random.default_rng(1)
    rival_costs = distribution.rvs(size=(400_000, n - 1), random_state=rng)
    threshold = np.partition(rival_costs, units - 1, axis=1)[:, units - 1]
    cost = float(distribution.ppf(quantile))
    winning = threshold[threshold > cost]
    standard_error = winning.std(ddof=1) / np.sqrt(winning.size)
    ask = PayAsBidEquilibrium(n, units, distribution).equilibrium_ask(cost)
    assert abs(ask - winning.mean()) < 4 * standard_error


@pytest.mark.parametrize(("n", "units"), [(4, 1), (4, 2)])
def test_no_profitable_deviation_from_equilibrium_in_first_price(n, units):
    """Rivals play b(.); seller 0's equilibrium ask beats every deviation on common draws."""
    mechanism = get_mechanism("first_price")
    distribution = stats.uniform(0, 1)
    equilibrium = PayAsBidEquilibrium(n, units, distribution)
    grid = np.linspace(0.0, 1.0, 401)
    table = np.array([equilibrium.equilibrium_ask(c) for c in grid])
    market = Market(values=np.full(n, 10.0), capacities=np.ones(n, dtype=int), demand=units)
    rng = np.random.default_rng(2)
    cost = 0.3
    best = equilibrium.equilibrium_ask(cost)
    deviations = [cost, best - 0.1, best - 0.03, best + 0.03, best + 0.1, best + 0.2]
    candidate_asks = [best, *deviations]
    profiles = 1_200
    utility = np.zeros((profiles, len(candidate_asks)))
    for row in range(profiles):
        rival_asks = np.interp(distribution.rvs(size=n - 1, random_state=rng), grid, table)
        for column, ask in enumerate(candidate_asks):
            outcome = mechanism.run(np.concatenate([[ask], rival_asks]), market, rng)
            utility[row, column] = outcome.seller_utilities(np.full(n, cost))[0]
    gain = utility[:, 1:] - utility[:, [0]]
    standard_error = gain.std(axis=0, ddof=1) / np.sqrt(profiles)
    assert np.all(gain.mean(axis=0) < 3 * standard_error)
    assert gain[:, 0].mean() < -3 * standard_error[0], "the check must see that truthful loses"


def _mean_multiplier_in_repeated_auctions(mechanism_name: str, seed: int) -> float:
    """Two EXP3 learners (costs 0.4, 0.5) and two truthful rivals (costs U[0.3, 1] each round)
    sell one label per round; the learners' mean ask / cost over the last third of rounds."""
    rng = np.random.default_rng(seed)
    mechanism = get_mechanism(mechanism_name)
    learner_costs = np.array([0.4, 0.5])
    multipliers = np.round(np.arange(0.5, 1.51, 0.1), 10)
    learners = [LearningBidder(multipliers, learning_rate=0.1, utility_scale=0.5) for _ in "ab"]
    market = Market(values=np.full(4, 10.0), capacities=np.ones(4, dtype=int), demand=1)
    rounds = 2_000
    ratios = []
    for round_index in range(rounds):
        learner_asks = [b.ask(c, rng) for b, c in zip(learners, learner_costs, strict=True)]
        asks = np.concatenate([learner_asks, rng.uniform(0.3, 1.0, size=2)])
        outcome = mechanism.run(asks, market, rng)
        for i, (bidder, cost) in enumerate(zip(learners, learner_costs, strict=True)):
            bidder.observe(asks[i], int(outcome.allocation[i]), float(outcome.payments[i]), cost)
        if round_index >= 2 * rounds // 3:
            ratios.append(asks[:2] / learner_costs)
    return float(np.mean(ratios))


def test_learning_bidders_shade_up_under_first_price_and_stay_near_cost_under_second_price():
    """The grid 0.5..1.5 is centred on cost, so the untrained mean ask is the cost itself."""
    first = np.mean([_mean_multiplier_in_repeated_auctions("first_price", s) for s in range(3)])
    second = np.mean([_mean_multiplier_in_repeated_auctions("second_price", s) for s in range(3)])
    assert first > 1.12
    assert abs(second - 1.0) < 0.12
    assert first - second > 0.1


def test_exp3_update_matches_hand_computation():
    """Two arms, eta = 1, gamma = 0.5: P = 0.5 * softmax(S) + 0.25."""
    bidder = LearningBidder([1.0, 2.0], learning_rate=1.0, exploration=0.5, utility_scale=1.0)
    np.testing.assert_allclose(bidder.probabilities(), [0.5, 0.5])
    rng = np.random.default_rng(0)
    ask = bidder.ask(1.0, rng)
    arm = int(ask == 2.0)
    bidder.observe(ask, units=1, payment=1.3, cost=1.0)
    expected_estimates = np.zeros(2)
    expected_estimates[arm] = 0.3 / 0.5
    np.testing.assert_allclose(bidder.reward_estimates_, expected_estimates)
    softmax_played = np.exp(0.6) / (np.exp(0.6) + 1.0)
    assert bidder.probabilities()[arm] == pytest.approx(0.5 * softmax_played + 0.25)


def test_exp3_finds_the_best_multiplier_of_a_stochastic_environment():
    """A sale (utility 0.5) comes w.p. 0.8 at multiplier 1.2 and at most 0.2 elsewhere."""
    multipliers = [1.0, 1.1, 1.2, 1.3]
    success = {1.0: 0.2, 1.1: 0.2, 1.2: 0.8, 1.3: 0.1}
    bidder = LearningBidder(multipliers, learning_rate=0.1, exploration=0.05)
    rng = np.random.default_rng(3)
    for _ in range(1_500):
        ask = bidder.ask(1.0, rng)
        won = rng.random() < success[round(ask, 10)]
        bidder.observe(ask, int(won), 1.5 * won, 1.0)
    assert int(np.argmax(bidder.probabilities())) == 2


def test_learning_bidder_is_deterministic_given_the_generator():
    def run(seed):
        bidder, rng = LearningBidder(), np.random.default_rng(seed)
        asks = []
        for _ in range(50):
            ask = bidder.ask(0.5, rng)
            bidder.observe(ask, 1, ask, 0.5)
            asks.append(ask)
        return asks

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_observe_needs_the_last_ask():
    bidder = LearningBidder()
    with pytest.raises(ValueError, match=r"^ask"):
        bidder.observe(1.0, 1, 1.0, 0.5)
    ask = bidder.ask(0.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^ask"):
        bidder.observe(ask + 1.0, 1, 1.0, 0.5)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: FixedMarkup(-1.0), "markup"),
        (lambda: PayAsBidEquilibrium(1, 1, stats.uniform()), "n_sellers"),
        (lambda: PayAsBidEquilibrium(3, 3, stats.uniform()), "units"),
        (lambda: PayAsBidEquilibrium(3, 1, "uniform"), "cost_distribution"),
        (lambda: LearningBidder([]), "multipliers"),
        (lambda: LearningBidder([1.0, -2.0]), "multipliers"),
        (lambda: LearningBidder(learning_rate=0.0), "learning_rate"),
        (lambda: LearningBidder(exploration=0.0), "exploration"),
        (lambda: LearningBidder(utility_scale=-1.0), "utility_scale"),
    ],
)
def test_bad_parameters_name_the_field(build, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        build()
