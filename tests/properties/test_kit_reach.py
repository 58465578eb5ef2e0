"""The default search reaches violations planted where a narrow search does not look.

The README recipe (200 hypothesis examples of ``market_and_costs``, one check) must
fail for each planted mechanism, on every seed tried.
"""

import hypothesis
import numpy as np
import pytest
from hypothesis import Phase, given, settings

from mechanisms import Market, available_mechanisms, get_mechanism
from mechanisms.properties import check_budget_feasible, check_dsic, declared, find_breakpoints
from mechanisms.property_survey import survey_properties
from mechanisms.search_space import SMALL_MARKET
from mechanisms.strategies import market_and_costs
from sim.cli.mechanisms import BUILTIN_PARAMS
from tests.properties.planted_mechanisms import (
    BandBonus,
    BandPaysAsk,
    BudgetAssumesUnitPrices,
    CloseToThePricePaysAsk,
    PayAsBidFromFive,
)
from tests.properties.toy_mechanisms import (
    CappedUniformPrice,
    LotteryPostedPrice,
    PayAsBid,
    RandomSerialPostedPrice,
    SecondPriceRandomReserve,
    VCGRandomReserve,
)


def readme_recipe_failure(mechanism, check, seed, phases=(Phase.generate,)):
    """The case the README recipe fails on, with hypothesis seeded by ``seed``; else None."""
    failing = []

    @hypothesis.seed(seed)
    @settings(max_examples=200, database=None, derandomize=False, phases=phases)
    @given(market_and_costs(with_demand=False))
    def recipe(case):
        market, costs = case
        violations = check(mechanism, costs, market)
        if violations:
            failing.append((market, costs, violations))
        assert violations == []

    try:
        recipe()
    except AssertionError:
        return failing[-1]  # hypothesis replays the case it reports last
    return None


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    ("mechanism", "check"),
    [
        pytest.param(PayAsBidFromFive(), check_dsic, id="pay-as-bid-from-five"),
        pytest.param(BudgetAssumesUnitPrices(), check_budget_feasible, id="budget-assumes-1"),
        pytest.param(BandBonus(), check_dsic, id="band-bonus"),
    ],
)
def test_the_readme_recipe_finds_each_planted_violation(mechanism, check, seed):
    assert readme_recipe_failure(mechanism, check, seed) is not None


def test_the_pay_as_bid_counterexample_shrinks_to_five_sellers():
    market, _, violations = readme_recipe_failure(
        PayAsBidFromFive(), check_dsic, seed=0, phases=(Phase.generate, Phase.shrink)
    )
    assert market.n_sellers == SMALL_MARKET + 1 == 5
    assert violations[0].property == "dsic"


def test_the_budget_counterexample_is_on_a_larger_money_scale():
    market, _, violations = readme_recipe_failure(
        BudgetAssumesUnitPrices(), check_budget_feasible, seed=0
    )
    assert market.values.max() > 1
    assert violations[0].amount > 0


def test_a_band_far_from_every_cost_and_value_is_found_on_most_seeds():
    # Three sellers of cost 0.05 and value 1, no demand limit: VCG buys from each at any
    # ask <= 1 and pays 1. Asking in [0.6, 0.61) adds 0.05, and nothing else gains: the
    # only profitable misreports lie 0.55 above the cost and 0.39 below the value, where
    # neither the misreports named after costs and values nor a local search goes.
    # Each seller's dense grid has 32 asks in [0, 1], so it lands in the band with
    # probability 0.32 and some seller does with 1 - 0.68 ** 3 = 0.69; a search without
    # that grid lands there about one time in twenty.
    market = Market(values=np.ones(3), capacities=np.ones(3))
    costs = np.full(3, 0.05)
    found = [bool(check_dsic(BandBonus(), costs, market, seed=seed)) for seed in range(40)]
    assert sum(found) >= 20, found


# Issue 27: violations confined to a narrow band of true costs. The kit brackets every
# breakpoint of a seller's allocation and payment in its own ask and tests every ask
# tried as a true cost, so a band of profitable types is found once the search has an
# ask inside it, not only when the drawn true cost happens to fall there.


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    ("values", "others", "demand", "threshold"),
    [
        # Unit capacities: seller 0 wins while its ask is at most its critical ask,
        # min(value_0, demand-th lowest other ask) (Vickrey 1961), ties to seller 0.
        pytest.param([1.0, 1.0, 1.0], [0.7, 0.9], 1, 0.7, id="lowest-other-ask"),
        pytest.param([1.0, 1.0, 1.0], [0.6, 0.8], 2, 0.8, id="second-lowest-other"),
        pytest.param([0.65, 1.0, 1.0], [0.6, 0.8], 2, 0.65, id="own-value"),
    ],
)
def test_the_breakpoint_search_finds_the_breakpoints_known_in_closed_form(
    values, others, demand, threshold, seed
):
    # BandPaysAsk(0.3, 0.45) pays a winner its ask in [0.3, 0.45] and the uniform price
    # (its critical ask) elsewhere: as a function of seller 0's own ask, the payment
    # jumps at 0.3 and 0.45 and the allocation drops to 0 just above the threshold.
    # These three, and nothing else, must be bracketed.
    market = Market(values=np.array(values), capacities=np.ones(3, dtype=int), demand=demand)
    asks = np.array([0.1, *others])
    found = find_breakpoints(BandPaysAsk(0.3, 0.45), asks, market, seller=0, seed=seed)
    expected = [0.3, 0.45, threshold]
    assert len(found) == len(expected), found
    for (low, high), point in zip(found, expected, strict=True):
        assert low <= point <= high and high - low <= 1e-6, (low, high, point)


def test_a_breakpoint_search_of_pay_as_bid_finds_only_the_allocation_jump():
    # Pay-as-bid: the payment is the ask itself, a slope and not a jump; the one
    # breakpoint is where the seller stops winning, at the other seller's ask 0.6.
    market = Market(values=np.ones(2), capacities=np.ones(2, dtype=int), demand=1)
    found = find_breakpoints(PayAsBid(), np.array([0.2, 0.6]), market, seller=0)
    assert len(found) == 1 and found[0][0] <= 0.6 <= found[0][1], found


@pytest.mark.parametrize("seed", range(40))
def test_a_band_of_profitable_true_costs_is_found_from_a_cost_outside_it(seed):
    # Seller 0's true cost 0.1 is far below the band [0.41, 0.42] and gains nothing by
    # misreporting; only true costs inside the band gain (they are paid their cost,
    # and the price 0.8 when asking above the band). The kit must report such a type
    # whenever one of its asks lands in the band, and never a gain at the true cost.
    market = Market(values=np.ones(3), capacities=np.ones(3, dtype=int), demand=1)
    costs = np.array([0.1, 0.8, 0.9])
    for violation in check_dsic(BandPaysAsk(), costs, market, seed=seed):
        assert violation.seller == 0
        assert 0.41 <= violation.true_cost <= 0.42
        assert violation.amount == pytest.approx(0.8 - violation.true_cost, abs=1e-9)
        assert_replays_with_the_gain(BandPaysAsk(), violation)


def test_a_band_of_profitable_true_costs_is_found_on_many_seeds():
    # Per check, some ask lands in the band with probability about 32 * 0.01 / 0.8 = 0.4
    # (the dense grid over [0, 0.8]); before the search tried its asks as true costs, a
    # true cost of 0.1 was never reported.
    market = Market(values=np.ones(3), capacities=np.ones(3, dtype=int), demand=1)
    costs = np.array([0.1, 0.8, 0.9])
    found = [bool(check_dsic(BandPaysAsk(), costs, market, seed=seed)) for seed in range(40)]
    assert sum(found) >= 8, found


def assert_replays_with_the_gain(mech, violation):
    """Both utilities recomputed from two fresh runs: truthful and misreporting."""
    utilities = []
    for asks in (violation.truthful_asks, violation.asks):
        outcome = mech.run(asks, violation.market, np.random.default_rng(violation.seed))
        seller = violation.seller
        utilities.append(
            outcome.payments[seller] - violation.true_cost * outcome.allocation[seller]
        )
    assert violation.truthful_asks[violation.seller] == violation.true_cost
    assert violation.asks[violation.seller] == violation.misreport
    assert utilities[1] - utilities[0] == pytest.approx(violation.amount, abs=1e-12)
    assert violation.amount > 0


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    ("mechanism", "in_band"),
    [
        # Profitable types lie in [0.41, 0.42], whatever the market.
        pytest.param(BandPaysAsk(), lambda v: 0.41 <= v.true_cost <= 0.42, id="band-pays-ask"),
        # Profitable types lie within 0.005 below the seller's critical ask: truthful,
        # it is paid its cost; asking lower, that price, so the gain is at most 0.005.
        pytest.param(
            CloseToThePricePaysAsk(), lambda v: 0 < v.amount <= 0.005 + 1e-9, id="close-to-price"
        ),
    ],
)
def test_the_check_defaults_catch_each_narrow_band_with_a_replayable_counterexample(
    mechanism, in_band, seed
):
    survey = survey_properties(mechanism, seed=seed)
    dsic = next(finding for finding in survey.findings if finding.property == "dsic")
    assert dsic.broken
    violation = dsic.smallest
    assert declared(mechanism, "dsic", violation.market)
    assert in_band(violation), violation.detail
    assert_replays_with_the_gain(mechanism, violation)


# No false alarm: DSIC holds for every type (Nisan et al. 2007, ch. 9), so trying every
# ask as a true cost must find nothing on truthful mechanisms, randomised ones included
# (their coins are held fixed while a seller deviates: ex post DSIC).
TRUTHFUL_RANDOMISED = [
    pytest.param(RandomSerialPostedPrice(), id="random-serial-posted-price"),
    pytest.param(VCGRandomReserve(), id="vcg-random-reserve"),
    pytest.param(CappedUniformPrice(), id="capped-uniform-price"),
    pytest.param(SecondPriceRandomReserve(), id="second-price-random-reserve"),
    pytest.param(LotteryPostedPrice(), id="lottery-posted-price"),
]


def assert_no_declared_property_broken(mechanism, seed):
    survey = survey_properties(mechanism, seed=seed)
    broken = [finding for finding in survey.findings if finding.broken]
    assert not broken, [(f.property, f.smallest.detail, f.smallest.market) for f in broken]
    assert survey.examples - survey.refused >= 50  # budget_feasible refuses markets sans budget


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("mechanism", TRUTHFUL_RANDOMISED)
def test_randomised_truthful_mechanisms_pass_the_check_defaults(mechanism, seed):
    assert_no_declared_property_broken(mechanism, seed)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", available_mechanisms())
def test_builtin_mechanisms_pass_the_check_defaults(name, seed):
    assert_no_declared_property_broken(get_mechanism(name, **BUILTIN_PARAMS.get(name, {})), seed)
