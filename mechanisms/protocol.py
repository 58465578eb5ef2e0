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
    property check can hold randomness fixed while one seller deviates.
    """

    name: str
    description: str
    properties: Mapping[str, bool]

    def run(self, asks: np.ndarray, market: Market, rng: np.random.Generator) -> Outcome: ...
