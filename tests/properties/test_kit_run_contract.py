"""The kit holds ``run`` to its contract: a breach is an error, never a refusal or a violation."""

import random
import threading
import time

import numpy as np
import pytest

from mechanisms import ContractError, Market, MarketRefusedError, get_mechanism
from mechanisms.properties import check_all, check_dsic, check_ir
from mechanisms.property_survey import survey_properties
from mechanisms.time_limit import TimeLimit, TimeLimitExceeded
from tests.properties.broken_mechanisms import (
    CallCounting,
    GlobalRandomPostedPrice,
    NanOnTies,
    OneShortFromThree,
    OverCapacity,
    RefusesHighAsks,
    SortsValues,
    TypeErrorOnTies,
)
from tests.properties.toy_mechanisms import RandomSerialPostedPrice

THREE_SELLERS = Market(values=np.ones(3), capacities=np.ones(3), demand=2)
TIED_COSTS = np.array([0.2, 0.2, 0.5])


@pytest.mark.parametrize(
    ("mechanism", "problem"),
    [
        (NanOnTies(), r"run raised ValueError: payments: every entry must be finite"),
        (TypeErrorOnTies(), r"run raised TypeError: tied asks"),
        (OneShortFromThree(), r"run returned 2 allocations for 3 sellers"),
        (OverCapacity(), r"seller 0 is allocated 2 labels, above its capacity 1"),
        (SortsValues(), r"must not change it"),
    ],
)
def test_a_bad_outcome_is_a_contract_error_naming_the_market(mechanism, problem):
    with pytest.raises(ContractError, match=problem) as caught:
        check_all(mechanism, TIED_COSTS, THREE_SELLERS, seed=3)
    error = caught.value
    assert error.clause == "returns an outcome"
    assert error.market is THREE_SELLERS and error.seed == 3
    assert f"{THREE_SELLERS!r}" in str(error) and "\n" not in str(error)


def test_a_breach_is_not_a_refusal():
    # MarketRefusedError is a ValueError; NaN payments raise a ValueError too, but not that one.
    with pytest.raises(ContractError) as caught:
        check_ir(NanOnTies(), TIED_COSTS, THREE_SELLERS)
    assert not isinstance(caught.value, ValueError)


def test_the_market_is_left_as_it_was():
    values = THREE_SELLERS.values.copy()
    with pytest.raises(ContractError):
        check_ir(SortsValues(), np.array([0.1, 0.2, 0.3]), THREE_SELLERS)
    np.testing.assert_array_equal(THREE_SELLERS.values, values)
    assert THREE_SELLERS.values.flags.writeable


def test_a_refusal_at_the_truthful_asks_refuses_the_market():
    no_budget = Market(values=np.ones(2), capacities=np.ones(2))
    with pytest.raises(MarketRefusedError, match=r"^budget: budget_feasible needs a budget"):
        check_ir(get_mechanism("budget_feasible"), np.array([0.1, 0.2]), no_budget)


def test_a_refusal_that_depends_on_the_asks_breaks_the_contract():
    # Truthful asks are all <= 0.9, so the market is cleared; a deviation above 0.9 is refused.
    with pytest.raises(ContractError, match=r"may depend on the market only") as caught:
        check_dsic(RefusesHighAsks(), np.array([0.1, 0.2, 0.3]), THREE_SELLERS)
    assert caught.value.clause == "refusal"
    assert caught.value.asks.max() > 0.9


@pytest.mark.parametrize("demand", [1, None])
def test_drawing_from_the_global_random_module_is_caught_not_reported_as_dsic(demand):
    # With a global-random arrival order a seller that loses the race looks as if it gains
    # by misreporting; the kit must blame the randomness, not report a DSIC counterexample.
    # Without a demand limit the order changes no outcome, and the draw is still caught.
    market = Market(values=np.ones(4), capacities=np.ones(4), demand=demand)
    state = random.getstate()
    with pytest.raises(ContractError, match=r"Python's global random module") as caught:
        check_all(GlobalRandomPostedPrice(), np.array([0.1, 0.2, 0.3, 0.4]), market)
    random.setstate(state)
    assert caught.value.clause == "deterministic"


def test_drawing_from_numpy_global_random_is_caught():
    class NumpyGlobalOrder(RandomSerialPostedPrice):
        def run(self, asks, market, rng):
            return super().run(asks, market, np.random.default_rng(np.random.randint(2**31)))  # noqa: NPY002

    state = np.random.get_state()  # noqa: NPY002
    with pytest.raises(ContractError, match=r"numpy's global np.random"):
        check_ir(NumpyGlobalOrder(), np.array([0.1, 0.2, 0.3]), THREE_SELLERS)
    np.random.set_state(state)  # noqa: NPY002


def test_state_kept_between_runs_is_caught_by_replay():
    with pytest.raises(ContractError, match=r"two runs gave allocation") as caught:
        check_ir(CallCounting(), np.array([0.1, 0.2, 0.3]), THREE_SELLERS)
    assert caught.value.clause == "deterministic"


def test_fresh_randomness_per_call_is_caught_by_replay():
    class UnseededOrder(RandomSerialPostedPrice):
        def run(self, asks, market, rng):
            return super().run(asks, market, np.random.default_rng())

    market = Market(values=np.ones(6), capacities=np.ones(6), demand=1)
    with pytest.raises(ContractError, match=r"two runs gave"):
        check_all(UnseededOrder(), np.full(6, 0.1), market)


def test_a_randomised_mechanism_that_uses_rng_replays_cleanly():
    market = Market(values=np.ones(4), capacities=np.ones(4), demand=1)
    found = check_all(RandomSerialPostedPrice(), np.array([0.1, 0.2, 0.3, 0.4]), market, seed=5)
    assert found == {"dsic": [], "ir": [], "budget_feasible": [], "monotone": []}


def test_the_survey_counts_only_declared_refusals():
    budget_feasible = survey_properties(get_mechanism("budget_feasible"), examples=20)
    assert 0 < budget_feasible.refused < 20
    assert budget_feasible.first_refusal.startswith("budget: ")
    with pytest.raises(ContractError):
        survey_properties(NanOnTies(), examples=20)


def test_a_call_past_the_timeout_is_a_contract_error():
    class Sleeps(RandomSerialPostedPrice):
        def run(self, asks, market, rng):
            time.sleep(60)

    start = time.monotonic()
    with pytest.raises(ContractError, match=r"did not return within 0.2 s"):
        check_ir(Sleeps(), np.array([0.1, 0.2, 0.3]), THREE_SELLERS, timeout=0.2)
    assert time.monotonic() - start < 10


def test_exiting_inside_run_is_a_contract_error():
    class Exits(RandomSerialPostedPrice):
        def run(self, asks, market, rng):
            raise SystemExit(0)

    with pytest.raises(ContractError, match=r"run called sys.exit\(0\)"):
        check_ir(Exits(), np.array([0.1, 0.2, 0.3]), THREE_SELLERS)


def test_a_callee_that_swallows_the_timeout_is_still_reported():
    def swallow():
        try:
            time.sleep(60)
        except BaseException:
            return "swallowed"

    with TimeLimit(0.2) as limit, pytest.raises(TimeLimitExceeded):
        limit.call(swallow)


def test_the_time_limit_restores_the_previous_handler_and_is_off_outside_the_main_thread():
    import signal

    before = signal.getsignal(signal.SIGALRM)
    with TimeLimit(1.0) as limit:
        assert limit.enforced
        assert limit.call(lambda: 7) == 7
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)

    seen = []

    def in_thread():
        with TimeLimit(1.0) as limit:
            seen.append(limit.enforced)

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [False]


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan")])
def test_a_bad_timeout_names_the_field(bad):
    with pytest.raises(ValueError, match=r"^timeout: "):
        TimeLimit(bad)
