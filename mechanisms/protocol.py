"""The ``Mechanism`` protocol: what any procurement mechanism, built in or third party, provides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome

#: Property names the kit knows how to check (``mechanisms.properties``).
PROPERTY_NAMES = ("dsic", "ir", "budget_feasible", "monotone")


@runtime_checkable
class Mechanism(Protocol):
    """A procurement mechanism.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"vcg"``.
    description : str
        One line for ``prefmarket mechanisms``.
    properties : Mapping[str, bool]
        Declared claims, keys from :data:`PROPERTY_NAMES`, e.g.
        ``{"dsic": True, "ir": True, "budget_feasible": False, "monotone": True}``.
    conditions : Mapping[str, str], optional
        For a claim that holds only on some markets, the name of the condition
        (see :mod:`mechanisms.conditions`), e.g. ``{"dsic": "unit_capacity"}``.

    ``run(asks, market, rng)`` takes every random draw from ``rng`` so that a
    property check can hold randomness fixed while one seller deviates, and declines a
    market it does not clear by raising ``MarketRefusedError``; the whole contract, as
    the property kit enforces it, is in :mod:`mechanisms.run_contract`. A mechanism
    named by import path must be a class that defines ``name`` and ``run``
    (:func:`mechanisms.registry.get_mechanism`).
    """

    name: str
    description: str
    properties: Mapping[str, bool]

    def run(self, asks: np.ndarray, market: Market, rng: np.random.Generator) -> Outcome: ...
