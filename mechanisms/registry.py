"""Find mechanisms by registry name, entry point, or import path ``package.module:Class``."""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import sys
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


def _import(module_name: str):
    """Import ``module_name``; if its top-level package is not found, retry from the cwd.

    The current working directory is appended to ``sys.path`` (once, and last, so an
    installed package of the same name wins), as running ``python`` from it would allow.
    """
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        cwd = os.getcwd()
        if exc.name != module_name.partition(".")[0] or cwd in sys.path:
            raise
    sys.path.append(cwd)
    return importlib.import_module(module_name)


def _load(path: str, shown_as: str) -> type:
    """The mechanism class named by ``package.module:Class``, checked before anything is called.

    Importing runs the module's import-time code (as pytest does for plugins); nothing
    else is called until the object is known to be a class that defines ``name`` and a
    ``run`` method, so a path to a function (``os:system``) is refused.
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise UnknownMechanismError(
            f"mechanism: {shown_as!r} is not registered and not an import path; "
            f"use one of {', '.join(available_mechanisms())} or 'package.module:Class'"
        )
    try:
        module = _import(module_name)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # any failure to import a user's module, exit included
        raise UnknownMechanismError(
            f"mechanism: cannot import module {module_name!r} ({type(exc).__name__}: "
            f"{_one_line(exc)}); check the import path and that the package is installed"
        ) from None
    try:
        factory = getattr(module, attr)
    except AttributeError:
        raise UnknownMechanismError(
            f"mechanism: module {module_name!r} has no attribute {attr!r}; check the name after ':'"
        ) from None
    if not inspect.isclass(factory):
        raise UnknownMechanismError(
            f"mechanism: {path!r} is a {type(factory).__name__}, not a class; an import path "
            "must name a mechanism class (name, properties, run(asks, market, rng))"
        )
    missing = [attr for attr in ("name", "run") if not hasattr(factory, attr)]
    if missing or not callable(factory.run):
        raise UnknownMechanismError(
            f"mechanism: class {path!r} defines no {' or '.join(missing or ['run method'])}; "
            "a mechanism class defines name, properties and run(asks, market, rng)"
        )
    return factory


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def get_mechanism(name: str, **params) -> Mechanism:
    """Build a mechanism by registry name or import path, passing ``params`` to it.

    ``name`` is a built-in name, an entry point of the ``prefmarket.mechanisms`` group, or
    an import path ``package.module:Class``. An import path imports the module (running
    its import-time code, as a pytest plugin's does); a top-level module that is not
    installed is looked for in the current working directory too. The object named must
    be a class that defines ``name`` and a ``run`` method; only then is it called with
    ``params``, and the result must have ``name``, ``properties`` and ``run``. Anything
    else raises :class:`UnknownMechanismError`, one line saying what to change.

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
