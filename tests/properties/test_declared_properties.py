"""Every registered mechanism against its own declared properties (Axelrod-style inherited tests).

A mechanism states ``properties`` (and ``conditions`` for claims that hold only on some
markets); this one parametrised suite checks each claim with the property kit on 200
hypothesis-drawn markets and cost profiles, inside the claim's condition. For a
conditional claim it also searches outside the condition and expects a counterexample:
a condition that is not needed should not be declared.
"""

import functools

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from agents.judge_profiles import HUMANS, judge_profiles
from mechanisms import Market, available_mechanisms, get_mechanism
from mechanisms.properties import (
    check_budget_feasible,
    check_dsic,
    check_ir,
    check_monotone,
)
from mechanisms.strategies import market_and_costs

#: Parameters for mechanisms that cannot be built without them.
MECHANISM_PARAMS = {"posted_price": {"price": 0.5}}

#: Markets a mechanism needs to run at all.
MARKET_OPTIONS = {"budget_feasible": {"with_budget": True}}

#: For each named condition, strategy options for markets (inside, outside) it.
CONDITION_MARKETS = {
    "unit_capacity": ({"unit_capacity": True}, {"unit_capacity": False}),
    "no_budget": ({"with_budget": False}, {"with_budget": True}),
    "no_demand_limit": ({"with_demand": False}, {"with_demand": True}),
}

CHECKS = {
    "dsic": check_dsic,
    "ir": check_ir,
    "budget_feasible": check_budget_feasible,
    "monotone": check_monotone,
}


@functools.cache
def build(name):
    return get_mechanism(name, **MECHANISM_PARAMS.get(name, {}))


def claims(conditional_only=False):
    """``(mechanism, property)`` for every declared claim (only conditional ones if asked)."""
    found = []
    for name in available_mechanisms():
        mech = build(name)
        conditions = getattr(mech, "conditions", {})
        for prop, claimed in sorted(mech.properties.items()):
            if claimed and (prop in conditions or not conditional_only):
                found.append(pytest.param(name, prop, id=f"{name}-{prop}"))
    return found


@functools.cache
def cases(name, prop, side):
    """``market_and_costs`` for ``name``, inside (side 0) or outside (1) its condition."""
    return market_and_costs(**market_options(name, prop, side))


def market_options(name, prop, side):
    """Strategy options for ``name``'s markets, inside (side 0) or outside (1) its condition."""
    options = dict(MARKET_OPTIONS.get(name, {}))
    condition = getattr(build(name), "conditions", {}).get(prop)
    if condition is not None:
        options.update(CONDITION_MARKETS[condition][side])
    return options


def describe(violations):
    return "\n".join(f"{v.detail}; market {v.market!r}, asks {v.asks}" for v in violations)


@pytest.mark.parametrize(("name", "prop"), claims())
@settings(max_examples=200)
@given(data=st.data())
def test_declared_property_holds(name, prop, data):
    mech = build(name)
    market, costs = data.draw(cases(name, prop, side=0))
    violations = CHECKS[prop](mech, costs, market, seed=data.draw(st.integers(0, 2**16)))
    assert violations == [], f"{name} declares {prop} but:\n{describe(violations)}"


@pytest.mark.parametrize(("name", "prop"), claims(conditional_only=True))
def test_conditional_claim_fails_outside_its_condition(name, prop):
    mech = build(name)
    market, costs = find(
        cases(name, prop, side=1),
        lambda case: bool(CHECKS[prop](mech, case[1], case[0])),
        settings=settings(max_examples=1000, database=None, derandomize=True),
    )
    assert CHECKS[prop](mech, costs, market)


@st.composite
def beside_ai_sellers(draw, name, prop):
    """A market of :func:`cases` with 1 to 3 copies of one AI judge seller added: the copies
    share a cost, the profile's price relative to the table's human price times the market's
    mean human cost (ties among them, and far below the humans), a value and a capacity (1 on
    unit-capacity markets, else up to 3 times the largest human capacity)."""
    market, costs = draw(cases(name, prop, side=0))
    profiles = judge_profiles()
    profile = profiles[draw(st.sampled_from(sorted(set(profiles) - {HUMANS})))]
    copies = draw(st.integers(1, 3))
    cost = float(costs.mean()) * profile.price_per_1000 / profiles[HUMANS].price_per_1000
    value = draw(st.floats(0, float(market.values.max()), allow_nan=False))
    largest = int(market.capacities.max())
    capacity = 1 if largest == 1 else draw(st.integers(1, 3 * largest))
    mixed = Market(
        values=np.concatenate([market.values, np.full(copies, value)]),
        capacities=np.concatenate([market.capacities, np.full(copies, capacity)]),
        demand=market.demand,
        budget=market.budget,
    )
    return mixed, np.concatenate([costs, np.full(copies, cost)])


@pytest.mark.parametrize(("name", "prop"), claims())
@settings(max_examples=50)
@given(data=st.data())
def test_declared_property_holds_beside_ai_sellers(name, prop, data):
    """Mixed populations: human sellers and copies of an AI judge seller (agents.ai_sellers)."""
    mech = build(name)
    market, costs = data.draw(beside_ai_sellers(name, prop))
    violations = CHECKS[prop](mech, costs, market, seed=data.draw(st.integers(0, 2**16)))
    assert violations == [], f"{name} declares {prop} with AI sellers but:\n{describe(violations)}"
