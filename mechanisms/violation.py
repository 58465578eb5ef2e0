"""A counterexample to a mechanism's declared property, as the property kit reports it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mechanisms.market import Market


@dataclass(frozen=True, eq=False)
class Violation:
    """One counterexample to a property.

    Attributes
    ----------
    property : str
        ``"dsic"``, ``"ir"``, ``"budget_feasible"`` or ``"monotone"``.
    seller : int or None
        The seller concerned (``None`` for budget feasibility, a property of the buyer).
    true_cost : float or None
        That seller's true cost.
    misreport : float or None
        DSIC: the profitable ask. Monotone: the higher ask that wins more labels.
        ``None`` for IR and budget feasibility, which are checked at truthful asks.
    amount : float
        How much the property fails by, always > 0. DSIC: utility gain from the
        misreport. IR: the truthful seller's loss, ``-utility``. Budget: total payment
        minus budget. Monotone: extra labels won at the higher ask.
    market : Market
        The market.
    asks : ndarray
        The full ask profile under which the violating outcome occurs.
    seed : int
        ``mech.run(asks, market, np.random.default_rng(seed))`` reproduces it.
    detail : str
        One sentence with the outcomes compared.
    """

    property: str
    seller: int | None
    true_cost: float | None
    misreport: float | None
    amount: float
    market: Market
    asks: np.ndarray
    seed: int
    detail: str

    @property
    def truthful_asks(self) -> np.ndarray:
        """The ask profile the misreport is compared with: ``asks``, the seller at its true cost.

        DSIC: ``mech.run`` on this and on ``asks`` gives the two utilities in ``detail``.
        Other properties: ``asks`` itself.
        """
        asks = np.array(self.asks, dtype=float)
        if self.property == "dsic":
            asks[self.seller] = self.true_cost
        return asks
