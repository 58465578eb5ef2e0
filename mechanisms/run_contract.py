"""The contract of ``Mechanism.run``, and how the property kit holds a mechanism to it.

``run(asks, market, rng)`` (docs/architecture.md, "Core interfaces") must

1. *return an outcome*: an :class:`~mechanisms.outcome.Outcome` with one entry per
   seller, no seller above its capacity and no more labels than the demand, without
   raising, calling ``sys.exit`` or running past the kit's per-call time limit;
2. *be deterministic*: the same asks and market with a generator from the same seed
   give the same allocation and payments. Every random draw comes from ``rng``, never
   from Python's ``random`` or numpy's global ``np.random.*``; no state is kept between
   calls; the market is left as it was (the kit passes it with read-only arrays).

This is what makes a counterexample replay: ``run(v.asks, v.market,
np.random.default_rng(v.seed))`` gives the outcome the kit judged.

A mechanism that does not clear some kind of market declines it by raising
:class:`MarketRefusedError` (e.g. ``budget_feasible`` given no budget). A refusal is of the
market, so it may depend on the market only: raised at the truthful asks it is a
refusal; raised at other asks after the market was cleared, it breaks the contract.
Any other exception, including a ``ValueError`` from :class:`Outcome`'s own checks, is
a breach, not a refusal.

:class:`CheckedRuns` runs one mechanism on one market and seed under this contract and
raises :class:`ContractError` at the first breach.
"""

from __future__ import annotations

import random

import numpy as np

from mechanisms.market import Market
from mechanisms.outcome import Outcome
from mechanisms.time_limit import TimeLimit, TimeLimitExceeded

#: Seconds one call of ``run`` may take inside a property check.
DEFAULT_TIMEOUT = 5.0


class MarketRefusedError(ValueError):
    """Raised by ``run`` for a market the mechanism does not clear; say why and what to change."""


class ContractError(Exception):
    """A mechanism broke the contract of ``run``; one line naming the clause, asks, market, seed."""

    def __init__(self, mechanism: str, clause: str, problem: str, asks, market: Market, seed):
        self.mechanism = mechanism
        self.clause = clause
        self.problem = problem
        self.asks = np.array(asks, dtype=float)
        self.market = market
        self.seed = seed
        super().__init__(
            f"mechanism {mechanism!r} breaks the run contract ({clause}): {problem}; "
            f"at asks {list(map(float, self.asks))}, {market!r}, rng seed {seed}"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _read_only_copy(market: Market) -> Market:
    copy = Market(market.values.copy(), market.capacities.copy(), market.demand, market.budget)
    copy.values.flags.writeable = False
    copy.capacities.flags.writeable = False
    return copy


def _global_random_states() -> tuple:
    """Python's ``random`` state and numpy's legacy global state, comparable with ``==``."""
    legacy = np.random.get_state(legacy=False)  # noqa: NPY002 - watching it, not drawing
    numpy_state = (
        legacy["state"]["key"].tobytes(),
        legacy["state"]["pos"],
        legacy["has_gauss"],
        legacy["gauss"],
    )
    return random.getstate(), numpy_state


class CheckedRuns:
    """Runs of one mechanism on one market and seed, each checked against the run contract.

    Use as a context manager: inside it, :meth:`outcome` runs ``mech.run`` on a copy of
    the asks with a fresh ``np.random.default_rng(seed)`` (and remembers the outcome per
    ask profile), :meth:`replay` runs a profile again and compares. Leaving the block
    checks that the global random states did not change. ``timeout`` is the per-call
    limit in seconds (``None``: none); see :mod:`mechanisms.time_limit`.
    """

    def __init__(self, mech, market: Market, seed: int, timeout: float | None = DEFAULT_TIMEOUT):
        self.mech = mech
        self.market = market
        self.seed = seed
        self._run_market = _read_only_copy(market)
        self._limit = TimeLimit(timeout)
        self._outcomes: dict[bytes, Outcome] = {}
        self._first_asks: np.ndarray | None = None
        self._global_states: tuple | None = None

    def __enter__(self) -> CheckedRuns:
        self._limit.__enter__()
        self._global_states = _global_random_states()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._limit.__exit__(exc_type, exc, traceback)
        if exc_type is None and self._first_asks is not None:
            self._check_global_random(self._first_asks)

    def outcome(self, asks: np.ndarray) -> Outcome:
        """The checked outcome at ``asks`` (run once per distinct ask profile)."""
        key = asks.tobytes()
        if key not in self._outcomes:
            self._outcomes[key] = self._run(asks)
            if self._first_asks is None:
                self._first_asks = asks.copy()
        return self._outcomes[key]

    def replay(self, asks: np.ndarray) -> None:
        """Run ``asks`` again; a different allocation or payment breaks the contract."""
        first = self.outcome(asks)
        again = self._run(asks)
        if not (
            np.array_equal(first.allocation, again.allocation)
            and np.array_equal(first.payments, again.payments)
        ):
            self._check_global_random(asks)
            raise self._breach(
                "deterministic",
                f"two runs gave allocation {first.allocation.tolist()}, payments "
                f"{first.payments.tolist()} then allocation {again.allocation.tolist()}, "
                f"payments {again.payments.tolist()}; take every random draw from rng "
                "and keep no state between runs",
                asks,
            )

    def _check_global_random(self, asks: np.ndarray) -> None:
        """Breach if a global random state changed since the block was entered."""
        python_state, numpy_state = _global_random_states()
        for changed, source in (
            (python_state != self._global_states[0], "Python's global random module"),
            (numpy_state != self._global_states[1], "numpy's global np.random functions"),
        ):
            if changed:
                problem = f"run drew from {source}; take every random draw from rng"
                raise self._breach("deterministic", problem, asks)

    def _run(self, asks: np.ndarray) -> Outcome:
        try:
            outcome = self._limit.call(
                self.mech.run, asks.copy(), self._run_market, np.random.default_rng(self.seed)
            )
        except MarketRefusedError as exc:
            if self._first_asks is None:
                raise
            raise self._breach(
                "refusal",
                f"run refused with {_first_line(exc)} after clearing the market at asks "
                f"{list(map(float, self._first_asks))}; a refusal may depend on the market only",
                asks,
            ) from exc
        except TimeLimitExceeded:
            raise self._breach(
                "returns an outcome",
                f"run did not return within {self._limit.seconds:g} s (the per-call timeout)",
                asks,
            ) from None
        except SystemExit as exc:
            raise self._breach(
                "returns an outcome", f"run called sys.exit({exc.code!r})", asks
            ) from exc
        except Exception as exc:
            hint = (
                "the market is passed read-only: run must not change it"
                if isinstance(exc, ValueError) and "read-only" in str(exc)
                else "raise MarketRefusedError to decline a market"
            )
            raise self._breach(
                "returns an outcome", f"run raised {_first_line(exc)} ({hint})", asks
            ) from exc
        self._check_outcome(outcome, asks)
        return outcome

    def _check_outcome(self, outcome, asks: np.ndarray) -> None:
        market = self.market
        if not isinstance(outcome, Outcome):
            problem = f"run returned {type(outcome).__name__}, not an Outcome"
        elif outcome.allocation.shape != (market.n_sellers,):
            problem = (
                f"run returned {outcome.allocation.shape[0]} allocations for "
                f"{market.n_sellers} sellers; return one entry per seller"
            )
        elif (over := np.flatnonzero(outcome.allocation > market.capacities)).size:
            seller = int(over[0])
            problem = (
                f"seller {seller} is allocated {outcome.allocation[seller]} labels, "
                f"above its capacity {market.capacities[seller]}"
            )
        elif market.demand is not None and outcome.units > market.demand:
            problem = f"{outcome.units} labels bought, above the demand {market.demand}"
        else:
            return
        raise self._breach("returns an outcome", problem, asks)

    def _breach(self, clause: str, problem: str, asks) -> ContractError:
        return ContractError(
            getattr(self.mech, "name", type(self.mech).__name__),
            clause,
            problem,
            asks,
            self.market,
            self.seed,
        )
