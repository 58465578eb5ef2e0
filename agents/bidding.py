"""Bidding strategies: how an annotator turns its private cost per label into an ask.

Every strategy has ``ask(cost, rng) -> float`` and ``observe(ask, units, payment, cost)``.
``observe`` is the learning update after a round (a no-op for static strategies); its
arguments are the ask made, the labels sold, the total payment received and the true
cost per label, so the seller's utility is ``payment - cost * units`` (docs/architecture.md).

Strategies are plugins: :data:`BIDDERS` holds each by ``name``; each declares its ``kinds``
(:data:`BIDDER_KINDS`) and builds itself for a population with ``for_population(spec)``
(``spec`` an ``agents.population.PopulationSpec``). Register a new one with
``@BIDDERS.register``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
from scipy import integrate, stats

from agents.plugin_registry import Registry


@runtime_checkable
class BiddingStrategy(Protocol):
    """What an annotator needs from a bidding strategy."""

    def ask(self, cost: float, rng: np.random.Generator) -> float: ...

    def observe(self, ask: float, units: int, payment: float, cost: float) -> None: ...


BIDDER_KINDS: dict[str, str] = {
    "truthful": "asks its cost",
    "stochastic": "the ask depends on the rng; False: two generators give the same ask",
    "learns": "observe(...) changes later asks; False: asks do not depend on what it observed",
}
"""Every kind a bidding strategy declares, with its meaning (tests/agents/test_plugins.py)."""

BIDDERS = Registry("bidder", "bidding_mix", BIDDER_KINDS, builder="for_population")
"""Bidding strategies by name, in the order of their registration."""

_STATIC: Mapping[str, bool] = {"truthful": False, "stochastic": False, "learns": False}


@BIDDERS.register
class Truthful:
    """Ask the true cost: the dominant strategy under a DSIC mechanism (VCG, second price)."""

    name = "truthful"
    kinds: ClassVar[Mapping[str, bool]] = {**_STATIC, "truthful": True}

    @classmethod
    def for_population(cls, spec) -> Truthful:
        """A truthful bidder (it reads nothing of ``spec``)."""
        return cls()

    def ask(self, cost: float, rng: np.random.Generator) -> float:
        return float(cost)

    def observe(self, ask: float, units: int, payment: float, cost: float) -> None:
        """Static strategy: nothing to learn."""


@BIDDERS.register
class FixedMarkup:
    """Ask ``cost * (1 + markup)`` every round.

    Parameters
    ----------
    markup : float
        Relative markup over cost, > -1 (so asks stay positive for positive costs).
    """

    name = "markup"
    kinds: ClassVar[Mapping[str, bool]] = _STATIC

    @classmethod
    def for_population(cls, spec) -> FixedMarkup:
        """Markup ``spec.markup``."""
        return cls(spec.markup)

    def __init__(self, markup: float) -> None:
        markup = float(markup)
        if not np.isfinite(markup) or markup <= -1:
            raise ValueError(f"markup: must be a finite number > -1, got {markup!r}")
        self.markup = markup

    def ask(self, cost: float, rng: np.random.Generator) -> float:
        return float(cost) * (1.0 + self.markup)

    def observe(self, ask: float, units: int, payment: float, cost: float) -> None:
        """Static strategy: nothing to learn."""


@BIDDERS.register
class PayAsBidEquilibrium:
    """Symmetric Bayes-Nash equilibrium ask in pay-as-bid (first-price) procurement.

    Setting: ``n_sellers`` sellers with unit capacity and costs drawn i.i.d. from ``F`` on
    ``[lo, hi]``; the buyer buys ``units`` labels (``1 <= units < n_sellers``) from the
    lowest asks and pays each winner its own ask; no reserve price binds (the buyer
    values every label at least ``hi``).

    A seller with cost ``c`` wins when fewer than ``units`` of its ``n - 1`` rivals have a
    lower cost, i.e. when ``Z > c`` for ``Z`` the ``units``-th lowest rival cost, whose
    survival function is

        G(t) = P(Z > t) = sum_{j=0}^{k-1} C(n-1, j) F(t)^j (1 - F(t))^{n-1-j}.

    With a symmetric increasing ask ``b``, asking ``b(x)`` earns ``(b(x) - c) G(x)``.
    The first-order condition at ``x = c`` gives ``d/dc [b(c) G(c)] = c G'(c)``; with the
    boundary ``b(hi) = hi`` and integration by parts,

        b(c) = c + (integral_c^hi G(t) dt) / G(c) = E[Z | Z > c].

    For one unit ``G = (1 - F)^{n-1}``; with U[0, 1] costs ``b(c) = c + (1 - c) / n``.
    This is the procurement mirror of the forward results, with values replaced by costs
    and "highest" by "lowest": the first-price bid ``b(v) = E[Y_1 | Y_1 < v]`` (Krishna,
    *Auction Theory*, 2nd ed. 2010, ch. 2) and the discriminatory (pay-as-bid) auction of
    ``k`` units with unit demand, ``b(v) = E[Y_k | Y_k < v]`` (Weber 1983, "Multiple-object
    auctions"; Krishna's multi-unit chapters).

    Parameters
    ----------
    n_sellers : int
        Number of competing sellers, >= 2.
    units : int
        Labels the buyer buys, ``1 <= units < n_sellers``.
    cost_distribution : scipy.stats frozen continuous distribution
        The common cost distribution ``F`` (support ``[lo, hi]``, ``hi`` may be infinite).
    """

    name = "equilibrium"
    kinds: ClassVar[Mapping[str, bool]] = _STATIC

    @classmethod
    def for_population(cls, spec) -> PayAsBidEquilibrium:
        """``spec.n_annotators`` sellers, ``spec.equilibrium_units`` units, the population's
        cost marginal."""
        return cls(spec.n_annotators, spec.equilibrium_units, spec.cost_marginal())

    def __init__(self, n_sellers: int, units: int, cost_distribution) -> None:
        if isinstance(n_sellers, bool) or int(n_sellers) != n_sellers or n_sellers < 2:
            raise ValueError(f"n_sellers: must be a whole number >= 2, got {n_sellers!r}")
        if isinstance(units, bool) or int(units) != units or not 1 <= units < n_sellers:
            raise ValueError(
                f"units: must be a whole number with 1 <= units < n_sellers={n_sellers}, "
                f"got {units!r}; with units >= n_sellers every seller wins and no ask is "
                "an equilibrium"
            )
        if not all(hasattr(cost_distribution, a) for a in ("sf", "support")):
            raise ValueError(
                "cost_distribution: must be a frozen scipy.stats continuous distribution, "
                f"e.g. scipy.stats.uniform(0, 1); got {cost_distribution!r}"
            )
        self.n_sellers = int(n_sellers)
        self.units = int(units)
        self.cost_distribution = cost_distribution
        self.lo, self.hi = (float(x) for x in cost_distribution.support())

    def win_probability(self, cost: float) -> float:
        """``G(c)``: the chance that a seller with cost ``c`` is among the ``units`` cheapest.

        Written as ``P(Binomial(n-1, 1 - F(c)) >= n - k)`` using ``F``'s survival function,
        which keeps precision in the upper tail.
        """
        rivals = self.n_sellers - 1
        return float(stats.binom.sf(rivals - self.units, rivals, self.cost_distribution.sf(cost)))

    def equilibrium_ask(self, cost: float) -> float:
        """``b(c) = c + integral_c^hi G(t) dt / G(c)`` (see the class docstring).

        Above ``hi`` the seller never wins and asks its cost, the limit of ``b`` at ``hi``.
        """
        cost = float(cost)
        if not np.isfinite(cost):
            raise ValueError(f"cost: must be finite, got {cost!r}")
        start = max(cost, self.lo)
        at_start = self.win_probability(start)
        if at_start <= 0.0:
            return cost
        tail, _ = integrate.quad(
            lambda t: self.win_probability(t) / at_start, start, self.hi, limit=200
        )
        return start + tail

    def ask(self, cost: float, rng: np.random.Generator) -> float:
        return self.equilibrium_ask(cost)

    def observe(self, ask: float, units: int, payment: float, cost: float) -> None:
        """Static strategy: nothing to learn."""


#: Default bid multipliers of :class:`LearningBidder`: ask 1.0x to 2.0x cost in steps of 0.1.
DEFAULT_MULTIPLIERS = tuple(np.round(np.linspace(1.0, 2.0, 11), 10))


@BIDDERS.register
class LearningBidder:
    """A no-regret bidder: EXP3 over a grid of bid multipliers, ask = multiplier * cost.

    Each round it samples multiplier ``m_i`` with probability

        P_i = (1 - exploration) * softmax(learning_rate * S)_i + exploration / K,

    asks ``m_i * cost``, and after the round scores its realised utility
    ``u = payment - cost * units`` as the reward ``x = clip(u / utility_scale, -1, 1)``.
    Only the played arm's cumulative reward estimate moves, by the importance-weighted
    reward ``S_i += x / P_i``, an unbiased estimate of every arm's reward. This is EXP3 of
    Auer, Cesa-Bianchi, Freund & Schapire, "The nonstochastic multiarmed bandit problem",
    SIAM J. Comput. 32 (2002), fig. 1, whose expected regret against the best fixed
    multiplier grows as ``O(sqrt(n K log K))`` over ``n`` rounds and ``K`` multipliers for
    tuned ``learning_rate`` and ``exploration``. The uniform ``exploration`` keeps
    ``P_i >= exploration / K`` so one estimate can never jump by more than
    ``K / exploration``. Rewards are not shifted: a round without a sale scores 0 and
    leaves the estimates unchanged, which keeps the estimator's variance low when sales
    are rare.

    Bandit feedback is used on purpose: the seller sees only its own ask, units and
    payment, not the rivals' asks, so the counterfactual utility of other multipliers
    (needed by full-information Hedge) is not honestly available to it.

    Parameters
    ----------
    multipliers : sequence of float
        Candidate multipliers of cost, each > 0.
    learning_rate : float
        EXP3's ``eta`` (> 0); larger adapts faster to what has paid so far.
    exploration : float
        Share of uniform exploration, in (0, 1].
    utility_scale : float
        The largest per-round utility magnitude expected (> 0); utilities beyond
        ``+-utility_scale`` are clipped when forming the reward.
    """

    name = "learning"
    kinds: ClassVar[Mapping[str, bool]] = {**_STATIC, "stochastic": True, "learns": True}

    @classmethod
    def for_population(cls, spec) -> LearningBidder:
        """A fresh learner with ``spec``'s ``learning_*`` parameters (errors name the fields)."""
        return spec.learning_bidder()

    def __init__(
        self,
        multipliers=DEFAULT_MULTIPLIERS,
        learning_rate: float = 0.1,
        exploration: float = 0.05,
        utility_scale: float = 1.0,
    ) -> None:
        try:
            grid = np.asarray(multipliers, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"multipliers: must be a sequence of numbers, got {multipliers!r}"
            ) from None
        if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
            raise ValueError(
                f"multipliers: must be a non-empty 1-D sequence of finite numbers > 0, "
                f"got {multipliers!r}"
            )
        for name, value in (("learning_rate", learning_rate), ("utility_scale", utility_scale)):
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name}: must be a finite number > 0, got {value!r}")
        if not 0 < exploration <= 1:
            raise ValueError(f"exploration: must be in (0, 1], got {exploration!r}")
        self.multipliers = grid
        self.learning_rate = float(learning_rate)
        self.exploration = float(exploration)
        self.utility_scale = float(utility_scale)
        self.reward_estimates_ = np.zeros(grid.size)
        self._pending: tuple[int, float, float] | None = None

    def probabilities(self) -> np.ndarray:
        """Current sampling probabilities over ``multipliers``."""
        logits = self.learning_rate * (self.reward_estimates_ - self.reward_estimates_.max())
        weights = np.exp(logits)
        return (1.0 - self.exploration) * weights / weights.sum() + (
            self.exploration / self.multipliers.size
        )

    def expected_multiplier(self) -> float:
        """Mean multiplier under the current probabilities."""
        return float(self.probabilities() @ self.multipliers)

    def ask(self, cost: float, rng: np.random.Generator) -> float:
        probabilities = self.probabilities()
        arm = int(rng.choice(self.multipliers.size, p=probabilities))
        ask = float(cost) * float(self.multipliers[arm])
        self._pending = (arm, float(probabilities[arm]), ask)
        return ask

    def observe(self, ask: float, units: int, payment: float, cost: float) -> None:
        """EXP3 update from the realised utility of the last ask."""
        if self._pending is None:
            raise ValueError("ask: observe() needs a preceding ask() from this bidder")
        arm, probability, last_ask = self._pending
        if not np.isclose(ask, last_ask, rtol=1e-12, atol=1e-12):
            raise ValueError(
                f"ask: {ask!r} is not the last ask this bidder made ({last_ask!r}); "
                "report the ask returned by ask()"
            )
        utility = float(payment) - float(cost) * float(units)
        reward = float(np.clip(utility / self.utility_scale, -1.0, 1.0))
        self.reward_estimates_[arm] += reward / probability
        self._pending = None
