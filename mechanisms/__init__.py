"""Procurement mechanisms for preference labels, and the property kit that checks them.

This package depends only on numpy and scipy, so an economist can use it alone::

    from mechanisms import Market, get_mechanism
"""

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.protocol import PROPERTY_NAMES, Mechanism
from mechanisms.registry import (
    UnknownMechanismError,
    available_mechanisms,
    get_mechanism,
)
from mechanisms.run_contract import ContractError, MarketRefusedError

__all__ = [
    "PROPERTY_NAMES",
    "ContractError",
    "Market",
    "MarketRefusedError",
    "Mechanism",
    "Outcome",
    "UnknownMechanismError",
    "available_mechanisms",
    "get_mechanism",
]
