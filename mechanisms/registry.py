"""Find mechanisms by registry name, entry point, or import path ``package.module:Class``."""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points

from mechanisms.protocol import Mechanism

ENTRY_POINT_GROUP = "prefmarket.mechanisms"

BUILTIN: dict[str, str] = {
    "vcg": "mechanisms.vcg:VCG",
    "uniform_price": "mechanisms.uniform_price:UniformPrice",
    "second_price": "mechanisms.second_price:SecondPrice",
    "posted_price": "mechanisms.posted_price:PostedPrice",
    "first_price": "mechanisms.first_price:FirstPrice",
    "budget_feasible": "mechanisms.budget_feasible:BudgetFeasible",
    "myerson": "mechanisms.myerson:Myerson",
    "vickrey_feedback": "mechanisms.vickrey_feedback:VickreyFeedback",
}


class UnknownMechanismError(ValueError):
    """Raised for a name that is neither registered nor an importable ``module:Class``."""


@functools.cache
def _plugins() -> dict[str, str]:
    """Mechanisms registered by installed packages (read once per process)."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_mechanisms() -> list[str]:
    """Sorted names of built-in and entry-point mechanisms."""
    return sorted({**BUILTIN, **_plugins()})


def _load(path: str, shown_as: str):
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise UnknownMechanismError(
            f"mechanism: {shown_as!r} is not registered and not an import path; "
            f"use one of {', '.join(available_mechanisms())} or 'package.module:Class'"
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any failure to import a user's module is bad input
        raise UnknownMechanismError(
            f"mechanism: cannot import module {module_name!r} ({type(exc).__name__}: {exc}); "
            "check the import path and that the package is installed"
        ) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UnknownMechanismError(
            f"mechanism: module {module_name!r} has no attribute {attr!r}; "
            "check the name after ':'"
        ) from None


def get_mechanism(name: str, **params) -> Mechanism:
    """Build a mechanism by registry name or import path, passing ``params`` to it.

    Examples
    --------
    >>> get_mechanism("posted_price", price=0.5).name
    'posted_price'
    """
    if not isinstance(name, str) or not name:
        raise UnknownMechanismError("mechanism: give a non-empty name")
    target = BUILTIN.get(name) or _plugins().get(name) or name
    factory = _load(target, name)
    try:
        mechanism = factory(**params)
    except TypeError as exc:
        raise UnknownMechanismError(
            f"mechanism {name!r}: bad parameters {sorted(params)} ({exc})"
        ) from None
    for attr in ("name", "properties", "run"):
        if not hasattr(mechanism, attr):
            raise UnknownMechanismError(
                f"mechanism {name!r}: object has no {attr!r}; a mechanism needs "
                "name, properties and run(asks, market, rng)"
            )
    return mechanism
