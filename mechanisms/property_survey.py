"""Run the property kit over many random markets and summarise, one finding per property.

This is what ``prefmarket check`` prints. Instances are drawn with plain numpy from a
seeded generator (no hypothesis), so a survey is deterministic given its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mechanisms.market import Market
from mechanisms.properties import Violation, check_all, declared
from mechanisms.protocol import PROPERTY_NAMES, Mechanism
from mechanisms.run_contract import DEFAULT_TIMEOUT, MarketRefusedError
from mechanisms.search_space import MAX_SELLERS, MONEY_SCALES, SMALL_MARKET

#: Grid step for money amounts drawn on the grid, so that ties occur.
GRID = 1 / 16


@dataclass(frozen=True)
class PropertyFinding:
    """What the survey found for one property.

    ``claimed`` counts the markets on which the mechanism claims the property (its
    condition holds); ``violated`` and ``violated_claimed`` count the markets with a
    counterexample, overall and among the claimed ones. ``smallest`` is the
    counterexample on the fewest sellers, then the fewest units, then the largest
    ``amount``, taken among claimed markets when there are any violations there.
    """

    property: str
    declared: bool
    condition: str | None
    checked: int
    claimed: int
    violated: int
    violated_claimed: int
    smallest: Violation | None

    @property
    def broken(self) -> bool:
        """A declared claim was found false where the mechanism makes it."""
        return self.violated_claimed > 0


@dataclass(frozen=True)
class PropertySurvey:
    """Findings of :func:`survey_properties`, plus markets the mechanism refused to clear."""

    examples: int
    seed: int
    refused: int
    first_refusal: str | None
    findings: tuple[PropertyFinding, ...]

    @property
    def broken(self) -> bool:
        return any(finding.broken for finding in self.findings)


def random_instance(
    rng: np.random.Generator,
    max_sellers: int = MAX_SELLERS,
    scales: tuple[float, ...] = MONEY_SCALES,
) -> tuple[Market, np.ndarray]:
    """A random market and true costs, mixing the cases the properties are sensitive to.

    Sellers: 1 to ``min(SMALL_MARKET, max_sellers)`` three times in four, else
    ``SMALL_MARKET + 1`` to ``max_sellers`` (when that is larger). Money scale ``s``:
    ``scales[0]`` half the time, else one of ``scales``, equally likely. Values and
    costs in ``[0, s]``, each half the time on the grid of multiples of ``s / 16``
    (ties). Capacities: all 1 half the time, else 1 to 3. Demand: none half the time,
    else 1 to total capacity + 1. Budget: none half the time, else uniform on
    ``(0, n * s]``. See :mod:`mechanisms.search_space`.
    """
    small = min(SMALL_MARKET, max_sellers)
    large = rng.random() < 0.25 and max_sellers > small
    n = int(rng.integers(small + 1, max_sellers + 1) if large else rng.integers(1, small + 1))
    scale = float(scales[0 if rng.random() < 0.5 else rng.integers(len(scales))])

    def money(size: int) -> np.ndarray:
        if rng.random() < 0.5:
            return rng.integers(0, round(1 / GRID) + 1, size) * GRID * scale
        return rng.random(size) * scale

    values = money(n)
    capacities = np.ones(n, dtype=np.int64) if rng.random() < 0.5 else rng.integers(1, 4, n)
    demand = None if rng.random() < 0.5 else int(rng.integers(1, capacities.sum() + 2))
    budget = None if rng.random() < 0.5 else float(n * scale * (1 - rng.random()))
    return Market(values, capacities, demand, budget), money(n)


def _size(violation: Violation) -> tuple:
    market = violation.market
    return (market.n_sellers, market.total_capacity, -violation.amount)


def survey_properties(
    mech: Mechanism,
    examples: int = 200,
    seed: int = 0,
    *,
    max_sellers: int = MAX_SELLERS,
    scales: tuple[float, ...] = MONEY_SCALES,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> PropertySurvey:
    """Check every property on ``examples`` random instances (see :func:`random_instance`).

    Instance ``k`` and the seed of its mechanism randomness come from child ``k`` of
    ``np.random.SeedSequence(seed)``. A :class:`~mechanisms.run_contract.MarketRefusedError`
    raised at the truthful asks counts as the mechanism refusing that market (e.g. a
    budget mechanism given no budget). A mechanism that breaks the run contract raises
    :class:`~mechanisms.run_contract.ContractError` for the first market where it does;
    ``timeout`` is the limit on one call of ``run``, in seconds.
    """
    scales = _checked_size(examples, max_sellers, scales)
    checked = dict.fromkeys(PROPERTY_NAMES, 0)
    claimed = dict.fromkeys(PROPERTY_NAMES, 0)
    violations: dict[str, list[Violation]] = {prop: [] for prop in PROPERTY_NAMES}
    refusals: list[str] = []
    for child in np.random.SeedSequence(seed).spawn(examples):
        rng = np.random.default_rng(child)
        market, costs = random_instance(rng, max_sellers, scales)
        try:
            found = check_all(mech, costs, market, int(rng.integers(2**31)), timeout=timeout)
        except MarketRefusedError as exc:
            refusals.append(str(exc).splitlines()[0])
            continue
        for prop in PROPERTY_NAMES:
            checked[prop] += 1
            claimed[prop] += declared(mech, prop, market)
            violations[prop].extend(found[prop])
    conditions = getattr(mech, "conditions", {})
    return PropertySurvey(
        examples=examples,
        seed=seed,
        refused=len(refusals),
        first_refusal=refusals[0] if refusals else None,
        findings=tuple(
            _finding(
                mech, prop, conditions.get(prop), checked[prop], claimed[prop], violations[prop]
            )
            for prop in PROPERTY_NAMES
        ),
    )


def _checked_size(examples: int, max_sellers: int, scales: tuple[float, ...]) -> tuple[float, ...]:
    """``scales`` as a tuple, once ``examples`` and ``max_sellers`` are ints >= 1 and the
    scales one or more finite numbers > 0."""
    for name, number in (("examples", examples), ("max_sellers", max_sellers)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"{name}: must be an int >= 1, got {number!r}")
    scales = tuple(scales)
    if not scales or not all(isinstance(s, int | float) and 0 < s < np.inf for s in scales):
        raise ValueError(f"scales: give one or more finite numbers > 0, got {scales!r}")
    return scales


def _finding(
    mech: Mechanism,
    prop: str,
    condition: str | None,
    checked: int,
    claimed: int,
    violations: list[Violation],
) -> PropertyFinding:
    """The finding for ``prop`` from its counts and every counterexample found
    (:class:`PropertyFinding`); ``condition`` is the one the mechanism declares for it."""
    in_claim = [v for v in violations if declared(mech, prop, v.market)]
    pool = in_claim or violations
    return PropertyFinding(
        property=prop,
        declared=bool(mech.properties.get(prop, False)),
        condition=condition,
        checked=checked,
        claimed=claimed,
        violated=len({id(v.market) for v in violations}),
        violated_claimed=len({id(v.market) for v in in_claim}),
        smallest=min(pool, key=_size) if pool else None,
    )
