"""Named conditions on a market under which a declared property is claimed to hold.

A mechanism writes ``conditions = {"dsic": "unit_capacity"}`` to say "DSIC holds
when every seller can supply at most one label". The property kit checks a
conditional claim only on markets that satisfy the condition, and the test suite
also probes markets that violate it.
"""

from __future__ import annotations

from collections.abc import Callable

from mechanisms.market import Market


def unit_capacity(market: Market) -> bool:
    """Every seller supplies at most one label."""
    return bool((market.capacities <= 1).all())


def no_budget(market: Market) -> bool:
    """The buyer has no budget limit."""
    return market.budget is None


def no_demand_limit(market: Market) -> bool:
    """The buyer has no demand limit."""
    return market.demand is None


CONDITIONS: dict[str, Callable[[Market], bool]] = {
    "unit_capacity": unit_capacity,
    "no_budget": no_budget,
    "no_demand_limit": no_demand_limit,
}


def condition_holds(name: str | None, market: Market) -> bool:
    """True when ``name`` is ``None`` (unconditional) or its predicate holds on ``market``."""
    if name is None:
        return True
    try:
        return CONDITIONS[name](market)
    except KeyError:
        raise ValueError(
            f"condition: unknown name {name!r}; use one of {sorted(CONDITIONS)}"
        ) from None
